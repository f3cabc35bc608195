import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createCache, type TieredCache } from '../../src/cache/index.js';
import { createRecordingLogger } from '../../src/core/index.js';
import { type RedisHandle, startRedis } from '../helpers/redis-server.js';

// `l2: { url }` alone builds the node-redis driver (the default); these tests pin what that driver
// adds over a passed-in client: a lazy connect, fail-fast while down, and secrets kept out of logs.
let redis: RedisHandle;
let raw: Redis;

beforeAll(async () => {
  redis = await startRedis();
  raw = new Redis(redis.url);
  raw.on('error', () => {});
});
afterAll(async () => {
  raw.disconnect();
  await redis.stop();
});

function waitFor(cache: TieredCache, phase: 'down' | 'up'): Promise<void> {
  return new Promise((resolve) => {
    const off = cache.on('busGap', (e) => {
      if (e.phase === phase) {
        off();
        resolve();
      }
    });
  });
}

describe('default L2 driver (node-redis from a URL)', () => {
  it('connects lazily: a set issued right after createCache lands in Redis, a peer sees it', async () => {
    const a = createCache({ prefix: 'dd1', l2: { url: redis.url } });
    const b = createCache({ prefix: 'dd1', l2: { url: redis.url } });
    try {
      await a.set('k', { n: 1 }); // no ready() first: the command waits for the first connect
      expect(await raw.get('dd1:d:k')).toContain('"n":1');
      await b.ready();
      expect(await b.getOrSetWithMeta('k', () => ({ n: 2 }))).toMatchObject({
        value: { n: 1 },
        source: 'l2',
      });
      await a.ready();
      const evicted = new Promise<void>((resolve) => {
        const off = b.on('busMessage', () => {
          off();
          resolve();
        });
      });
      await a.delete('k');
      await evicted;
      expect(await b.getOrSet('k', () => ({ n: 3 }))).toEqual({ n: 3 });
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('starts with Redis down: ready() resolves, callers get factory values, then it recovers', async () => {
    await redis.kill();
    const logger = createRecordingLogger();
    const c = createCache({
      prefix: 'dd2',
      logger,
      l2: { url: redis.url, timeoutMs: 100, breaker: { recoveryMs: 50 } },
    });
    try {
      await c.ready();
      for (let i = 0; i < 10; i++) expect(await c.getOrSet(`k${i}`, () => i)).toBe(i);
      expect(c.stats().l2.errors + c.stats().l2.skipped).toBeGreaterThan(0);
      const up = waitFor(c, 'up');
      await redis.restart();
      await up; // the subscriber came back and said so (the cache cleared its L1)
      expect(c.stats().l1.entries).toBe(0);
      await vi.waitFor(
        async () => {
          await c.set('after', 'ok');
          expect(await raw.get('dd2:d:after')).toContain('"ok"');
        },
        { timeout: 10_000, interval: 50 },
      );
    } finally {
      await c.close();
    }
  });

  it('never puts the URL password in a log line or a caller error', async () => {
    const secret = 'pw-s3cret-9f2';
    const url = redis.url.replace('redis://', `redis://:${secret}@`);
    const logger = createRecordingLogger();
    // This server has no password, so AUTH fails on every connect attempt: the driver keeps retrying.
    const c = createCache({ prefix: 'dd3', logger, l2: { url, timeoutMs: 100 } });
    const errors: unknown[] = [];
    c.on('l2Error', (e) => errors.push(e));
    try {
      await c.ready();
      for (let i = 0; i < 8; i++) expect(await c.getOrSet(`k${i}`, () => i)).toBe(i);
      expect(c.stats().l2.errors).toBeGreaterThan(0);
      expect(JSON.stringify(logger.records)).not.toContain(secret);
      expect(
        JSON.stringify(errors, (_k, v) => (v instanceof Error ? `${v.name}: ${v.message}` : v)),
      ).not.toContain(secret);
    } finally {
      await c.close();
    }
  });
});
