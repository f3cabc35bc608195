import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type CacheOptions, createCache, type TieredCache } from '../../src/cache/index.js';
import { GET_OR_CLAIM_SCRIPT } from '../../src/redis/driver.js';
import { TagVersions } from '../../src/cache/tiers/tags.js';
import { createRecordingLogger, ManualClock } from '../../src/core/index.js';
import { type RedisHandle, startRedis } from '../helpers/redis-server.js';
import { next } from './helpers.js';

let redis: RedisHandle;
let raw: Redis;
const open: TieredCache[] = [];
const clients: Redis[] = [];
let seq = 0;

beforeAll(async () => {
  redis = await startRedis();
  raw = new Redis(redis.url);
  raw.on('error', () => {});
});
afterAll(async () => {
  raw.disconnect();
  await redis.stop();
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
  for (const c of clients.splice(0)) c.disconnect();
});

/** A client we own, whose SCAN the test can slow down or hold (to model a large, slow keyspace). */
function ownClient(): Redis {
  const c = new Redis(redis.url);
  c.on('error', () => {});
  clients.push(c);
  return c;
}

async function fill(p: string, n: number): Promise<void> {
  const pipe = raw.pipeline();
  for (let i = 0; i < n; i++) pipe.set(`${p}:d:k${i}`, 'x');
  await pipe.exec();
}

async function countKeys(p: string): Promise<number> {
  let n = 0;
  let cursor = '0';
  do {
    const [nextCursor, keys] = await raw.scan(cursor, 'MATCH', `${p}:d:*`, 'COUNT', 1000);
    cursor = nextCursor;
    n += keys.length;
  } while (cursor !== '0');
  return n;
}

function prefix(): string {
  return `r${++seq}`;
}

async function make(options: CacheOptions): Promise<TieredCache> {
  const c = createCache({ ...options, l2: { url: redis.url, timeoutMs: 200, ...options.l2 } });
  open.push(c);
  await c.ready();
  return c;
}

describe('sizes', () => {
  it('an entry back-filled from L2 counts what the same value set locally counts: its heap estimate', async () => {
    const p = prefix();
    const a = await make({ prefix: p, bus: false });
    const b = await make({ prefix: p, bus: false });
    await a.set('k', 'é€😀'.repeat(50));
    expect(await b.get('k')).toBe('é€😀'.repeat(50));
    expect(b.stats().l1.bytes).toBe(a.stats().l1.bytes);
    // A two-byte string of 200 UTF-16 units holds at least 400 bytes of heap.
    expect(b.stats().l1.bytes).toBeGreaterThan(400);
  });
});

describe('invalidatePattern / clear over a large keyspace', () => {
  it('times each SCAN round trip on its own: many slow round trips add up past the per-call timeout', async () => {
    const p = prefix();
    const clock = new ManualClock(Date.now());
    const client = ownClient();
    const scan = client.scan.bind(client) as (...a: unknown[]) => Promise<[string, string[]]>;
    let scans = 0;
    // Each round trip takes 150 ms of (manual) time, under the 200 ms per-call timeout.
    (client as unknown as { scan: unknown }).scan = (...a: unknown[]) => {
      scans++;
      clock.advance(150);
      return scan(...a);
    };
    const c = await make({ prefix: p, clock, bus: false, l2: { redis: client, timeoutMs: 200 } });
    await fill(p, 1200);
    await c.invalidatePattern('k*');
    expect(scans).toBeGreaterThanOrEqual(3); // together well past 200 ms
    expect(c.stats().l2.errors).toBe(0);
    expect(await countKeys(p)).toBe(0);
    await fill(p, 600);
    await c.clear();
    expect(c.stats().l2.errors).toBe(0);
    expect(await countKeys(p)).toBe(0);
  });

  it('a round trip that times out ends the loop: no SCAN after the failure', async () => {
    const p = prefix();
    const clock = new ManualClock(Date.now());
    const client = ownClient();
    const scan = client.scan.bind(client) as (...a: unknown[]) => Promise<[string, string[]]>;
    let scans = 0;
    let release!: (r: [string, string[]]) => void;
    let secondStarted!: () => void;
    const second = new Promise<void>((r) => {
      secondStarted = r;
    });
    (client as unknown as { scan: unknown }).scan = (...a: unknown[]) => {
      scans++;
      if (scans !== 2) return scan(...a);
      secondStarted();
      // Held until the test releases it, then answers "more to come, nothing in this batch".
      return new Promise<[string, string[]]>((r) => {
        release = r;
      });
    };
    const c = await make({ prefix: p, clock, bus: false, l2: { redis: client, timeoutMs: 200 } });
    await fill(p, 1000);
    const failed = next(c, 'l2Error', (e) => e.op === 'invalidatePattern');
    const done = c.invalidatePattern('*');
    await second;
    clock.advance(200);
    await done; // callers never see the L2 error
    expect((await failed).error).toMatchObject({ code: 'TIMEOUT' });
    release(['7', []]);
    // Let every continuation that the late answer could trigger run (microtasks only: no network).
    await new Promise((r) => setImmediate(r));
    expect(scans).toBe(2);
  });
});

describe('distributed lock when Redis fails', () => {
  it('a failed lock attempt calls the factory at once instead of waiting for a peer', async () => {
    const p = prefix();
    const clock = new ManualClock(Date.now());
    const client = ownClient();
    const set = client.set.bind(client) as (...a: unknown[]) => Promise<unknown>;
    let lockAttempts = 0;
    (client as unknown as { set: unknown }).set = (...a: unknown[]) => {
      if (!a.includes('NX')) return set(...a);
      lockAttempts++;
      return Promise.reject(new Error('lock command failed'));
    };
    const c = await make({
      prefix: p,
      clock,
      bus: false,
      lock: { waitMs: 60_000, pollMs: 1000 },
      l2: { redis: client, timeoutMs: 200 },
    });
    const failed = next(c, 'l2Error', (e) => e.op === 'lock');
    // The manual clock never moves: a caller that waited for the lock would never get here.
    expect(await c.getOrSet('k', () => 'fresh')).toBe('fresh');
    await failed;
    expect(lockAttempts).toBe(1);
    expect(c.stats().factoryCalls).toBe(1);
  });

  it('stops waiting for a peer’s lock as soon as L2 is known down', async () => {
    const p = prefix();
    const clock = new ManualClock(Date.now());
    const client = ownClient();
    (client as unknown as { get: unknown }).get = () => Promise.reject(new Error('read failed'));
    // A fill's first read is the claim script: it fails the same way.
    const evalFn = client.eval.bind(client) as (...a: unknown[]) => Promise<unknown>;
    (client as unknown as { eval: unknown }).eval = (...a: unknown[]) =>
      a[0] === GET_OR_CLAIM_SCRIPT ? Promise.reject(new Error('read failed')) : evalFn(...a);
    const set = client.set.bind(client) as (...a: unknown[]) => Promise<unknown>;
    let lockRefused!: () => void;
    const refused = new Promise<void>((r) => {
      lockRefused = r;
    });
    (client as unknown as { set: unknown }).set = (...a: unknown[]) =>
      a.includes('NX') ? set(...a).finally(lockRefused) : set(...a);
    await raw.set(`${p}:l:k`, 'peer', 'PX', 60_000); // a peer holds the lock
    const c = await make({
      prefix: p,
      clock,
      bus: false,
      lock: { waitMs: 60_000, pollMs: 20 },
      l2: { redis: client, timeoutMs: 200, breaker: { model: { kind: 'consecutive', threshold: 2 } } },
    });
    const down = next(c, 'l2State', (e) => e.state === 'down');
    const firstError = next(c, 'l2Error');
    const result = c.getOrSet('k', () => 'fresh');
    await firstError; // the initial L2 read fails
    await refused;
    await new Promise((r) => setImmediate(r)); // the waiter has scheduled its first poll
    // Each poll fails until the breaker opens.
    while (c.stats().l2.state !== 'down') {
      const err = next(c, 'l2Error');
      clock.advance(20);
      await err;
      await new Promise((r) => setImmediate(r)); // the next poll is scheduled (or the waiter gave up)
    }
    await down;
    // Without advancing the clock any further: the waiter gave up and called the factory.
    expect(await result).toBe('fresh');
    expect(c.stats().factoryCalls).toBe(1);
  });
});

describe('invalidateTags with Redis down', () => {
  it('logs the local-only fallback once per outage, not once per call', async () => {
    const clock = new ManualClock(Date.now());
    const logger = createRecordingLogger();
    const client = ownClient();
    // Tag counters are bumped by a script (EVAL): fail that.
    const evalScript = client.eval.bind(client) as (...a: unknown[]) => Promise<unknown>;
    let failing = false;
    (client as unknown as { eval: unknown }).eval = (...a: unknown[]) =>
      failing ? Promise.reject(new Error('eval failed')) : evalScript(...a);
    const c = await make({
      prefix: prefix(),
      clock,
      logger,
      bus: false,
      l2: { redis: client, timeoutMs: 200, breaker: { recoveryMs: 1000 } },
    });
    const fallbacks = () =>
      logger.records.filter(
        (r) => r.msg === 'cache: Redis unavailable; tags invalidated in this instance only',
      ).length;
    await c.set('k', 1, { tags: ['user:1'] });
    failing = true;
    for (let i = 0; i < 10; i++) await c.invalidateTags(['user:1']);
    expect(c.stats().l2.state).toBe('down'); // the breaker opened along the way
    expect(fallbacks()).toBe(1);
    expect(await c.get('k')).toBeUndefined(); // still invalidated locally
    // Redis comes back: the breaker's probe succeeds and the state goes up again.
    failing = false;
    clock.advance(1000);
    const up = next(c, 'l2State', (e) => e.state === 'up');
    await c.invalidateTags(['user:1']);
    await up;
    expect(fallbacks()).toBe(1);
    // A new outage is worth a new line.
    failing = true;
    for (let i = 0; i < 3; i++) await c.invalidateTags(['user:1']);
    expect(fallbacks()).toBe(2);
  });
});

describe('close() with callers waiting', () => {
  it('rejects callers waiting on a factory with CacheClosedError and drops its late value', async () => {
    const c = createCache({ bus: false });
    let finish!: (v: string) => void;
    let started!: () => void;
    const running = new Promise<void>((r) => {
      started = r;
    });
    const factory = () => {
      started();
      return new Promise<string>((r) => {
        finish = r;
      });
    };
    const first = c.getOrSet('k', factory);
    const second = c.getOrSetWithMeta('k', factory);
    await running;
    await c.close();
    await expect(first).rejects.toMatchObject({ code: 'CACHE_CLOSED' });
    await expect(second).rejects.toMatchObject({ code: 'CACHE_CLOSED' });
    finish('late');
    await new Promise((r) => setImmediate(r));
    expect(c.stats().l1.entries).toBe(0);
  });

  it('rejects a caller waiting with Redis as L2 too', async () => {
    const c = await make({ prefix: prefix(), lock: true });
    let started!: () => void;
    const running = new Promise<void>((r) => {
      started = r;
    });
    const pending = c.getOrSet('k', () => {
      started();
      return new Promise<string>(() => {}); // never settles
    });
    await running;
    await c.close();
    await expect(pending).rejects.toMatchObject({ code: 'CACHE_CLOSED' });
  });
});

describe('tag version counters', () => {
  it('expire: each tagged write makes its counters outlive the entry, invalidations create them with a TTL', async () => {
    const p = prefix();
    const c = await make({ prefix: p, bus: false, staleIfErrorMs: 10_000 });
    const counter = `${p}:t:user:1`;
    await c.set('a', 1, { ttlMs: 5000, tags: ['user:1'] });
    const first = await raw.pttl(counter);
    expect(first).toBeGreaterThan(5000 + 10_000); // past the entry's hard TTL (fresh + stale-if-error)
    await c.set('b', 2, { ttlMs: 100_000, tags: ['user:1'] });
    expect(await raw.pttl(counter)).toBeGreaterThan(100_000 + 10_000); // extended by the longer entry
    await c.set('c', 3, { ttlMs: 1000, tags: ['user:1'] });
    expect(await raw.pttl(counter)).toBeGreaterThan(100_000); // never shortened
    await c.invalidateTags(['user:2']);
    expect(await raw.pttl(`${p}:t:user:2`)).toBeGreaterThan(0); // not -1: it expires too
    // A counter left without a TTL (older versions) gets one on the next tagged write.
    await raw.set(`${p}:t:legacy`, '7');
    await c.set('d', 4, { tags: ['legacy'] });
    expect(await raw.pttl(`${p}:t:legacy`)).toBeGreaterThan(0);
  });

  it('a lost counter reads as a new version: entries written under it become misses', async () => {
    const p = prefix();
    const a = await make({ prefix: p, bus: false });
    await a.invalidateTags(['t']);
    await a.set('k', 'old', { tags: ['t'] });
    const b = await make({ prefix: p, bus: false });
    expect(await b.get('k')).toBe('old'); // valid while the counter is there
    await raw.del(`${p}:t:t`); // lost (eviction, restart without persistence, failover)
    const c = await make({ prefix: p, bus: false });
    expect(await c.get('k')).toBeUndefined();
    // Invalidated again after the loss: the re-created counter must not land on the recorded value.
    await a.invalidateTags(['t']);
    const d = await make({ prefix: p, bus: false });
    expect(await d.get('k')).toBeUndefined();
    // A fresh write under the new counter is a hit again.
    await a.set('k', 'new', { tags: ['t'] });
    const e = await make({ prefix: p, bus: false });
    expect(await e.get('k')).toBe('new');
  });

  it('the local counter cache is bounded (LRU)', async () => {
    const p = prefix();
    const c = await make({ prefix: p, bus: false, maxTagVersions: 5 });
    for (let i = 0; i < 20; i++) await c.set(`k${i}`, i, { tags: [`user:${i}`] });
    expect((c as unknown as { stack: { tags: { size: number } } }).stack.tags.size).toBe(5);
    // Forgotten counters are asked of Redis again: every entry still reads back.
    for (let i = 0; i < 20; i++) expect(await c.get(`k${i}`)).toBe(i);
    const local = new TagVersions(undefined, 1000, 1000, 3);
    for (let i = 0; i < 10; i++) local.learn(`t${i}`, 1, 0);
    expect(local.size).toBe(3);
  });
});
