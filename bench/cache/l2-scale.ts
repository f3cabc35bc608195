/**
 * L2 hit at scale: 10k and 1M keys read uniformly at random, 64 in flight, beside raw ioredis and
 * node-redis GET of the same payloads. Conduit runs twice: with an L1 of one entry (every read goes to
 * Redis) and with a realistic L1 (a tenth of the keys for 10k, 10k entries for 1M), whose hit rate is
 * printed. Keys are written straight into Redis (raw JSON and Conduit's envelope) in MSET batches so a
 * million of them load in seconds.
 */
import { createClient } from '@redis/client';
import { Redis } from 'ioredis';
import { createCache } from '../../src/cache/index.js';
import { encodeEnvelope } from '../../src/cache/tiers/envelope.js';
import { type ContenderResult, concurrentLoad, interleavedRounds, ratio, report, target } from '../lib.js';
import { cpuWindow } from '../gateway/cpu.js';

const ROUNDS = 3;

export async function loadScaleKeys(redis: Redis, size: number, prefix: string): Promise<void> {
  const now = Date.now();
  for (let from = 0; from < size; from += 1000) {
    const args: string[] = [];
    for (let i = from; i < Math.min(size, from + 1000); i++) {
      const value = { id: i, key: `item:${i}`, name: `Item number ${i}`, tags: ['a', 'b'], price: i * 1.5 };
      args.push(`raw:${prefix}:${i}`, JSON.stringify(value));
      const entry = {
        value,
        negative: false,
        created: now,
        softExpiresAt: now + 3_600_000,
        hardExpiresAt: now + 3_600_000,
        tags: undefined,
      };
      args.push(`${prefix}:d:item:${i}`, encodeEnvelope(entry));
    }
    await redis.mset(...args);
  }
}

type Cache = ReturnType<typeof createCache>;

/** The rows: each reads a key drawn uniformly at random from `size` (one xorshift32 stream for all). */
export function l2ScaleContenders(o: {
  plain: Redis;
  nodeRedis: { get(key: string): Promise<string | null> };
  cold: Cache;
  warm: Cache;
  size: number;
  prefix: string;
  l1Entries: number;
}): [string, () => Promise<unknown>][] {
  const { plain, nodeRedis, cold, warm, size, prefix, l1Entries } = o;
  // xorshift32: an LCG in doubles (seed * 1103515245 passes 2^53) cycles through ~1,000 keys only.
  let seed = 7;
  const pick = () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) % size;
  };
  const parse = (s: string | null) => (s === null ? undefined : JSON.parse(s));
  return [
    ['ioredis GET', () => plain.get(`raw:${prefix}:${pick()}`).then(parse)],
    ['node-redis GET', () => nodeRedis.get(`raw:${prefix}:${pick()}`).then(parse)],
    ['conduit L2 get (L1 of 1)', () => cold.get(`item:${pick()}`)],
    [`conduit get (L1 of ${l1Entries.toLocaleString('en-US')})`, () => warm.get(`item:${pick()}`)],
  ];
}

export async function l2ScaleSuite(
  url: string,
  size: number,
  l1Entries: number,
  redisPid?: number,
): Promise<void> {
  const label = size >= 1_000_000 ? `${size / 1_000_000}M` : `${size / 1000}k`;
  const prefix = `scale${label}`;
  const plain = new Redis(url);
  const t0 = performance.now();
  await loadScaleKeys(plain, size, prefix);
  const loadMs = performance.now() - t0;
  const nodeRedis = createClient({ url });
  await nodeRedis.connect();
  const base = { prefix, l2: { url }, bus: false, ttlMs: 3_600_000 } as const;
  const cold = createCache({ ...base, l1: { maxEntries: 1 } });
  const warm = createCache({ ...base, l1: { maxEntries: l1Entries } });
  const contenders = l2ScaleContenders({ plain, nodeRedis, cold, warm, size, prefix, l1Entries });
  for (const [name, fn] of contenders) {
    const r = (await fn()) as { id?: number } | undefined;
    if (r?.id === undefined) throw new Error(`${name} did not hit`);
  }
  const runs = await interleavedRounds(contenders, ROUNDS, async ([name, fn]) => {
    let calls = 0;
    const counted = () => {
      calls++;
      return fn();
    };
    const cpu = cpuWindow(redisPid); // warm-up included: CPU over every read made in the window
    const r = await concurrentLoad(counted, { concurrency: 64, durationMs: 600, warmupMs: 150 });
    if (r.errors > 0) throw new Error(`${name}: ${r.errors} errors`);
    return { opsPerSec: r.opsPerSec, ...cpu.end(calls) };
  });
  const s = warm.stats();
  const l1Rate = s.l1.hits / Math.max(1, s.lookups);
  const results: ContenderResult[] = contenders.map(([name], c) => {
    const mid = [...runs[c]!].sort((a, b) => a.opsPerSec - b.opsPerSec)[ROUNDS >> 1]!;
    const what =
      c === 3 ? `L1 hit rate ${(100 * l1Rate).toFixed(1)} %` : `${size.toLocaleString('en-US')} keys`;
    const redis = mid.serverUs === undefined ? '' : `, redis ${mid.serverUs.toFixed(1)}`;
    return {
      name,
      opsPerSec: mid.opsPerSec,
      note: `${what}; CPU µs/read: client ${mid.clientUs.toFixed(1)}${redis}`,
    };
  });
  console.log(
    `\nL2 hit, ${label} keys read at random, 64 in flight, median of ${ROUNDS} interleaved rounds; CPU per read of this process and of redis-server (loaded in ${(loadMs / 1000).toFixed(1)} s)`,
  );
  const r = report(`cache-l2-${label}`, 'ioredis GET', results);
  target(
    `L2 hit (${label} keys) / plain ioredis GET`,
    ratio(r, 'conduit L2 get (L1 of 1)', 'ioredis GET'),
    1.0,
  );
  target(
    `L2 hit (${label} keys) / raw node-redis GET`,
    ratio(r, 'conduit L2 get (L1 of 1)', 'node-redis GET'),
    0.6,
  );
  await cold.close();
  await warm.close();
  await plain.flushdb();
  plain.disconnect();
  await nodeRedis.quit();
}
