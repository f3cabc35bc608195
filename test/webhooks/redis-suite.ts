import { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { type RedisHandle, startRedis } from '../helpers/redis-server.js';

/**
 * A real redis-server and an ioredis client on it for the enclosing `describe`: started in
 * `beforeAll`, both stopped in `afterAll`. Read `redis` and `client` inside its tests only.
 */
export function redisForSuite(): { readonly redis: RedisHandle; readonly client: Redis } {
  const suite = {} as { redis: RedisHandle; client: Redis };
  beforeAll(async () => {
    suite.redis = await startRedis();
    suite.client = new Redis(suite.redis.url);
  });
  afterAll(async () => {
    await suite.client?.quit();
    await suite.redis?.stop();
  });
  return suite;
}
