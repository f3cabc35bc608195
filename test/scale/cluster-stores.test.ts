import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CacheOptions } from '../../src/cache/index.js';
import { createRecordingLogger, type LogRecord } from '../../src/core/index.js';
import { createSharedBreakers } from '../../src/mcp/gateway/shared-breakers.js';
import { circuitBreaker, RedisBreakerStateStore } from '../../src/resilience/index.js';
import { RedisDedupeStore } from '../../src/webhooks/index.js';
import { next } from '../cache/helpers.js';
import { openCaches } from '../cache/open-caches.js';
import { expectSetAndDeleteEvictPeer } from '../cache/peer-eviction.js';
import { expectOneFactoryCallAcross } from '../cache/stampede.js';
import { type RedisClusterHandle, startRedisCluster } from '../helpers/redis-cluster.js';

// A real three-master Redis Cluster (test/helpers/redis-cluster.ts): every store the gateway puts in
// Redis, driven over many keys so they land on every master's slots. A command that spanned two
// slots would fail here with CROSSSLOT; one that ignored MOVED would read the wrong node.

let cluster: RedisClusterHandle;
let raw: Cluster;
let seq = 0;

beforeAll(async () => {
  cluster = await startRedisCluster();
  raw = new Cluster([...cluster.nodes]);
  raw.on('error', () => {});
});
afterAll(async () => {
  raw?.disconnect();
  await cluster?.stop();
});

const prefix = () => `c${++seq}`;

const openCache = openCaches(() => ({ cluster: cluster.urls, timeoutMs: 1000 }));
/** A ready cache on the cluster; with `logs`, its log records are collected there. */
const make = (options: CacheOptions, logs?: LogRecord[]) =>
  openCache({ ...options, ...(logs ? { logger: createRecordingLogger({}, logs) } : {}) });

/** How many keys under `match` each master holds (SCAN per node, not through the cluster client). */
async function keysPerMaster(match: string): Promise<number[]> {
  return Promise.all(
    raw.nodes('master').map(async (node) => {
      let cursor = '0';
      let n = 0;
      do {
        const [next, keys] = await node.scan(cursor, 'MATCH', match, 'COUNT', 500);
        cursor = next;
        n += keys.length;
      } while (cursor !== '0');
      return n;
    }),
  );
}

const KEYS = 300;
const ids = Array.from({ length: KEYS }, (_, i) => `item:${i}`);

describe('cache L2 on a Redis Cluster', () => {
  it('set/get/delete over 300 keys spread over every master; a peer reads them from L2', async () => {
    const p = prefix();
    const logs: LogRecord[] = [];
    const a = await make({ prefix: p }, logs);
    const b = await make({ prefix: p }, logs);
    await Promise.all(ids.map((k, i) => a.set(k, { i })));
    const spread = await keysPerMaster(`${p}:d:*`);
    expect(spread.reduce((x, y) => x + y, 0)).toBe(KEYS);
    for (const n of spread) expect(n).toBeGreaterThan(0);

    const read = await Promise.all(ids.map((k) => b.getOrSetWithMeta(k, () => 'factory')));
    expect(read).toEqual(ids.map((_, i) => ({ value: { i }, source: 'l2', stale: false })));

    await Promise.all(ids.slice(0, 100).map((k) => a.delete(k)));
    expect(await keysPerMaster(`${p}:d:*`).then((s) => s.reduce((x, y) => x + y, 0))).toBe(KEYS - 100);
    expect(await b.peek('item:0')).toBeUndefined();
    expect(a.stats().l2.errors + b.stats().l2.errors).toBe(0);
    expect(logs.filter((l) => l.level === 'warn' || l.level === 'error')).toEqual([]);
  });

  it('tag invalidation: tag counters live on their own slots, entries under a bumped tag miss on every instance', async () => {
    const p = prefix();
    const a = await make({ prefix: p });
    const b = await make({ prefix: p, tagVersionTtlMs: 0 });
    // 60 users with 5 items each: tags user:<u> and a global "items".
    await Promise.all(ids.slice(0, KEYS).map((k, i) => a.set(k, i, { tags: [`user:${i % 60}`, 'items'] })));
    const tagSpread = await keysPerMaster(`${p}:t:*`);
    expect(tagSpread.reduce((x, y) => x + y, 0)).toBe(61);
    for (const n of tagSpread) expect(n).toBeGreaterThan(0);

    const heard = next(b, 'busMessage');
    await a.invalidateTags(['user:7']);
    await heard;
    for (const [i, k] of ids.entries()) {
      const got = await b.get(k);
      if (i % 60 === 7) expect(got).toBeUndefined();
      else expect(got).toBe(i);
    }
    await a.invalidateTags(['items']);
    expect(await Promise.all(ids.map((k) => a.get(k)))).toEqual(ids.map(() => undefined));
    expect(a.stats().l2.errors + b.stats().l2.errors).toBe(0);
  });

  it('invalidatePattern SCANs every master and deletes key by key', async () => {
    const p = prefix();
    const a = await make({ prefix: p });
    const b = await make({ prefix: p });
    await Promise.all(ids.map((k) => a.set(k, 1)));
    await Promise.all(ids.map((k) => a.set(`other:${k}`, 2)));
    await Promise.all(ids.slice(0, 10).map((k) => b.get(k))); // L1 copies on b
    const heard = next(b, 'busMessage');
    await a.invalidatePattern('item:*');
    await heard;
    expect(await keysPerMaster(`${p}:d:item:*`)).toEqual([0, 0, 0]);
    expect((await keysPerMaster(`${p}:d:other:*`)).reduce((x, y) => x + y, 0)).toBe(KEYS);
    for (const k of ids.slice(0, 10)) expect(await b.get(k)).toBeUndefined();
  });

  it("the bus over cluster pub/sub: a set or delete on A evicts B's L1", async () => {
    const p = prefix();
    const a = await make({ prefix: p });
    const b = await make({ prefix: p, l1: { ttlMs: 3_600_000 } });
    await expectSetAndDeleteEvictPeer(a, b);
  });

  it('the distributed lock (SET NX PX + compare-and-delete): 200 concurrent misses over two instances, one factory call', async () => {
    const p = prefix();
    const a = await make({ prefix: p, lock: { waitMs: 5000, pollMs: 5 } });
    const b = await make({ prefix: p, lock: { waitMs: 5000, pollMs: 5 } });
    await expectOneFactoryCallAcross(a, b, 200);
    // A lock's release does not hold up its caller; a closing cache waits for its releases.
    await Promise.all([a.close(), b.close()]);
    expect(await keysPerMaster(`${p}:l:*`)).toEqual([0, 0, 0]);
  });
});

describe('webhook de-duplication on a Redis Cluster', () => {
  it('claim / in-flight / extend / complete / release over 300 ids on every master (EVALSHA falls back per node)', async () => {
    const p = `${prefix()}:webhook:`;
    const one = new RedisDedupeStore({ redis: raw, prefix: p });
    const two = new RedisDedupeStore({
      redis: new Cluster([...cluster.nodes]),
      closeClient: true,
      prefix: p,
    });
    try {
      expect(await Promise.all(ids.map((id) => one.claim(id, 't1', 60_000)))).toEqual(
        ids.map(() => 'claimed'),
      );
      for (const n of await keysPerMaster(`${p}*`)) expect(n).toBeGreaterThan(0);
      expect(await Promise.all(ids.map((id) => two.claim(id, 't2', 60_000)))).toEqual(
        ids.map(() => 'in_flight'),
      );
      expect(await Promise.all(ids.map((id) => one.extend(id, 't1', 60_000)))).toEqual(ids.map(() => true));
      expect(await Promise.all(ids.map((id) => two.extend(id, 't2', 60_000)))).toEqual(ids.map(() => false));
      await Promise.all(ids.slice(0, 150).map((id) => one.complete(id, 't1', 600_000)));
      await Promise.all(ids.slice(150).map((id) => one.release(id, 't1')));
      const again = await Promise.all(ids.map((id) => two.claim(id, 't2', 60_000)));
      expect(again.slice(0, 150)).toEqual(ids.slice(0, 150).map(() => 'done'));
      expect(again.slice(150)).toEqual(ids.slice(150).map(() => 'claimed'));
    } finally {
      await one.close(); // not its client: stays open
      await two.close(); // closeClient: closes its Cluster
    }
    expect(raw.status).toBe('ready');
  });
});

describe('shared breaker state on a Redis Cluster', () => {
  it('RedisBreakerStateStore over Cluster clients: one breaker opens, the other adopts it', async () => {
    const key = `${prefix()}:breaker:payments`;
    const subA = raw.duplicate();
    const subB = raw.duplicate();
    const storeA = new RedisBreakerStateStore({ redis: raw, subscriber: subA, key });
    const storeB = new RedisBreakerStateStore({ redis: raw, subscriber: subB, key });
    try {
      await Promise.all([storeA.ready(), storeB.ready()]);
      const a = circuitBreaker({ model: { kind: 'consecutive', threshold: 1 }, store: storeA });
      const b = circuitBreaker({ model: { kind: 'consecutive', threshold: 1 }, store: storeB });
      const adopted = new Promise((r) => b.on('stateChange', (e) => e.to === 'open' && r(e)));
      await a.execute(() => Promise.reject(new Error('down'))).catch(() => {});
      expect(a.state).toBe('open');
      expect(await adopted).toMatchObject({ reason: 'store', to: 'open' });
      expect(JSON.parse((await raw.get(key))!)).toMatchObject({ state: 'open' });
    } finally {
      storeA.close();
      storeB.close();
      subA.disconnect();
      subB.disconnect();
    }
  });

  it("the gateway's shared breakers (createSharedBreakers) on a cluster target: one store per upstream key, adopted across hubs", async () => {
    const p = prefix();
    const hubA = createSharedBreakers({ cluster: cluster.urls }, { prefix: p });
    const hubB = createSharedBreakers({ cluster: cluster.urls }, { prefix: p });
    const names = Array.from({ length: 12 }, (_, i) => `api${i}`);
    try {
      const pairs = names.map((n) => ({
        a: circuitBreaker({ model: { kind: 'consecutive', threshold: 1 }, store: hubA.storeFor(n) }),
        b: circuitBreaker({ model: { kind: 'consecutive', threshold: 1 }, store: hubB.storeFor(n) }),
      }));
      await Promise.all([hubA.ready(), hubB.ready()]);
      const adopted = pairs.map(
        ({ b }) => new Promise((r) => b.on('stateChange', (e) => e.to === 'open' && r(e.reason))),
      );
      for (const { a } of pairs) await a.execute(() => Promise.reject(new Error('down'))).catch(() => {});
      expect(await Promise.all(adopted)).toEqual(names.map(() => 'store'));
      const spread = await keysPerMaster(`${p}:breaker:*`);
      expect(spread.reduce((x, y) => x + y, 0)).toBe(names.length);
    } finally {
      await Promise.all([hubA.close(), hubB.close()]);
    }
  });
});
