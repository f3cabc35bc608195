import { createClient } from '@redis/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCache, createNodeRedisDriver, type RedisDriver } from '../../src/cache/index.js';
import { decodeEnvelopeFast, encodeEnvelope, type StoredEntry } from '../../src/cache/tiers/envelope.js';
import { MAX_DEPTH } from '../../src/cache/tiers/size.js';
import { createRecordingLogger, ManualClock } from '../../src/core/index.js';
import { type RedisHandle, startRedis } from '../helpers/redis-server.js';
import { next } from './helpers.js';

const entry = (over: Partial<StoredEntry>): StoredEntry => ({
  value: { a: 1, s: 'x;y' },
  negative: false,
  created: 1_795_000_000_000,
  softExpiresAt: 1_795_000_060_000,
  hardExpiresAt: 1_795_000_120_000,
  tags: undefined,
  ...over,
});

describe('envelope v2 (header + JSON)', () => {
  it('round-trips values, negatives, tags and any non-negative timestamps', () => {
    const cases: StoredEntry[] = [
      entry({}),
      entry({ value: 'a;b;c' }),
      entry({ value: null }),
      entry({ value: 0 }),
      entry({ negative: true, value: undefined }),
      entry({ tags: { 'user:1': 3, 'a;b': 9_007_199_254_740_991 } }),
      entry({ negative: true, value: undefined, tags: { t: 1 } }),
      // A fractional TTL, a timestamp past 15 digits and one JS prints in exponent form.
      entry({ created: 0, softExpiresAt: 1.5, hardExpiresAt: 1e21 }),
      entry({ softExpiresAt: 9_007_199_254_740_991, hardExpiresAt: 9_007_199_254_740_991 }),
    ];
    for (const e of cases) expect(decodeEnvelopeFast(encodeEnvelope(e))).toEqual(e);
  });

  it('refuses corrupted or foreign values with a reason, never throwing', () => {
    const bad: Record<string, string> = {
      '{"@conduit":1,"c":0,"s":1,"h":2,"v":1}': 'unsupported envelope version',
      '@conduit:3;0;1;2;v;0;1': 'unsupported envelope version',
      'plain text': 'foreign value (no envelope header)',
      '': 'foreign value (no envelope header)',
      '@conduit:2;': 'bad timestamps',
      '@conduit:2;0;1': 'bad timestamps',
      '@conduit:2;0;;2;v;0;1': 'bad timestamps',
      '@conduit:2;-1;1;2;v;0;1': 'bad timestamps',
      '@conduit:2;0;1e;2;v;0;1': 'bad timestamps',
      '@conduit:2;0;1; 2;v;0;1': 'bad timestamps',
      '@conduit:2;0;5;2;v;0;1': 'bad timestamps',
      '@conduit:2;0;1;2;x;0;1': 'bad header',
      '@conduit:2;0;1;2;v': 'bad header',
      '@conduit:2;0;1;2;v;1.5;{}': 'bad header',
      '@conduit:2;0;1;2;v;99;{}': 'bad header',
      '@conduit:2;0;1;2;n;0;1': 'bad header',
      '@conduit:2;0;1;2;v;2;[]1': 'bad tags',
      '@conduit:2;0;1;2;v;9;{"a":"1"}1': 'bad tags',
      '@conduit:2;0;1;2;v;3;{"a1': 'bad tags',
      '@conduit:2;0;1;2;v;0;': 'no value',
      '@conduit:2;0;1;2;v;0;{"a":': 'value is not JSON',
    };
    for (const [raw, reason] of Object.entries(bad))
      expect([raw, decodeEnvelopeFast(raw)]).toEqual([raw, reason]);
  });

  it('refuses a value nested deeper than the cache stores, as a miss (serving it would overflow the stack)', () => {
    const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);
    const objects = (n: number) => '{"a":'.repeat(n - 1) + '{}' + '}'.repeat(n - 1);
    for (const value of [deep(200_000), objects(200_000), deep(MAX_DEPTH + 2)])
      expect(decodeEnvelopeFast(`@conduit:2;0;1;2;v;0;${value}`)).toBe('value nested too deep');
    // As deep as a cached value may be still reads.
    const ok = decodeEnvelopeFast(`@conduit:2;0;1;2;v;0;${deep(MAX_DEPTH + 1)}`) as StoredEntry;
    expect(Array.isArray(ok.value)).toBe(true);
  });

  it('a "__proto__" key in tags or value stays data', () => {
    const tags = '{"__proto__":{"polluted":true}}';
    expect(decodeEnvelopeFast(`@conduit:2;0;1;2;v;${tags.length};${tags}1`)).toBe('bad tags');
    const r = decodeEnvelopeFast('@conduit:2;0;1;2;v;0;{"__proto__":{"polluted":true}}') as StoredEntry;
    expect(Object.hasOwn(r.value as object, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('L2 reads: timeout, breaker and corrupted entries', () => {
  let redis: RedisHandle;
  const clients: { quit(): Promise<unknown> }[] = [];
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    for (const c of clients) await c.quit().catch(() => {});
    await redis.stop();
  });

  /** A real node-redis driver whose GETs the test can hold (they then never answer by themselves). */
  async function holdableDriver() {
    const client = createClient({ url: redis.url });
    clients.push(client);
    await client.connect();
    const real = createNodeRedisDriver(client);
    const held: { key: string; answer: () => void }[] = [];
    let holding = false;
    // Reads leave at the end of their tick (coalescing): a test waits until one reached the driver.
    const arrivals: { n: number; resolve: () => void }[] = [];
    const arrived = () => {
      for (const a of arrivals.filter((x) => held.length >= x.n)) {
        arrivals.splice(arrivals.indexOf(a), 1);
        a.resolve();
      }
    };
    const reached = (n: number) =>
      new Promise<void>((resolve) => {
        arrivals.push({ n, resolve });
        arrived();
      });
    const driver: RedisDriver = {
      ...real,
      get(key) {
        if (!holding) return real.get(key);
        return new Promise((resolve, reject) => {
          held.push({ key, answer: () => real.get(key).then(resolve, reject) });
          arrived();
        });
      },
      mget(keys) {
        if (!holding) return real.mget!(keys);
        return new Promise((resolve, reject) => {
          held.push({ key: keys.join(' '), answer: () => real.mget!(keys).then(resolve, reject) });
          arrived();
        });
      },
    };
    return { driver, held, reached, hold: (on: boolean) => (holding = on) };
  }

  it('a read that outlives timeoutMs is a miss counted as an L2 TIMEOUT; its late answer is ignored', async () => {
    const clock = new ManualClock(Date.now());
    const { driver, held, reached, hold } = await holdableDriver();
    const c = createCache({
      prefix: 'rp1',
      clock,
      bus: false,
      l1: { maxEntries: 1 },
      l2: { driver, timeoutMs: 200 },
    });
    await c.set('k', 'v');
    await c.set('other', 'o'); // evicts k from the one-entry L1
    hold(true);
    const failed = next(c, 'l2Error', (e) => e.op === 'get');
    const read = c.get('k');
    await reached(1);
    expect(held.map((h) => h.key)).toEqual(['rp1:d:k']);
    clock.advance(199);
    clock.advance(1);
    expect(await read).toBeUndefined();
    expect((await failed).error).toMatchObject({ code: 'TIMEOUT', phase: 'l2', timeoutMs: 200 });
    expect(c.stats().l2.errors).toBe(1);
    // The late answer neither resolves anything twice nor back-fills L1.
    held[0]!.answer();
    await new Promise((r) => setImmediate(r));
    await c.close();
    hold(false);
  });

  it('timed-out reads count as breaker failures: the fifth opens it and later reads skip Redis', async () => {
    const clock = new ManualClock(Date.now());
    const { driver, held, reached, hold } = await holdableDriver();
    const c = createCache({
      prefix: 'rp2',
      clock,
      bus: false,
      l1: { maxEntries: 1 },
      l2: { driver, timeoutMs: 100 },
    });
    hold(true);
    for (let i = 0; i < 5; i++) {
      const r = c.get(`k${i}`);
      await reached(i + 1);
      clock.advance(100);
      expect(await r).toBeUndefined();
    }
    expect(c.stats().l2).toMatchObject({ errors: 5, state: 'down' });
    const before = held.length;
    expect(await c.get('k9')).toBeUndefined();
    expect(held.length).toBe(before); // the open breaker kept it off the wire
    expect(c.stats().l2.skipped).toBe(1);
    await c.close();
  });

  it('an answer in time is served and back-filled; a corrupted entry is a miss with one log line', async () => {
    const clock = new ManualClock(Date.now());
    const logger = createRecordingLogger();
    const { driver } = await holdableDriver();
    const c = createCache({ prefix: 'rp3', clock, logger, bus: false, l2: { driver, timeoutMs: 100 } });
    const writer = createCache({ prefix: 'rp3', clock, bus: false, l2: { driver, timeoutMs: 100 } });
    await writer.set('k', { n: 1 }, { tags: ['t'] });
    expect(await c.get('k')).toEqual({ n: 1 });
    expect(c.stats().l2.hits).toBe(1);
    expect(await c.get('k')).toEqual({ n: 1 });
    expect(c.stats().l1.hits).toBe(1);
    await driver.set('rp3:d:bad', '@conduit:2;0;1;x;v;0;1', 60_000);
    expect(await c.get('bad')).toBeUndefined();
    const warnings = logger.records.filter((r) => r.msg?.includes('unreadable L2 entry'));
    expect(warnings).toMatchObject([{ key: 'bad', reason: 'bad timestamps' }]);
    await c.close();
    await writer.close();
  });
});

describe('L2 reads coalesced per tick', () => {
  let redis: RedisHandle;
  const clients: { quit(): Promise<unknown> }[] = [];
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    for (const c of clients) await c.quit().catch(() => {});
    await redis.stop();
  });

  /** A real node-redis driver that counts its reads and can hold MGET answers (fetched at once). */
  async function countingDriver() {
    const client = createClient({ url: redis.url });
    clients.push(client);
    await client.connect();
    const real = createNodeRedisDriver(client);
    const calls = { get: 0, mget: [] as string[][] };
    const held: (() => void)[] = [];
    let holding = false;
    let onHeld: (() => void) | undefined;
    const driver: RedisDriver = {
      ...real,
      get(key) {
        calls.get++;
        return real.get(key);
      },
      mget(keys) {
        calls.mget.push(keys);
        const answer = real.mget!(keys);
        if (!holding) return answer;
        // Read now, delivered when the test says: an answer overtaken by what happens meanwhile.
        return new Promise((resolve, reject) => {
          held.push(() => answer.then(resolve, reject));
          onHeld?.();
        });
      },
    };
    const heldOne = () => new Promise<void>((r) => (onHeld = r));
    return { driver, calls, held, heldOne, hold: (on: boolean) => (holding = on) };
  }

  it('sends the reads of one tick as one MGET and hands each caller its own entry', async () => {
    const logger = createRecordingLogger();
    const { driver, calls } = await countingDriver();
    const opts = { prefix: 'co1', bus: false, l1: { maxEntries: 1 }, l2: { driver } } as const;
    const writer = createCache(opts);
    const c = createCache({ ...opts, logger });
    for (let i = 0; i < 10; i++) await writer.set(`k${i}`, { i });
    await driver.set('co1:d:bad', 'not an envelope', 60_000);
    calls.get = 0;
    calls.mget = [];
    const keys = [...Array.from({ length: 10 }, (_, i) => `k${i}`), 'missing', 'bad', 'k3'];
    const got = await Promise.all(keys.map((k) => c.get(k)));
    expect(got).toEqual([...Array.from({ length: 10 }, (_, i) => ({ i })), undefined, undefined, { i: 3 }]);
    expect(calls.mget).toEqual([keys.map((k) => `co1:d:${k}`)]);
    expect(calls.get).toBe(0);
    expect(c.stats().l2).toMatchObject({ hits: 11, misses: 2 });
    expect(logger.records.filter((r) => r.msg?.includes('unreadable L2 entry'))).toMatchObject([
      { key: 'bad' },
    ]);
    // A read alone in its tick is a plain GET.
    expect(await c.get('k1')).toEqual({ i: 1 });
    expect([calls.get, calls.mget.length]).toEqual([1, 1]);
    await c.close();
    await writer.close();
  });

  it('a coalesced read overtaken by a delete serves what it read but does not keep it in L1', async () => {
    const { driver, calls, held, heldOne, hold } = await countingDriver();
    const opts = { prefix: 'co2', bus: false, l2: { driver } } as const;
    const writer = createCache(opts);
    const c = createCache(opts);
    await writer.set('k', 'old');
    await writer.set('j', 'other');
    hold(true);
    const arrived = heldOne();
    const reads = Promise.all([c.get('k'), c.get('j')]);
    await arrived; // the MGET has read both values
    hold(false);
    await c.delete('k');
    held[0]!();
    expect(await reads).toEqual(['old', 'other']);
    expect(calls.mget).toHaveLength(1);
    expect(await c.get('k')).toBeUndefined(); // not back-filled: L1 missed and L2 has nothing
    expect(await c.get('j')).toBe('other');
    expect(c.stats().l1.hits).toBe(1); // j was back-filled
    await c.close();
    await writer.close();
  });

  it('on a Redis Cluster splits one tick of reads into one MGET per hash slot', async () => {
    const { startRedisCluster } = await import('../helpers/redis-cluster.js');
    const { createIoredisDriver } = await import('../../src/cache/index.js');
    const { keySlot } = await import('../../src/redis/key-slot.js');
    const cluster = await startRedisCluster();
    const driver = createIoredisDriver({ cluster: [...cluster.urls] });
    try {
      const c = createCache({ prefix: 'co3', bus: false, l1: { maxEntries: 1 }, l2: { driver } });
      const keys = Array.from({ length: 40 }, (_, i) => `k${i}`);
      for (const k of keys) await c.set(k, k);
      expect(new Set(keys.map((k) => keySlot(`co3:d:${k}`))).size).toBeGreaterThan(10);
      expect(await Promise.all(keys.map((k) => c.get(k)))).toEqual(keys);
      expect(c.stats().l2.errors).toBe(0);
      await c.close();
    } finally {
      await driver.close();
      await cluster.stop();
    }
  }, 60_000);
});

describe('Redis Cluster key slots', () => {
  it('match the slots Redis Cluster assigns, hash tags included', async () => {
    const { keySlot } = await import('../../src/redis/key-slot.js');
    // Values from the Redis Cluster specification and CLUSTER KEYSLOT.
    expect(keySlot('foo')).toBe(12182);
    expect(keySlot('123456789')).toBe(12739);
    expect(keySlot('{user1000}.following')).toBe(keySlot('{user1000}.followers'));
    expect(keySlot('{user1000}.following')).toBe(keySlot('user1000'));
    expect(keySlot('foo{{bar}}zap')).toBe(keySlot('{bar'));
    expect(keySlot('foo{bar}{zap}')).toBe(keySlot('bar'));
  });
});
