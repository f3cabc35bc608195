/**
 * The resilience core against a local flaky HTTP server: run `npx tsx examples/flaky-server.ts`.
 *
 * Phase 1: the server fails 40% of requests (503 with Retry-After: 0, or a hang) — retry, the
 * per-attempt timeout and the breaker turn that into successful calls.
 * Phase 2: the server goes down — the breaker opens, calls fail fast and the fallback answers.
 * Phase 3: the server recovers — after the recovery time one probe closes the breaker again.
 * Timers are unref'd, so the open HTTP server is what keeps this script alive until it closes it.
 * The script closes its server and ends by itself (no process.exit): no policy leaves a timer behind.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  bulkhead,
  CircuitOpenError,
  circuitBreaker,
  fallback,
  retry,
  retryBudget,
  sleep,
  TimeoutError,
  timeout,
  wrap,
} from 'conduit-mcp/resilience';

let mode: 'flaky' | 'down' | 'up' = 'flaky';
let served = 0;
let seq = 0;
const server = createServer((_req, res) => {
  served++;
  const n = ++seq;
  if (mode === 'down' || (mode === 'flaky' && n % 5 === 1)) {
    res.writeHead(503, { 'retry-after': '0' });
    return void res.end('unavailable');
  }
  // A hung request: only the timeout ends it (the socket is destroyed when the client aborts).
  if (mode === 'flaky' && n % 5 === 3) return;
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ n }));
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

/** An HTTP failure that carries the server's Retry-After, which `retry` reads by default. */
class UpstreamError extends Error {
  constructor(
    readonly status: number,
    readonly retryAfter: string | undefined,
  ) {
    super(`upstream responded ${status}`);
  }
}

const breaker = circuitBreaker({
  name: 'flaky-api',
  model: { kind: 'count', size: 20, failureRateThreshold: 0.8, minimumCalls: 10 },
  recoveryMs: 500,
});
breaker.on('stateChange', (e) => console.log(`  breaker: ${e.from} -> ${e.to} (${e.reason})`));

let retries = 0;
const policy = wrap(
  fallback({ fn: (err) => ({ fallback: err instanceof CircuitOpenError ? 'circuit open' : String(err) }) }),
  bulkhead({ maxConcurrent: 8, maxQueue: 64 }),
  retry({
    maxAttempts: 4,
    baseDelayMs: 20,
    maxDelayMs: 200,
    jitter: 'full',
    budget: retryBudget({ ratio: 0.5, minPerSec: 20 }),
    // Fail fast while the breaker is open instead of waiting out its retryAfterMs.
    retryOn: (err) => !(err instanceof CircuitOpenError),
    onRetry: () => retries++,
  }),
  breaker,
  timeout(250),
);

const call = () =>
  policy.execute(async (ctx) => {
    const res = await fetch(`${base}/item`, { signal: ctx.signal });
    if (res.status >= 500) {
      await res.body?.cancel();
      throw new UpstreamError(res.status, res.headers.get('retry-after') ?? undefined);
    }
    return (await res.json()) as { n: number };
  });

const tally = (results: unknown[]) => {
  const fb = results.filter((r) => typeof r === 'object' && r !== null && 'fallback' in r).length;
  return `${results.length - fb} ok, ${fb} fallback`;
};

// Warm up (connection, JIT) so the first calls do not trip the timeout for reasons of their own.
mode = 'up';
await call();
mode = 'flaky';
console.log('phase 1: 40% of requests fail (503 or hang)');
const phase1 = await Promise.all(Array.from({ length: 30 }, call));
console.log(`  ${tally(phase1)}; ${retries} retries, ${served} requests served`);

console.log('phase 2: the server is down');
mode = 'down';
served = 0;
const phase2: unknown[] = [];
for (let i = 0; i < 20; i++) phase2.push(await call());
console.log(
  `  ${tally(phase2)}; only ${served} requests reached the server (the breaker failed the rest fast)`,
);

console.log('phase 3: the server recovers');
mode = 'up';
await sleep(550);
// The first call is the half-open probe; once it succeeds the breaker closes and traffic flows.
const phase3 = [await call(), ...(await Promise.all(Array.from({ length: 10 }, call)))];
console.log(`  ${tally(phase3)}; breaker ${breaker.state}`);

const timedOut = await wrap(
  fallback({ fn: (e) => (e instanceof TimeoutError ? `timeout (${e.phase})` : 'error') }),
  timeout(50),
).execute(
  (ctx) => new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason))),
);
console.log(`a standalone timeout: ${String(timedOut)}`);

server.closeAllConnections();
await new Promise<void>((r) => server.close(() => r()));
console.log('done: server closed; the process exits on its own');
