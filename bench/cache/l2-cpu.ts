/**
 * CPU per L2 read, by side, at 10k and 1M keys: the contenders of l2-scale.ts (raw ioredis GET, raw
 * node-redis GET, Conduit's L2 read with an L1 of one entry, and with a realistic L1), each run for a
 * fixed number of reads at 64 in flight, in rounds whose order rotates. Per read: this process's CPU
 * (user + system), its GC pause time, the redis-server's CPU (from /proc) and the time Redis itself
 * reports inside GET/MGET (INFO commandstats), and Redis commands per read. On a shared machine these
 * are steadier than ops/s, and they say which side a gap is on.
 *
 *     node --import tsx --expose-gc bench/cache/l2-cpu.ts [sizes, default 10000,1000000] [rounds, default 5]
 */
import { PerformanceObserver } from 'node:perf_hooks';
import { createClient } from '@redis/client';
import { Redis } from 'ioredis';
import { createCache } from '../../src/cache/index.js';
import { startRedis } from '../../test/helpers/redis-server.js';
import { procCpuUs } from '../gateway/cpu.js';
import { l2ScaleContenders, loadScaleKeys } from './l2-scale.js';

const sizes = (process.argv[2] ?? '10000,1000000').split(',').map(Number);
const ROUNDS = Number(process.argv[3] ?? 5);
const READS = Number(process.env.L2CPU_READS ?? 60_000);

let gcMs = 0;
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcMs += e.duration;
}).observe({ entryTypes: ['gc'] });

interface Sample {
  ops: number;
  clientUs: number;
  gcUs: number;
  serverUs: number;
  cmdUs: number;
  cmds: number;
  /** Socket reads Redis made per read: near 1/64 when all 64 in flight arrive in one write. */
  redisReads: number;
}

/** calls and usec of GET and MGET from INFO commandstats. */
async function commandStats(r: Redis): Promise<{ calls: number; usec: number }> {
  const info = await r.info('commandstats');
  let calls = 0;
  let usec = 0;
  for (const m of info.matchAll(/^cmdstat_(get|mget):calls=(\d+),usec=(\d+)/gm)) {
    calls += Number(m[2]);
    usec += Number(m[3]);
  }
  return { calls, usec };
}

async function redisReads(r: Redis): Promise<number> {
  const m = /^total_reads_processed:(\d+)/m.exec(await r.info('stats'));
  return Number(m?.[1] ?? Number.NaN);
}

async function fixedReads(fn: () => Promise<unknown>, reads: number): Promise<number> {
  let left = reads;
  const t0 = performance.now();
  const worker = async () => {
    while (left > 0) {
      left--;
      await fn();
    }
  };
  await Promise.all(Array.from({ length: 64 }, worker));
  return performance.now() - t0;
}

async function measure(fn: () => Promise<unknown>, admin: Redis, pid: number): Promise<Sample> {
  await fixedReads(fn, 5000); // warm
  const s0 = await commandStats(admin);
  const r0 = await redisReads(admin);
  const g0 = gcMs;
  const c0 = process.cpuUsage();
  const p0 = procCpuUs(pid)!;
  const ms = await fixedReads(fn, READS);
  const c = process.cpuUsage(c0);
  const p1 = procCpuUs(pid)!;
  const g = gcMs - g0;
  const s1 = await commandStats(admin);
  const r1 = await redisReads(admin);
  return {
    ops: (READS * 1000) / ms,
    clientUs: (c.user + c.system) / READS,
    gcUs: (g * 1000) / READS,
    serverUs: (p1 - p0) / READS,
    cmdUs: (s1.usec - s0.usec) / READS,
    cmds: (s1.calls - s0.calls) / READS,
    redisReads: (r1 - r0 - 2) / READS,
  };
}

const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

const server = await startRedis();
try {
  const url = server.url;
  const admin = new Redis(url);
  for (const size of sizes) {
    const prefix = `cpu${size}`;
    await loadScaleKeys(admin, size, prefix);
    const plain = new Redis(url);
    const nodeRedis = createClient({ url });
    await nodeRedis.connect();
    const l1Entries = size >= 1_000_000 ? 10_000 : size / 10;
    const base = { prefix, l2: { url }, bus: false, ttlMs: 3_600_000 } as const;
    const cold = createCache({ ...base, l1: { maxEntries: 1 } });
    const warm = createCache({ ...base, l1: { maxEntries: l1Entries } });
    const contenders = l2ScaleContenders({ plain, nodeRedis, cold, warm, size, prefix, l1Entries });
    const samples: Sample[][] = contenders.map(() => []);
    for (let round = 0; round < ROUNDS; round++) {
      for (let j = 0; j < contenders.length; j++) {
        const c = (j + round) % contenders.length;
        samples[c]!.push(await measure(contenders[c]![1], admin, server.pid()!));
      }
    }
    console.log(
      `\n${size.toLocaleString('en-US')} keys, ${READS} reads x ${ROUNDS} rounds, medians (µs per read)`,
    );
    console.log(
      'contender                          ops/s  client    (gc)  redis  in-cmd  cmds/read  redis-reads/read',
    );
    for (let c = 0; c < contenders.length; c++) {
      const s = samples[c]!;
      const f = (k: keyof Sample, d = 2) =>
        med(s.map((x) => x[k]))
          .toFixed(d)
          .padStart(7);
      console.log(
        `${contenders[c]![0].padEnd(32)} ${f('ops', 0).padStart(8)} ${f('clientUs')} ${f('gcUs')} ${f('serverUs')} ${f('cmdUs')} ${f('cmds', 3)} ${f('redisReads', 3)}`,
      );
      console.log(`  client per round: ${s.map((x) => x.clientUs.toFixed(2)).join(' ')}`);
    }
    await cold.close();
    await warm.close();
    plain.disconnect();
    await nodeRedis.quit();
    await admin.flushdb();
  }
  admin.disconnect();
} finally {
  await server.stop();
}
