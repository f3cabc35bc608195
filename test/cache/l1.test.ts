import { createHook } from 'node:async_hooks';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CacheFactoryTimeoutError,
  CacheValueError,
  createCache,
  globToRegExp,
} from '../../src/cache/index.js';
import { ManualClock } from '../../src/core/index.js';
import { deferred } from '../helpers/deferred.js';

describe('L1 only: TTL and LRU', () => {
  it('never returns an expired entry and schedules no timers', async () => {
    const clock = new ManualClock(1_000_000);
    const cache = createCache({ clock, ttlMs: 1000 });
    await cache.set('a', { n: 1 });
    expect(await cache.get('a')).toEqual({ n: 1 });
    clock.advance(999);
    expect(await cache.get('a')).toEqual({ n: 1 });
    clock.advance(1);
    expect(await cache.get('a')).toBeUndefined();
    expect(clock.pending()).toBe(0);
    await cache.close();
  });

  it('accepts TTLs past 24.8 days without a timer overflow', async () => {
    const clock = new ManualClock(0);
    const cache = createCache({ clock });
    const day = 86_400_000;
    await cache.set('long', 'v', { ttlMs: 40 * day });
    clock.advance(30 * day);
    expect(await cache.get('long')).toBe('v');
    clock.advance(10 * day);
    expect(await cache.get('long')).toBeUndefined();
    expect(clock.pending()).toBe(0);
  });

  it('evicts the least recently used entry past maxEntries', async () => {
    const cache = createCache({ l1: { maxEntries: 3 } });
    await cache.set('a', 1);
    await cache.set('b', 2);
    await cache.set('c', 3);
    expect(await cache.get('a')).toBe(1); // a is now most recent; b is least
    await cache.set('d', 4);
    expect(await cache.has('b')).toBe(false);
    expect(await cache.get('a')).toBe(1);
    expect(await cache.get('c')).toBe(3);
    expect(await cache.get('d')).toBe(4);
  });

  it('bounds memory by the estimated heap size of values, not by their JSON', async () => {
    const cache = createCache({ l1: { maxBytes: 1300 } });
    // Each entry costs its value's heap estimate (a 200-char string: 416) plus its slot (~180).
    for (let i = 0; i < 10; i++) await cache.set(`k${i}`, 'x'.repeat(200));
    const s = cache.stats();
    expect(s.l1.bytes).toBeLessThanOrEqual(1300);
    expect(s.l1.bytes).toBeGreaterThan(1000);
    expect(s.l1.entries).toBe(2);
    expect(await cache.get('k9')).toBe('x'.repeat(200));
    expect(await cache.get('k0')).toBeUndefined();
    // 20 empty objects are 41 bytes of JSON and 20 x 64 of heap: more than the whole budget.
    await cache.set(
      'objects',
      Array.from({ length: 20 }, () => ({})),
    );
    expect(await cache.get('objects')).toBeUndefined();
  });

  it('caps the L1 copy with l1TtlMs', async () => {
    const clock = new ManualClock(0);
    const cache = createCache({ clock, ttlMs: 10_000, l1: { ttlMs: 100 } });
    await cache.set('a', 1);
    clock.advance(100);
    expect(await cache.get('a')).toBeUndefined();
    await cache.set('b', 2, { l1TtlMs: 5000 });
    clock.advance(4999);
    expect(await cache.get('b')).toBe(2);
  });

  it('jitter only ever shortens the TTL, within the fraction', async () => {
    const clock = new ManualClock(0);
    const cache = createCache({ clock, ttlMs: 1000, jitter: 0.2 });
    for (let i = 0; i < 50; i++) await cache.set(`k${i}`, i);
    clock.advance(799);
    for (let i = 0; i < 50; i++) expect(await cache.get(`k${i}`)).toBe(i);
    clock.advance(201);
    for (let i = 0; i < 50; i++) expect(await cache.get(`k${i}`)).toBeUndefined();
  });
});

describe('hot path', () => {
  it('an L1 hit creates exactly one promise per get/getOrSet call', async () => {
    const cache = createCache();
    await cache.set('k', { a: 1 });
    await cache.set('t', 1, { tags: ['x'] });
    const factory = () => ({ a: 2 });
    let promises = 0;
    const hook = createHook({
      init(_id, type) {
        if (type === 'PROMISE') promises++;
      },
    });
    const calls: Promise<unknown>[] = [];
    hook.enable();
    for (let i = 0; i < 100; i++) {
      calls.push(cache.getOrSet('k', factory));
      calls.push(cache.get('k'));
      calls.push(cache.getOrSet('t', factory));
    }
    hook.disable();
    expect(promises).toBe(300);
    expect(await Promise.all(calls)).toHaveLength(300);
  });
});

describe('values', () => {
  it('caches falsy values as hits', async () => {
    const cache = createCache();
    let calls = 0;
    for (const v of [0, '', false, null]) {
      const key = `k:${JSON.stringify(v)}`;
      const f = () => {
        calls++;
        return v;
      };
      expect(await cache.getOrSet(key, f)).toBe(v);
      const r = await cache.getOrSetWithMeta(key, f);
      expect(r).toEqual({ value: v, source: 'l1', stale: false });
      expect(await cache.has(key)).toBe(true);
    }
    expect(calls).toBe(4);
    expect(cache.stats().l1.hits).toBe(4);
  });

  it('caches "not found" (undefined) only with negativeTtlMs, for that long', async () => {
    const clock = new ManualClock(0);
    const plain = createCache({ clock });
    let calls = 0;
    const f = () => {
      calls++;
      return undefined;
    };
    await plain.getOrSet('missing', f);
    await plain.getOrSet('missing', f);
    expect(calls).toBe(2);

    const neg = createCache({ clock, ttlMs: 60_000, negativeTtlMs: 500 });
    calls = 0;
    expect(await neg.getOrSet('missing', f)).toBeUndefined();
    expect(await neg.getOrSet('missing', f)).toBeUndefined();
    expect(calls).toBe(1);
    expect(await neg.has('missing')).toBe(true);
    clock.advance(500);
    await neg.getOrSet('missing', f);
    expect(calls).toBe(2);
  });

  it('rejects undefined and non-JSON values in set with a clear error', async () => {
    const cache = createCache();
    await expect(cache.set('u', undefined)).rejects.toBeInstanceOf(CacheValueError);
    await expect(cache.set('b', { n: 1n })).rejects.toThrow(/not JSON-serializable/);
  });
});

describe('getOrSet under load', () => {
  it('1000 concurrent misses run the factory once and share the value', async () => {
    const cache = createCache();
    const gate = deferred<string>();
    let calls = 0;
    const factory = () => {
      calls++;
      return gate.promise;
    };
    const all = Array.from({ length: 1000 }, () => cache.getOrSet('hot', factory));
    gate.resolve('v');
    expect(new Set(await Promise.all(all))).toEqual(new Set(['v']));
    expect(calls).toBe(1);
    const s = cache.stats();
    expect(s.factoryCalls).toBe(1);
    expect(s.lookups).toBe(1000);
    expect(s.l1.hits + s.l1.misses).toBe(s.lookups);
  });

  it('shares one error with every waiter instead of replaying the failure', async () => {
    const cache = createCache();
    const gate = deferred<string>();
    let calls = 0;
    const factory = () => {
      calls++;
      return gate.promise;
    };
    const all = Array.from({ length: 50 }, () => cache.getOrSet('bad', factory).catch((e: unknown) => e));
    const boom = new Error('upstream 500');
    gate.reject(boom);
    const results = await Promise.all(all);
    expect(results.every((r) => r === boom)).toBe(true);
    expect(calls).toBe(1);
    expect(cache.stats().factoryErrors).toBe(1);
    // Nothing cached: the next call tries again.
    expect(await cache.getOrSet('bad', () => 'ok')).toBe('ok');
  });

  it('times out a slow factory and aborts its signal', async () => {
    const clock = new ManualClock(0);
    const cache = createCache({ clock });
    let signal: AbortSignal | undefined;
    const p = cache.getOrSet(
      'slow',
      (ctx) => {
        signal = ctx.signal;
        return new Promise(() => {});
      },
      { timeoutMs: 100 },
    );
    const settled = p.catch((e: unknown) => e);
    await clock.advanceAsync(100);
    expect(await settled).toBeInstanceOf(CacheFactoryTimeoutError);
    expect(signal?.aborted).toBe(true);
    expect(clock.pending()).toBe(0);
  });

  it('hands a factory that reads its signal only after the timeout an already aborted one', async () => {
    const clock = new ManualClock(0);
    const cache = createCache({ clock });
    let readLater: (() => AbortSignal) | undefined;
    const p = cache.getOrSet(
      'slow-late',
      (ctx) => {
        readLater = () => ctx.signal;
        return new Promise(() => {});
      },
      { timeoutMs: 100 },
    );
    const settled = p.catch((e: unknown) => e);
    await clock.advanceAsync(100);
    const err = await settled;
    expect(err).toBeInstanceOf(CacheFactoryTimeoutError);
    const signal = readLater!();
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe(err);
  });
});

describe('stale-while-revalidate and stale-if-error', () => {
  it('serves stale at once past the soft TTL and refreshes once in the background', async () => {
    const clock = new ManualClock(0);
    const cache = createCache({ clock, ttlMs: 1000, staleWhileRevalidateMs: 5000 });
    await cache.set('k', 'v1');
    clock.advance(1500);
    const gate = deferred<string>();
    let calls = 0;
    const factory = () => {
      calls++;
      return gate.promise;
    };
    const r1 = await cache.getOrSetWithMeta('k', factory);
    const r2 = await cache.getOrSetWithMeta('k', factory);
    expect(r1).toEqual({ value: 'v1', source: 'l1', stale: true });
    expect(r2.stale).toBe(true);
    expect(calls).toBe(1);
    const refreshed = new Promise<void>((resolve) => cache.on('set', () => resolve()));
    gate.resolve('v2');
    await refreshed;
    expect(await cache.getOrSetWithMeta('k', factory)).toEqual({ value: 'v2', source: 'l1', stale: false });
    expect(cache.stats().staleServed).toBe(2);
  });

  it('tells the factory whether a caller waits for it: a refresh behind a stale answer is background', async () => {
    const clock = new ManualClock(0);
    const cache = createCache({ clock, ttlMs: 1000, staleWhileRevalidateMs: 5000 });
    const seen: boolean[] = [];
    const refreshed = new Promise<void>((resolve) => cache.on('set', () => resolve()));
    await cache.getOrSet('k', (ctx) => {
      seen.push(ctx.background);
      return 'v1';
    });
    await refreshed;
    clock.advance(1500);
    const again = new Promise<void>((resolve) => cache.on('set', () => resolve()));
    await cache.getOrSet('k', (ctx) => {
      seen.push(ctx.background);
      return 'v2';
    });
    await again;
    expect(seen).toEqual([false, true]);
    await cache.close();
  });

  it('past the SWR window it waits for the factory', async () => {
    const clock = new ManualClock(0);
    const cache = createCache({ clock, ttlMs: 1000, staleWhileRevalidateMs: 500 });
    await cache.set('k', 'v1');
    clock.advance(1500);
    expect(await cache.getOrSetWithMeta('k', () => 'v2')).toEqual({
      value: 'v2',
      source: 'factory',
      stale: false,
    });
  });

  it('serves the last value when the factory fails, then throttles the failing factory', async () => {
    const clock = new ManualClock(0);
    const cache = createCache({ clock, ttlMs: 1000, staleIfErrorMs: 60_000, staleIfErrorThrottleMs: 2000 });
    await cache.set('k', 'good');
    clock.advance(1000);
    let calls = 0;
    const failing = () => {
      calls++;
      throw Object.assign(new Error('breaker open'), { code: 'CIRCUIT_OPEN' });
    };
    expect(await cache.getOrSetWithMeta('k', failing)).toEqual({ value: 'good', source: 'l1', stale: true });
    expect(calls).toBe(1);
    // Within the throttle the factory is not called again.
    for (let i = 0; i < 5; i++) expect(await cache.getOrSet('k', failing)).toBe('good');
    expect(calls).toBe(1);
    clock.advance(2000);
    expect(await cache.getOrSet('k', failing)).toBe('good');
    expect(calls).toBe(2);
    // Past the stale-if-error age the error reaches the caller.
    clock.advance(60_000);
    await expect(cache.getOrSet('k', failing)).rejects.toThrow('breaker open');
    const s = cache.stats();
    expect(s.factoryErrors).toBe(3);
    expect(s.staleServed).toBe(7);
  });
});

describe('tags, patterns, events, stats (L1 only)', () => {
  it('invalidateTags drops exactly the tagged entries', async () => {
    const cache = createCache();
    await cache.set('u1', 1, { tags: ['user:1', 'users'] });
    await cache.set('u2', 2, { tags: ['user:2', 'users'] });
    await cache.set('other', 3);
    await cache.invalidateTags(['user:1']);
    expect(await cache.get('u1')).toBeUndefined();
    expect(await cache.get('u2')).toBe(2);
    await cache.invalidateTags(['users']);
    expect(await cache.get('u2')).toBeUndefined();
    expect(await cache.get('other')).toBe(3);
    // A new write after invalidation is valid again.
    await cache.set('u1', 10, { tags: ['user:1'] });
    expect(await cache.get('u1')).toBe(10);
  });

  it('invalidatePattern uses Redis glob semantics in L1', async () => {
    const cache = createCache();
    for (const k of ['user:1', 'user:2', 'user:10', 'org:1', 'user:a']) await cache.set(k, k);
    await cache.invalidatePattern('user:?');
    expect(await cache.get('user:1')).toBeUndefined();
    expect(await cache.get('user:a')).toBeUndefined();
    expect(await cache.get('user:10')).toBe('user:10');
    await cache.invalidatePattern('*:1*');
    expect(await cache.get('user:10')).toBeUndefined();
    expect(await cache.get('org:1')).toBeUndefined();
  });

  it('glob matcher: literal patterns match only themselves; * matches any suffix', () => {
    const lit = fc.string({ maxLength: 12 });
    fc.assert(
      fc.property(lit, lit, (a, b) => {
        const escaped = a.replace(/[*?[\]\\]/g, '\\$&');
        expect(globToRegExp(escaped).test(a)).toBe(true);
        expect(globToRegExp(`${escaped}*`).test(a + b)).toBe(true);
        expect(globToRegExp(escaped).test(a + b)).toBe(b === '');
      }),
      { numRuns: 300 },
    );
    expect(globToRegExp('h[a-c]llo').test('hbllo')).toBe(true);
    expect(globToRegExp('h[^e]llo').test('hello')).toBe(false);
    expect(globToRegExp('h[c-a]llo').test('hbllo')).toBe(true);
  });

  it('stats add up and events fire', async () => {
    const cache = createCache();
    const seen: string[] = [];
    cache.on('hit', (e) => seen.push(`hit:${e.tier}`));
    cache.on('miss', () => seen.push('miss'));
    cache.on('set', () => seen.push('set'));
    await cache.getOrSet('a', () => 1);
    await cache.getOrSet('a', () => 1);
    await cache.get('b');
    const s = cache.stats();
    expect(s.lookups).toBe(3);
    expect(s.l1.hits).toBe(1);
    expect(s.l1.misses).toBe(2);
    expect(s.hits + s.misses).toBe(s.lookups);
    expect(s.hitRate).toBeCloseTo(1 / 3);
    expect(s.l2.state).toBe('disabled');
    expect(seen).toEqual(['miss', 'set', 'hit:l1', 'miss']);
  });

  it('peek has no side effects and delete removes', async () => {
    const cache = createCache({ l1: { maxEntries: 2 } });
    await cache.set('a', 1);
    await cache.set('b', 2);
    expect(await cache.peek('a')).toBe(1); // no recency bump: a stays least recent
    await cache.set('c', 3);
    expect(await cache.has('a')).toBe(false);
    expect(cache.stats().lookups).toBe(0);
    await cache.delete('b');
    expect(await cache.has('b')).toBe(false);
  });

  it('after close, calls reject and nothing is scheduled', async () => {
    const clock = new ManualClock(0);
    const cache = createCache({ clock });
    await cache.set('a', 1);
    void cache.getOrSet('hung', () => new Promise(() => {}), { timeoutMs: 60_000 }).catch(() => {});
    await clock.advanceAsync(0); // let the call reach the factory
    expect(clock.pending()).toBe(1);
    await cache.close();
    await expect(cache.get('a')).rejects.toThrow(/closed/);
    expect(clock.pending()).toBe(0);
  });
});
