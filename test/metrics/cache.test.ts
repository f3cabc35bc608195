import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCache } from '../../src/cache/index.js';
import { ManualClock } from '../../src/core/index.js';
import { createGatewayMetrics } from '../../src/metrics/index.js';
import { type RedisHandle, startRedis } from '../helpers/redis-server.js';
import { seriesValue } from './exposition.js';
import { serveMetrics } from './helpers.js';

describe('cache metrics', () => {
  it('exports hits and misses per tier, factory calls and errors, and stale served from stats()', async () => {
    const clock = new ManualClock(1_000_000);
    const cache = createCache({ prefix: 'm1', clock });
    const metrics = createGatewayMetrics();
    const endpoint = await serveMetrics(metrics);
    const untrack = metrics.trackCache(cache);
    try {
      let f = await endpoint.scrape();
      expect(seriesValue(f, 'conduit_cache_hits_total', { tier: 'l1' })).toBe(0);
      expect(seriesValue(f, 'conduit_cache_l2_state', { state: 'disabled' })).toBe(1); // no L2 configured
      expect(seriesValue(f, 'conduit_cache_l2_state', { state: 'up' })).toBe(0);

      const opts = { ttlMs: 1000, staleIfErrorMs: 60_000 };
      expect(await cache.getOrSet('k', async () => 'v1', opts)).toBe('v1');
      expect(await cache.getOrSet('k', async () => 'never', opts)).toBe('v1');
      clock.advance(2000);
      // Expired, the load fails: the stale value is served instead of the error.
      const served = await cache.getOrSet(
        'k',
        async () => {
          throw new Error('upstream down');
        },
        opts,
      );
      expect(served).toBe('v1');

      f = await endpoint.scrape();
      const s = cache.stats();
      expect(seriesValue(f, 'conduit_cache_hits_total', { tier: 'l1' })).toBe(s.l1.hits);
      expect(seriesValue(f, 'conduit_cache_hits_total', { tier: 'l1' })).toBeGreaterThanOrEqual(1);
      expect(seriesValue(f, 'conduit_cache_misses_total', { tier: 'l1' })).toBe(s.l1.misses);
      expect(seriesValue(f, 'conduit_cache_factory_calls_total')).toBe(2);
      expect(seriesValue(f, 'conduit_cache_factory_errors_total')).toBe(1);
      expect(seriesValue(f, 'conduit_cache_stale_served_total')).toBe(1);
      expect(seriesValue(f, 'conduit_cache_l1_entries')).toBe(1);

      // A second scrape with no traffic changes nothing (deltas, not re-adds).
      f = await endpoint.scrape();
      expect(seriesValue(f, 'conduit_cache_factory_calls_total')).toBe(2);

      // Untracked caches keep their totals; their traffic afterwards is not counted.
      untrack();
      await cache.getOrSet('other', async () => 'x', opts);
      f = await endpoint.scrape();
      expect(seriesValue(f, 'conduit_cache_factory_calls_total')).toBe(2);
      expect(seriesValue(f, 'conduit_cache_l1_entries')).toBe(0);
    } finally {
      metrics.close();
      await endpoint.close();
      await cache.close();
    }
  });

  describe('with Redis (L2)', () => {
    let redis: RedisHandle;
    beforeAll(async () => {
      redis = await startRedis();
    });
    afterAll(() => redis.stop());

    it('counts an L2 hit when another instance filled Redis, and bus messages', async () => {
      const a = createCache({ prefix: 'm2', l2: { url: redis.url }, bus: true });
      const b = createCache({ prefix: 'm2', l2: { url: redis.url }, bus: true });
      const metrics = createGatewayMetrics();
      metrics.trackCache(b);
      const endpoint = await serveMetrics(metrics);
      try {
        await Promise.all([a.ready(), b.ready()]);
        await a.set('shared', { n: 1 }, { ttlMs: 60_000 });
        expect(await b.get('shared')).toEqual({ n: 1 });
        const f = await endpoint.scrape();
        expect(seriesValue(f, 'conduit_cache_misses_total', { tier: 'l1' })).toBe(1);
        expect(seriesValue(f, 'conduit_cache_hits_total', { tier: 'l2' })).toBe(1);
        expect(seriesValue(f, 'conduit_cache_l2_state', { state: 'up' })).toBe(1);
        expect(seriesValue(f, 'conduit_cache_l2_errors_total')).toBe(0);
        expect(seriesValue(f, 'conduit_cache_bus_messages_total', { direction: 'received' })).toBe(
          b.stats().bus.received,
        );
      } finally {
        metrics.close(); // closing the metrics untracks b
        await endpoint.close();
        await Promise.all([a.close(), b.close()]);
      }
    });
  });
});
