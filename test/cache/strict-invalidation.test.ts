import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CacheInvalidationError, createCache, type TieredCache } from '../../src/cache/index.js';
import { type RedisHandle, startRedis } from '../helpers/redis-server.js';
import { next } from './helpers.js';

/**
 * `strict` invalidations (what webhooks use): an invalidation that reached only this instance because
 * Redis failed rejects, so the caller can retry it, instead of leaving the old value in Redis and on
 * the other instances.
 */
describe('strict invalidation with Redis down', () => {
  let redis: RedisHandle;
  let raw: Redis;
  const caches: TieredCache[] = [];
  beforeAll(async () => {
    redis = await startRedis();
    raw = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    raw.on('error', () => {});
  });
  afterAll(async () => {
    for (const c of caches) await c.close();
    raw.disconnect();
    await redis?.stop();
  });

  it('rejects with CacheInvalidationError while Redis is down (the non-strict call degrades), then succeeds', async () => {
    const make = async () => {
      const c = createCache({
        prefix: 'strict',
        l2: { url: redis.url, timeoutMs: 200, breaker: { recoveryMs: 100 } },
      });
      caches.push(c);
      await c.ready();
      return c;
    };
    const [a, b] = [await make(), await make()];
    await a.set('k', 'old', { tags: ['t'] });
    expect(await b.get('k')).toBe('old'); // in B's L1 now

    const down = next(a, 'busGap', (e) => e.phase === 'down');
    await redis.kill();
    await down;
    await expect(a.delete('k', { strict: true })).rejects.toBeInstanceOf(CacheInvalidationError);
    await expect(a.delete('k', { strict: true })).rejects.toMatchObject({
      code: 'CACHE_INVALIDATION_INCOMPLETE',
      op: 'delete',
    });
    await expect(a.invalidateTags(['t'], { strict: true })).rejects.toMatchObject({ op: 'invalidateTags' });
    await expect(a.invalidatePattern('k*', { strict: true })).rejects.toMatchObject({
      op: 'invalidatePattern',
    });
    // Non-strict: this instance only, no error (the tool path's choice).
    await expect(a.delete('k')).resolves.toBeUndefined();

    const upA = next(a, 'busGap', (e) => e.phase === 'up');
    const upB = next(b, 'busGap', (e) => e.phase === 'up');
    await redis.restart();
    await Promise.all([upA, upB]);
    await b.set('k', 'old'); // Redis lost everything; B caches the old value again
    // The retry, once Redis answers (bounded poll while the L2 breaker closes again).
    await vi.waitFor(() => a.delete('k', { strict: true }), { timeout: 10_000, interval: 50 });
    await raw.connect().catch(() => {});
    expect(await raw.exists('strict:d:k')).toBe(0);
    // B's L1 copy was evicted through the bus (the retry's message): nothing left anywhere.
    await vi.waitFor(async () => expect(await b.get('k')).toBeUndefined(), { timeout: 5000, interval: 20 });
  });
});
