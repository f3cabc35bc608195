import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningGateway, startGateway } from '../../src/mcp/index.js';
import { type RedisHandle, startRedis } from '../helpers/redis-server.js';
import { type ChaosUpstream, startChaosUpstream } from './lib/fault-upstream.js';
import { chaosConfig } from './lib/gateway.js';
import { installProcessGuard, processFailures } from './lib/guard.js';
import { ClientPool, drive, forMs, handleCounts, Recorder, round } from './lib/load.js';
import { type ScenarioReport, writeScenario } from './lib/report.js';
import { testConfig } from '../helpers/gateway-config.js';

installProcessGuard();
const SOAK_MS = Number(process.env.CHAOS_SOAK_MS ?? 150_000);
const WARMUP_MS = Math.min(30_000, SOAK_MS / 4);
const SAMPLE_MS = 5000;
const WORKERS = 8;
const report: ScenarioReport = {
  id: '8-soak',
  title: `8. Soak: ${Math.round(SOAK_MS / 1000)} s at steady load (in-process gateway, Redis L2)`,
  phases: {},
  claims: {},
};

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

let redis: RedisHandle;
let upstream: ChaosUpstream;
let gateway: RunningGateway;
let pool: ClientPool;

beforeAll(async () => {
  [redis, upstream] = await Promise.all([startRedis(), startChaosUpstream()]);
  gateway = await startGateway(
    testConfig(
      chaosConfig(
        { baseUrl: upstream.url, timeouts: { total: 3000 } },
        { redisUrl: redis.url, prefix: 'soak', cacheTtl: 2000 },
      ),
    ),
    { transport: 'http' },
  );
  pool = new ClientPool(gateway.url!, WORKERS);
  upstream.keepHits = false;
});

afterAll(async () => {
  await pool?.close();
  await gateway?.close();
  await upstream?.close();
  await redis?.stop();
  writeScenario(report);
  expect(processFailures).toEqual([]);
});

const work = (w: number, n: number) => {
  const id = String((w * 31 + n * 7) % 500);
  if (n % 20 === 19) return { name: 'update_item', args: { id } };
  return { name: n % 3 ? 'get_item_cached' : 'get_item', args: { id } };
};

interface Sample {
  tMin: number;
  heapMb: number;
  rssMb: number;
  sockets: number;
  timers: number;
}

function sample(t0: number): Sample {
  gc();
  const m = process.memoryUsage();
  const h = handleCounts();
  return {
    tMin: (performance.now() - t0) / 60_000,
    heapMb: m.heapUsed / 2 ** 20,
    rssMb: m.rss / 2 ** 20,
    sockets: h.TCPSocketWrap ?? 0,
    timers: h.Timeout ?? 0,
  };
}

/** Least-squares slope of y over x. */
function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

describe('chaos 8: soak', () => {
  it('memory stays flat and handles and timers do not grow', async () => {
    const t0 = performance.now();
    const samples: Sample[] = [];
    const rec = new Recorder({ compactCapacity: 400_000 });
    const sampler = setInterval(() => {
      if (performance.now() - t0 >= WARMUP_MS) samples.push(sample(t0));
    }, SAMPLE_MS);
    try {
      await drive(pool, WORKERS, forMs(SOAK_MS), work, rec);
    } finally {
      clearInterval(sampler);
    }
    samples.push(sample(t0));
    const xs = samples.map((s) => s.tMin);
    const heapSlope = slope(
      xs,
      samples.map((s) => s.heapMb),
    );
    const rssSlope = slope(
      xs,
      samples.map((s) => s.rssMb),
    );
    const first = samples[0]!;
    const last = samples.at(-1)!;
    const maxSockets = Math.max(...samples.map((s) => s.sockets));
    const maxTimers = Math.max(...samples.map((s) => s.timers));
    report.phases.soak = {
      ...rec.figures(),
      upstreamCalls: upstream.requests,
      samples: samples.length,
      heapMbFirstLast: `${round(first.heapMb)} -> ${round(last.heapMb)}`,
      heapSlopeMbPerMin: round(heapSlope),
      rssMbFirstLast: `${round(first.rssMb)} -> ${round(last.rssMb)}`,
      rssSlopeMbPerMin: round(rssSlope),
      socketsFirstLastMax: `${first.sockets} / ${last.sockets} / ${maxSockets}`,
      timersFirstLastMax: `${first.timers} / ${last.timers} / ${maxTimers}`,
    };
    report.claims['no failed calls during the soak'] = rec.figures().ok === rec.figures().requests;
    report.claims['heap after GC flat: slope under 2 MB/min after warm-up'] = heapSlope < 2;
    report.claims['no handle growth: TCP sockets at the end <= at warm-up + workers'] =
      last.sockets <= first.sockets + WORKERS;
    report.claims['no timer growth: timers at the end <= at warm-up + workers'] =
      last.timers <= first.timers + WORKERS;
    expect(rec.figures().ok).toBe(rec.figures().requests);
    expect(samples.length).toBeGreaterThanOrEqual(3);
    expect(heapSlope).toBeLessThan(2);
    expect(last.sockets).toBeLessThanOrEqual(first.sockets + WORKERS);
    expect(last.timers).toBeLessThanOrEqual(first.timers + WORKERS);
  });
});
