import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDemo } from '../../src/demo/index.js';
import { type RedisHandle, startRedis } from '../helpers/redis-server.js';

describe('conduit demo with REDIS_URL', () => {
  let redis: RedisHandle;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(() => redis.stop());

  it('uses Redis as the L2 cache and still passes every step', async () => {
    const lines: string[] = [];
    const result = await runDemo({ print: (l) => lines.push(l), env: { REDIS_URL: redis.url } });
    const out = lines.join('\n');
    expect(result.ok, out).toBe(true);
    expect(result.steps).toHaveLength(9);
    expect(out).toContain('cache: memory (L1) + Redis (L2)');
    const client = new Redis(redis.url, { lazyConnect: true });
    try {
      await client.connect();
      const keys = await client.keys('conduit-demo*');
      expect(keys.length).toBeGreaterThan(0);
      // The webhook's event id was de-duplicated through the same Redis (shared by every instance).
      expect(await client.keys('conduit-demo:webhook:*')).toHaveLength(1);
    } finally {
      client.disconnect();
    }
  });
});
