/**
 * Shared bench helpers: every suite measures contenders in one process run, prints a table with ratios
 * to a named baseline, and writes the same figures to bench/results/<suite>.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface ContenderResult {
  name: string;
  opsPerSec: number;
  p50Ms?: number;
  p99Ms?: number;
  /** Heap growth or RSS, where a suite measures it. */
  memoryBytes?: number;
  note?: string;
}

export interface SuiteResult {
  suite: string;
  date: string;
  node: string;
  baseline: string;
  contenders: (ContenderResult & { ratio: number })[];
  extra?: Record<string, unknown>;
  /** Every `target()` checked for this result (see `target`). */
  targets?: TargetResult[];
}

/** One `target()` line as recorded in the suite's JSON. */
export interface TargetResult {
  label: string;
  value: number;
  min: number;
  pass: boolean;
}

// target() records here; report() takes what was recorded before it, and targets checked after a
// report() are added to that report's JSON (the file is rewritten). Suites need no change.
let pendingTargets: TargetResult[] = [];
let lastReport: { result: SuiteResult; file: string } | undefined;

function resultsDir(): string {
  // BENCH_RESULTS_DIR lets tests write elsewhere; suites use bench/results.
  return process.env.BENCH_RESULTS_DIR ?? join(dirname(fileURLToPath(import.meta.url)), 'results');
}

function writeResult(file: string, result: SuiteResult): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
}

/** Runs `fn` (sync or async) in a tight loop for `durationMs` after a warm-up; returns ops/s. */
export async function opsPerSecond(
  fn: () => unknown,
  {
    durationMs = 2000,
    warmupMs = 300,
    batch = 1000,
  }: { durationMs?: number; warmupMs?: number; batch?: number } = {},
): Promise<number> {
  const runFor = async (ms: number) => {
    let ops = 0;
    const start = performance.now();
    const end = start + ms;
    while (performance.now() < end) {
      for (let i = 0; i < batch; i++) {
        const r = fn();
        if (r && typeof (r as Promise<unknown>).then === 'function') await r;
      }
      ops += batch;
    }
    return (ops * 1000) / (performance.now() - start);
  };
  await runFor(warmupMs);
  return runFor(durationMs);
}

/**
 * Keeps `concurrency` calls of `fn` in flight for `durationMs`; returns ops/s and latency percentiles.
 */
export async function concurrentLoad(
  fn: () => Promise<unknown>,
  {
    concurrency = 64,
    durationMs = 3000,
    warmupMs = 500,
  }: { concurrency?: number; durationMs?: number; warmupMs?: number } = {},
): Promise<{ opsPerSec: number; p50Ms: number; p99Ms: number; errors: number }> {
  const run = async (ms: number, record: boolean) => {
    const latencies: number[] = [];
    let errors = 0;
    const start = performance.now();
    const end = start + ms;
    const worker = async () => {
      while (performance.now() < end) {
        const t0 = performance.now();
        try {
          await fn();
        } catch {
          errors++;
        }
        if (record) latencies.push(performance.now() - t0);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    const elapsed = performance.now() - start;
    return { latencies, errors, elapsed };
  };
  await run(warmupMs, false);
  const { latencies, errors, elapsed } = await run(durationMs, true);
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0;
  return { opsPerSec: (latencies.length * 1000) / elapsed, p50Ms: pct(0.5), p99Ms: pct(0.99), errors };
}

/** Median of a non-empty list; the mean of the two middle values for an even count. */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new Error('median of no values');
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/**
 * Calls `fn` `calls` times with up to `concurrency` in flight, unmeasured, so a contender's code paths
 * are compiled and its connections open before any measured round. Counted, not timed: a slow or
 * freshly spawned contender gets as many warm-up calls as a fast one. A failed call rejects.
 */
export async function warmUp(fn: () => unknown, calls: number, concurrency = 1): Promise<void> {
  let left = calls;
  const worker = async () => {
    while (left > 0) {
      left--;
      await fn();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, calls)) }, worker));
}

/**
 * Runs each contender once per round for `rounds` rounds, the order reversed every other round
 * (a, b, c; c, b, a; a, b, c…) so no contender is always first after a switch or always last. Returns
 * each contender's results, in contender order, one per round. Warm contenders up first (`warmUp`).
 */
export async function interleavedRounds<C, R>(
  contenders: readonly C[],
  rounds: number,
  run: (contender: C, round: number) => Promise<R>,
): Promise<R[][]> {
  const results: R[][] = contenders.map(() => []);
  const forward = contenders.map((_, i) => i);
  const backward = [...forward].reverse();
  for (let round = 0; round < rounds; round++) {
    for (const i of round % 2 === 0 ? forward : backward) results[i]!.push(await run(contenders[i]!, round));
  }
  return results;
}

function fmt(n: number | undefined, digits = 0): string {
  if (n === undefined) return '';
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

/**
 * Prints the table and writes bench/results/<suite>.json. Ratios are each contender / baseline.
 * Targets checked with `target()` before this call go into this JSON's `targets`; targets checked
 * after it (the usual order: `target(label, ratio(result, …), min)`) are appended to it.
 */
export function report(
  suite: string,
  baseline: string,
  contenders: ContenderResult[],
  extra?: Record<string, unknown>,
): SuiteResult {
  const base = contenders.find((c) => c.name === baseline);
  if (!base) throw new Error(`baseline ${baseline} not among contenders`);
  const rows = contenders.map((c) => ({ ...c, ratio: c.opsPerSec / base.opsPerSec }));
  const width = Math.max(...rows.map((r) => r.name.length), 10);
  console.log(
    `${'contender'.padEnd(width)}  ${'ops/s'.padStart(12)}  ${'ratio'.padStart(8)}  ${'p50 ms'.padStart(8)}  ${'p99 ms'.padStart(8)}  note`,
  );
  for (const r of rows) {
    console.log(
      `${r.name.padEnd(width)}  ${fmt(r.opsPerSec).padStart(12)}  ${fmt(r.ratio, 3).padStart(8)}  ${fmt(r.p50Ms, 3).padStart(8)}  ${fmt(r.p99Ms, 3).padStart(8)}  ${r.note ?? ''}`,
    );
  }
  const result: SuiteResult = {
    suite,
    date: new Date().toISOString(),
    node: process.version,
    baseline,
    contenders: rows,
    ...(extra ? { extra } : {}),
    targets: pendingTargets,
  };
  pendingTargets = [];
  const file = join(resultsDir(), `${suite}.json`);
  writeResult(file, result);
  lastReport = { result, file };
  return result;
}

/** Ratio of two named contenders in a result, for the "target" lines a suite prints. */
export function ratio(result: SuiteResult, a: string, b: string): number {
  const x = result.contenders.find((c) => c.name === a);
  const y = result.contenders.find((c) => c.name === b);
  if (!x || !y) throw new Error(`unknown contender ${!x ? a : b}`);
  return x.opsPerSec / y.opsPerSec;
}

/**
 * Prints "target: <label> <value> (need >= <min>) PASS|MISS" and records { label, value, min, pass }
 * in the `targets` array of the suite's JSON: in the last `report()`'s file (rewritten), or, when no
 * report was written yet, in the next one.
 */
export function target(label: string, value: number, min: number): boolean {
  const ok = value >= min;
  console.log(`target: ${label} = ${value.toFixed(2)} (need >= ${min}) ${ok ? 'PASS' : 'MISS'}`);
  const t: TargetResult = { label, value, min, pass: ok };
  if (lastReport) {
    if (!lastReport.result.targets) lastReport.result.targets = [];
    lastReport.result.targets.push(t);
    writeResult(lastReport.file, lastReport.result);
  } else pendingTargets.push(t);
  return ok;
}

/**
 * This process's environment without the `--import` of bench/built-conduit.mjs that bench/run.ts puts
 * in NODE_OPTIONS: for a process that runs no Conduit source (a peer, or Conduit's own dist/ CLI), whose
 * start-up time and memory would otherwise include a module-loader thread none of them needs.
 */
export function envWithoutBuildHook(): NodeJS.ProcessEnv {
  const options = (process.env.NODE_OPTIONS ?? '')
    .split(/\s+/)
    .filter((o) => o !== '' && !o.includes('built-conduit.mjs'))
    .join(' ');
  const env = { ...process.env };
  if (options === '') delete env.NODE_OPTIONS;
  else env.NODE_OPTIONS = options;
  return env;
}
