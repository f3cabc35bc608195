/**
 * Waiters at scale: a bulkhead with one slot and N calls queued behind it, and a rate limiter with N
 * calls waiting for tokens, at N = 1k and 10k. The figure is CPU per waiter (process.cpuUsage over
 * queueing, waking and settling all N), so a cost that grows with the queue shows as a per-waiter
 * figure that grows with N. cockatiel's bulkhead is the peer (it has no rate limiter).
 */
import { bulkhead as cbBulkhead } from 'cockatiel';
import { bulkhead, rateLimiter } from '../../src/resilience/index.js';
import { type ContenderResult, report } from '../lib.js';

const SIZES = [1000, 10_000];
const op = async () => 1;

/** CPU µs per waiter of `run(n)`, median of `rounds`. */
async function cpuPerWaiter(n: number, run: (n: number) => Promise<void>, rounds = 3): Promise<number> {
  const xs: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = process.cpuUsage();
    await run(n);
    const d = process.cpuUsage(t0);
    xs.push((d.user + d.system) / n);
  }
  xs.sort((a, b) => a - b);
  return xs[xs.length >> 1]!;
}

async function conduitBulkhead(n: number): Promise<void> {
  const b = bulkhead({ maxConcurrent: 1, maxQueue: n });
  let release!: () => void;
  const first = b.execute(() => new Promise<number>((r) => (release = () => r(1))));
  const queued = Array.from({ length: n }, () => b.execute(op));
  if (b.queued !== n) throw new Error(`bulkhead queued ${b.queued} of ${n}`);
  release();
  await Promise.all([first, ...queued]);
}

async function cockatielBulkhead(n: number): Promise<void> {
  const b = cbBulkhead(1, n);
  let release!: () => void;
  const first = b.execute(() => new Promise<number>((r) => (release = () => r(1))));
  const queued = Array.from({ length: n }, () => b.execute(op));
  if (b.queueSlots !== 0) throw new Error(`cockatiel bulkhead did not queue all ${n}`);
  release();
  await Promise.all([first, ...queued]);
}

async function conduitRateLimiter(n: number): Promise<void> {
  // One token at once, a million per second: waiter k waits about k µs (all due within n/1000 ms).
  const l = rateLimiter({ ratePerSec: 1_000_000, burst: 1 });
  await Promise.all(Array.from({ length: n }, () => l.execute(op)));
}

export async function waitersSuite(): Promise<void> {
  const results: ContenderResult[] = [];
  const rows: [string, (n: number) => Promise<void>][] = [
    ['conduit bulkhead', conduitBulkhead],
    ['cockatiel bulkhead', cockatielBulkhead],
    ['conduit rate limiter', conduitRateLimiter],
  ];
  const perWaiter = new Map<string, number>();
  for (const [, run] of rows) await run(1000); // warm-up
  for (const n of SIZES) {
    for (const [name, run] of rows) {
      const us = await cpuPerWaiter(n, run);
      perWaiter.set(`${name} ${n}`, us);
      results.push({
        name: `${name}, ${n / 1000}k waiters`,
        opsPerSec: 1e6 / us,
        note: `${us.toFixed(2)} µs CPU per waiter`,
      });
    }
  }
  console.log('\nWaiters: CPU per queued call (ops/s = waiters per CPU-second), median of 3');
  report('resilience-waiters', 'conduit bulkhead, 1k waiters', results);
  for (const [name] of rows) {
    const growth = perWaiter.get(`${name} 10000`)! / perWaiter.get(`${name} 1000`)!;
    console.log(`${name}: per-waiter cost at 10k / at 1k = ${growth.toFixed(2)} (linear: ~1)`);
  }
}
