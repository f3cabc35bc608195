import fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { encodeEnvelope } from '../../src/cache/tiers/envelope.js';
import { globToRegExp } from '../../src/cache/index.js';
import { createRecordingLogger, ManualClock } from '../../src/core/index.js';
import { type RedisHandle, startRedis } from '../helpers/redis-server.js';
import { next } from './helpers.js';
import { openCaches } from './open-caches.js';
import { expectSetAndDeleteEvictPeer } from './peer-eviction.js';
import { expectOneFactoryCallAcross } from './stampede.js';

let redis: RedisHandle;
let raw: Redis;
let seq = 0;

beforeAll(async () => {
  redis = await startRedis();
  raw = new Redis(redis.url);
  raw.on('error', () => {}); // the fault test kills the server under it
});
afterAll(async () => {
  raw.disconnect();
  await redis.stop();
});

/** A fresh prefix per test so tests never see each other's keys or bus. */
function prefix(): string {
  return `t${++seq}`;
}

const make = openCaches(() => ({ url: redis.url, timeoutMs: 200 }));

describe('L2 and back-fill', () => {
  it('a second instance reads from L2 and its L1 copy never outlives the L2 entry', async () => {
    const clock = new ManualClock(Date.now());
    const p = prefix();
    const a = await make({ prefix: p, clock });
    const b = await make({ prefix: p, clock, l1: { ttlMs: 3_600_000 } });
    const heard = next(b, 'busMessage');
    await a.set('k', { n: 1 }, { ttlMs: 1000 });
    await heard; // otherwise the message may land mid-read, and that read rightly skips the back-fill
    expect(await b.getOrSetWithMeta('k', () => ({ n: 2 }))).toEqual({
      value: { n: 1 },
      source: 'l2',
      stale: false,
    });
    expect(await b.getOrSetWithMeta('k', () => ({ n: 2 }))).toMatchObject({ source: 'l1' });
    clock.advance(1000);
    expect(await b.get('k')).toBeUndefined();
    const s = b.stats();
    expect(s.l1.misses).toBe(s.l2.hits + s.l2.misses);
    expect(s.lookups).toBe(s.l1.hits + s.l1.misses);
  });

  it('namespaces keys by prefix', async () => {
    const a = await make({ prefix: prefix() });
    const b = await make({ prefix: prefix() });
    await a.set('same', 'a');
    expect(await b.get('same')).toBeUndefined();
  });

  it('treats corrupted and foreign L2 entries as a miss with one log line each', async () => {
    const logger = createRecordingLogger();
    const p = prefix();
    const c = await make({ prefix: p, logger });
    const entries: Record<string, string> = {
      garbage: '{not json',
      foreign: JSON.stringify({ value: 1 }),
      future: '@conduit:99;0;1;2;v;0;1',
      v1: JSON.stringify({ '@conduit': 1, c: 0, s: 1, h: 2, v: 1 }),
      badTimes: '@conduit:2;0;soon;2;v;0;1',
      hardBeforeSoft: '@conduit:2;0;5;2;v;0;1',
      badKind: '@conduit:2;0;1;2;x;0;1',
      tagsPastEnd: '@conduit:2;0;1;2;v;99;{}',
      badTags: '@conduit:2;0;1;2;v;9;{"a":"1"}1',
      noValue: '@conduit:2;0;1;2;v;0;',
      badValue: '@conduit:2;0;1;2;v;0;{"a":',
      negativeWithValue: '@conduit:2;0;1;2;n;0;1',
      proto: `@conduit:2;0;1;2;v;${'{"__proto__":{"polluted":true}}'.length};{"__proto__":{"polluted":true}}1`,
    };
    for (const [k, v] of Object.entries(entries)) await raw.set(`${p}:d:${k}`, v);
    for (const k of Object.keys(entries)) {
      expect(await c.getOrSetWithMeta(k, () => `fresh:${k}`)).toEqual({
        value: `fresh:${k}`,
        source: 'factory',
        stale: false,
      });
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const warnings = logger.records.filter((r) => r.msg?.includes('unreadable L2 entry'));
    expect(warnings.map((w) => w.key).sort()).toEqual(Object.keys(entries).sort());
    // getOrSet overwrote them with valid envelopes.
    expect(await c.get('garbage')).toBe('fresh:garbage');
  });
});

describe('stale entries from L2', () => {
  it('a fresh instance serves a stale L2 entry at once and refreshes it once (SWR)', async () => {
    const clock = new ManualClock(Date.now());
    const p = prefix();
    const opts = { prefix: p, clock, ttlMs: 1000, staleWhileRevalidateMs: 10_000 };
    const a = await make(opts);
    await a.set('k', 'v1');
    clock.advance(1500);
    const b = await make(opts);
    let calls = 0;
    const factory = () => {
      calls++;
      return 'v2';
    };
    const refreshed = next(b, 'set');
    expect(await b.getOrSetWithMeta('k', factory)).toEqual({ value: 'v1', source: 'l2', stale: true });
    await refreshed;
    expect(calls).toBe(1);
    expect(await b.getOrSetWithMeta('k', factory)).toEqual({ value: 'v2', source: 'l1', stale: false });
    expect(await raw.get(`${p}:d:k`)).toContain('"v2"');
  });

  it('stale-if-error serves the last L2 value when the factory fails', async () => {
    const clock = new ManualClock(Date.now());
    const p = prefix();
    const a = await make({ prefix: p, clock, ttlMs: 1000, staleIfErrorMs: 10_000 });
    await a.set('k', { v: 1 });
    clock.advance(5000);
    const b = await make({ prefix: p, clock, ttlMs: 1000, staleIfErrorMs: 10_000 });
    const failing = () => Promise.reject(new Error('upstream down'));
    expect(await b.getOrSetWithMeta('k', failing)).toEqual({ value: { v: 1 }, source: 'l2', stale: true });
    expect(b.stats().staleServed).toBe(1);
    clock.advance(10_000);
    await expect(b.getOrSet('k', failing)).rejects.toThrow('upstream down');
  });
});

/** A valid envelope holding 'old', fresh for a minute. */
function oldEnvelope(): string {
  const t = Date.now() + 60_000;
  return encodeEnvelope({
    value: 'old',
    negative: false,
    created: 0,
    softExpiresAt: t,
    hardExpiresAt: t,
    tags: undefined,
  });
}

describe('cross-instance invalidation', () => {
  it('set and delete on one instance evict the other instance’s L1', async () => {
    const p = prefix();
    const a = await make({ prefix: p });
    const b = await make({ prefix: p });
    await expectSetAndDeleteEvictPeer(a, b);
    expect(b.stats().bus.received).toBe(3); // set v1, set v2, del
    expect(a.stats().bus.received).toBe(0); // own messages are skipped
  });

  it('a read that a peer invalidation overtakes does not back-fill L1', async () => {
    const p = prefix();
    const c = await make({ prefix: p });
    await raw.set(`${p}:d:k`, oldEnvelope());
    const reading = c.getOrSetWithMeta('k', () => 'x');
    // The peer's "set k" arrives while the L2 GET is on the wire.
    c.onBusMessage({ t: 'set', k: 'k' });
    expect(await reading).toMatchObject({ value: 'old', source: 'l2' });
    expect(c.stats().l1.entries).toBe(0);
    // Same for a local write racing a read of the old value.
    const again = c.getOrSetWithMeta('k', () => 'x');
    const written = c.set('k', 'new');
    await Promise.all([again, written]);
    expect(await c.get('k')).toBe('new');
    await raw.set(`${p}:d:k`, oldEnvelope());
    await c.delete('k');
    await raw.set(`${p}:d:k`, oldEnvelope());
    // Without an overtaking message the same read back-fills.
    expect(await c.getOrSetWithMeta('k', () => 'x')).toMatchObject({ source: 'l2' });
    expect(await c.getOrSetWithMeta('k', () => 'x')).toMatchObject({ source: 'l1' });
  });

  it('tag invalidation on one instance is seen by both', async () => {
    const p = prefix();
    const a = await make({ prefix: p });
    const b = await make({ prefix: p });
    await a.getOrSet('u1', () => 'one', { tags: ['user:1'] });
    await a.getOrSet('u2', () => 'two', { tags: ['user:2'] });
    expect(await b.getOrSet('u1', () => 'stale?', { tags: ['user:1'] })).toBe('one');
    const heard = next(a, 'busMessage', (e) => e.type === 'tags');
    await b.invalidateTags(['user:1']);
    await heard;
    expect(await a.get('u1')).toBeUndefined();
    expect(await b.get('u1')).toBeUndefined();
    expect(await a.get('u2')).toBe('two');
    expect(await b.getOrSet('u1', () => 'new', { tags: ['user:1'] })).toBe('new');
    expect(await a.get('u1')).toBe('new');
  });

  it('without the bus, a tag invalidation is seen once the local version cache expires', async () => {
    const clock = new ManualClock(Date.now());
    const p = prefix();
    const a = await make({ prefix: p, clock, bus: false, tagVersionTtlMs: 500 });
    const b = await make({ prefix: p, clock, bus: false, tagVersionTtlMs: 500 });
    await a.set('k', 'v', { tags: ['t'] });
    expect(await b.get('k')).toBe('v');
    await a.invalidateTags(['t']);
    expect(await a.get('k')).toBeUndefined();
    clock.advance(500);
    expect(await b.get('k')).toBeUndefined();
  });

  it('invalidatePattern matches the same keys in Redis (SCAN MATCH) as in L1', async () => {
    const keyArb = fc.array(fc.constantFrom('a', 'b', 'c', ':', '1', '*'), { minLength: 1, maxLength: 5 });
    const token = fc.constantFrom('a', 'b', ':', '1', '*', '?', '[ab]', '[^a]', '[a-c]', '\\*');
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(
          keyArb.map((k) => k.join('')),
          { minLength: 1, maxLength: 12 },
        ),
        fc.array(token, { minLength: 1, maxLength: 5 }),
        async (keys, tokens) => {
          const glob = tokens.join('');
          const p = `g${++seq}`;
          await Promise.all(keys.map((k) => raw.set(`${p}:d:${k}`, '1')));
          const fromRedis: string[] = [];
          let cursor = '0';
          do {
            const [nextCursor, found] = await raw.scan(cursor, 'MATCH', `${p}:d:${glob}`, 'COUNT', 100);
            cursor = nextCursor;
            fromRedis.push(...found.map((k) => k.slice(`${p}:d:`.length)));
          } while (cursor !== '0');
          const re = globToRegExp(glob);
          expect(keys.filter((k) => re.test(k)).sort()).toEqual([...new Set(fromRedis)].sort());
        },
      ),
      { numRuns: 60 },
    );
  });

  it('invalidatePattern deletes from L2 and from peers', async () => {
    const p = prefix();
    const a = await make({ prefix: p });
    const b = await make({ prefix: p });
    for (const k of ['user:1', 'user:2', 'org:1']) await a.set(k, k);
    for (const k of ['user:1', 'user:2', 'org:1']) expect(await b.get(k)).toBe(k);
    const heard = next(b, 'busMessage', (e) => e.type === 'pattern');
    await a.invalidatePattern('user:*');
    await heard;
    expect(await b.get('user:1')).toBeUndefined();
    expect(await b.get('user:2')).toBeUndefined();
    expect(await b.get('org:1')).toBe('org:1');
    expect(await raw.exists(`${p}:d:user:1`)).toBe(0);
  });
});

describe('stampede across instances', () => {
  it('1000 concurrent misses over two instances with the lock -> 1 factory call', async () => {
    const p = prefix();
    const a = await make({ prefix: p, lock: { waitMs: 5000, pollMs: 5 } });
    const b = await make({ prefix: p, lock: { waitMs: 5000, pollMs: 5 } });
    await expectOneFactoryCallAcross(a, b, 1000);
    expect(a.stats().factoryCalls + b.stats().factoryCalls).toBe(1);
  });

  it('falls back to calling the factory after the bounded wait', async () => {
    const p = prefix();
    const c = await make({ prefix: p, lock: { waitMs: 50, pollMs: 10 } });
    await raw.set(`${p}:l:k`, 'someone-else', 'PX', 60_000); // a holder that never finishes
    expect(await c.getOrSetWithMeta('k', () => 'mine')).toEqual({
      value: 'mine',
      source: 'factory',
      stale: false,
    });
  });
});

describe('Redis faults', () => {
  it('survives Redis being killed and restarted: no caller errors, one log line per change, L1 cleared', async () => {
    const logger = createRecordingLogger();
    const p = prefix();
    const c = await make({ prefix: p, logger, l2: { timeoutMs: 100, breaker: { recoveryMs: 100 } } });
    expect(await c.getOrSet('k', () => 'v1')).toBe('v1');

    const down = next(c, 'busGap', (e) => e.phase === 'down');
    await redis.kill();
    await down;
    // Callers keep getting answers: L1 for cached keys, factories for the rest.
    for (let i = 0; i < 30; i++) {
      expect(await c.getOrSet('k', () => 'other')).toBe('v1');
      expect(await c.getOrSet(`new${i}`, () => i)).toBe(i);
    }
    expect(c.stats().l2.state).toBe('down');
    const downLines = logger.records.filter((r) => r.msg?.includes('Redis L2 unavailable'));
    expect(downLines).toHaveLength(1);

    const up = next(c, 'busGap', (e) => e.phase === 'up');
    await redis.restart();
    await up;
    // At-most-once pub/sub: anything published during the gap is lost, so L1 was dropped.
    expect(c.stats().l1.entries).toBe(0);
    // The breaker closes again on its own once a probe succeeds.
    await vi.waitFor(
      async () => {
        await c.get('absent'); // an L1 miss, so it reaches the breaker
        expect(c.stats().l2.state).toBe('up');
      },
      { timeout: 10_000, interval: 50 },
    );
    expect(logger.records.filter((r) => r.msg?.includes('Redis L2 available again'))).toHaveLength(1);
    await c.set('after', 'ok');
    expect(await raw.get(`${p}:d:after`)).toContain('"ok"');
  });
});
