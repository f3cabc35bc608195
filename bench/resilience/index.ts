/**
 * bench/resilience: ops/s of a resolved async function called bare and through resilience policies,
 * sequentially (await each call), all contenders in one process. Contenders run in interleaved rounds
 * so a noisy neighbour on a shared machine hits all of them alike. Baseline: the bare call.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ConsecutiveBreaker,
  circuitBreaker as cbCircuitBreaker,
  ExponentialBackoff,
  handleAll,
  retry as cbRetry,
  TimeoutStrategy,
  timeout as cbTimeout,
  wrap as cbWrap,
} from 'cockatiel';
import OpossumBreaker from 'opossum';
import { circuitBreaker, type PolicyContext, retry, timeout, wrap } from '../../src/resilience/index.js';
import { type ContenderResult, opsPerSecond, ratio, report, target } from '../lib.js';
import { waitersSuite } from './waiters.js';

const here = dirname(fileURLToPath(import.meta.url));
const ROUNDS = Number(process.env.BENCH_RESILIENCE_ROUNDS ?? 4);
const SLICE_MS = Number(process.env.BENCH_RESILIENCE_SLICE_MS ?? 1000);

function version(pkg: string): string {
  const file = join(here, '..', '..', 'node_modules', pkg, 'package.json');
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}

// The operation under test: a resolved async function.
const op = async () => 1;
const opReadingSignal = async (ctx: PolicyContext) => (ctx.signal.aborted ? 0 : 1);

// Same settings on both sides: 3 attempts, exponential backoff, 5 consecutive failures open for 10 s,
// 1 s timeout per attempt. Nothing fails, so every contender measures its success path.
const ourWrapTimeout = timeout(1000);
const ours = wrap(
  retry({ maxAttempts: 3, baseDelayMs: 100 }),
  circuitBreaker({ model: { kind: 'consecutive', threshold: 5 }, recoveryMs: 10_000 }),
  ourWrapTimeout,
);
const ourBreaker = circuitBreaker({ model: { kind: 'consecutive', threshold: 5 }, recoveryMs: 10_000 });
const ourRetry = retry({ maxAttempts: 3, baseDelayMs: 100 });
const ourTimeout = timeout(1000);

const cockatielRetry = cbRetry(handleAll, { maxAttempts: 3, backoff: new ExponentialBackoff() });
const cockatielBreaker = cbCircuitBreaker(handleAll, {
  halfOpenAfter: 10_000,
  breaker: new ConsecutiveBreaker(5),
});
const cockatielTimeout = cbTimeout(1000, TimeoutStrategy.Cooperative);
const cockatielWrap = cbWrap(
  cbRetry(handleAll, { maxAttempts: 3, backoff: new ExponentialBackoff() }),
  cbCircuitBreaker(handleAll, { halfOpenAfter: 10_000, breaker: new ConsecutiveBreaker(5) }),
  cbTimeout(1000, TimeoutStrategy.Cooperative),
);
const cockatielBreakerAlone = cockatielBreaker;

// opossum with its defaults (a 10 s timeout per fire, i.e. a setTimeout per call) and with the timeout
// off (the breaker alone, the harder comparison for us).
const opossumDefault = new OpossumBreaker(op);
const opossumNoTimeout = new OpossumBreaker(op, { timeout: false });

interface Contender {
  name: string;
  fn: () => unknown;
  note?: string;
  runs: number[];
}

const contenders: Contender[] = [
  { name: 'bare', fn: op, runs: [] },
  { name: 'conduit wrap(retry,breaker,timeout)', fn: () => ours.execute(op), runs: [] },
  {
    name: 'conduit wrap, op reads ctx.signal',
    fn: () => ours.execute(opReadingSignal),
    note: 'AbortController made per call',
    runs: [],
  },
  {
    name: 'new AbortController() alone',
    fn: () => (new AbortController().signal.aborted ? 0 : 1),
    note: "Node's own cost of the signal an op reads",
    runs: [],
  },
  { name: 'cockatiel wrap(retry,breaker,timeout)', fn: () => cockatielWrap.execute(op), runs: [] },
  { name: 'conduit breaker', fn: () => ourBreaker.execute(op), runs: [] },
  { name: 'cockatiel breaker', fn: () => cockatielBreakerAlone.execute(op), runs: [] },
  { name: 'opossum fire (timeout off)', fn: () => opossumNoTimeout.fire(), runs: [] },
  {
    name: 'opossum fire (defaults)',
    fn: () => opossumDefault.fire(),
    note: '10 s timeout per fire',
    runs: [],
  },
  { name: 'conduit retry', fn: () => ourRetry.execute(op), runs: [] },
  { name: 'cockatiel retry', fn: () => cockatielRetry.execute(op), runs: [] },
  { name: 'conduit timeout', fn: () => ourTimeout.execute(op), runs: [] },
  { name: 'cockatiel timeout (cooperative)', fn: () => cockatielTimeout.execute(op), runs: [] },
];

for (const c of contenders) {
  // Check once that each contender really runs the operation.
  const v = await c.fn();
  if (v !== 1) throw new Error(`${c.name} returned ${String(v)}`);
}
for (let round = 0; round < ROUNDS; round++) {
  for (const c of contenders) {
    c.runs.push(await opsPerSecond(c.fn, { durationMs: SLICE_MS, warmupMs: round === 0 ? 300 : 50 }));
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const results: ContenderResult[] = contenders.map((c) => ({
  name: c.name,
  opsPerSec: median(c.runs),
  ...(c.note ? { note: c.note } : {}),
}));

const versions = { node: process.version, cockatiel: version('cockatiel'), opossum: version('opossum') };
console.log(`versions: ${JSON.stringify(versions)}; ${ROUNDS} rounds x ${SLICE_MS} ms per contender, median`);
const result = report('resilience', 'bare', results, { versions, rounds: ROUNDS, sliceMs: SLICE_MS });
const t1 = target(
  'conduit wrap / cockatiel wrap',
  ratio(result, 'conduit wrap(retry,breaker,timeout)', 'cockatiel wrap(retry,breaker,timeout)'),
  10,
);
const t2 = target(
  'conduit breaker / cockatiel breaker',
  ratio(result, 'conduit breaker', 'cockatiel breaker'),
  1,
);
const t3 = target(
  'conduit breaker / opossum fire (timeout off)',
  ratio(result, 'conduit breaker', 'opossum fire (timeout off)'),
  5,
);
const t4 = target(
  'conduit breaker / opossum fire (defaults)',
  ratio(result, 'conduit breaker', 'opossum fire (defaults)'),
  5,
);
const t5 = target(
  'conduit wrap, op reads ctx.signal / cockatiel wrap',
  ratio(result, 'conduit wrap, op reads ctx.signal', 'cockatiel wrap(retry,breaker,timeout)'),
  8,
);
ourTimeout.dispose();
ourWrapTimeout.dispose();
console.log(`targets: ${[t1, t2, t3, t4, t5].every(Boolean) ? 'all met' : 'some missed'}`);
if (process.env.BENCH_RESILIENCE_WAITERS !== '0') await waitersSuite();
