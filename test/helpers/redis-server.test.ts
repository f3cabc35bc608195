import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { type RedisHandle, startRedis } from './redis-server.js';

describe('startRedis helper', () => {
  let redis: RedisHandle | undefined;
  afterAll(async () => {
    await redis?.stop();
  });

  it('starts a private redis-server, survives a kill + restart on the same port, and stops it', async () => {
    redis = await startRedis();
    expect(redis.port).not.toBe(6379);
    const pid = redis.pid();
    expect(pid).toBeTypeOf('number');
    const client = new Redis(redis.port, '127.0.0.1', { maxRetriesPerRequest: 0, lazyConnect: true });
    await client.connect();
    await client.set('k', 'v');
    expect(await client.get('k')).toBe('v');
    client.disconnect();

    await redis.kill();
    expect(() => process.kill(pid!, 0)).toThrow();

    await redis.restart();
    expect(redis.pid()).not.toBe(pid);
    const again = new Redis(redis.port, '127.0.0.1', { maxRetriesPerRequest: 0, lazyConnect: true });
    await again.connect();
    // Nothing persisted: a killed server comes back empty.
    expect(await again.get('k')).toBeNull();
    again.disconnect();

    const last = redis.pid()!;
    await redis.stop();
    expect(() => process.kill(last, 0)).toThrow();
  });
});
