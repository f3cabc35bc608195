import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningGateway, startGateway } from '../../src/mcp/index.js';
import { type ChaosMode, type ChaosUpstream, startChaosUpstream } from './lib/fault-upstream.js';
import { chaosConfig } from './lib/gateway.js';
import { installProcessGuard, processFailures } from './lib/guard.js';
import { ClientPool, drive, forMs, handleCounts, memoryMb, Recorder } from './lib/load.js';
import { type ScenarioReport, writeScenario } from './lib/report.js';
import { testConfig } from '../helpers/gateway-config.js';

installProcessGuard();
const WORKERS = 16;
const reports: ScenarioReport[] = [];
let upstream: ChaosUpstream;

beforeAll(async () => {
  upstream = await startChaosUpstream();
});

afterAll(async () => {
  await upstream?.close();
  for (const r of reports) writeScenario(r);
  expect(processFailures).toEqual([]);
});

/** Starts a gateway on the chaos upstream, runs `body`, and always closes both gateway and clients. */
async function withGateway(
  upstreamConfig: Record<string, unknown>,
  body: (pool: ClientPool, gateway: RunningGateway) => Promise<void>,
): Promise<void> {
  const gateway = await startGateway(testConfig(chaosConfig({ baseUrl: upstream.url, ...upstreamConfig })), {
    transport: 'http',
  });
  const pool = new ClientPool(gateway.url!, WORKERS);
  try {
    await body(pool, gateway);
  } finally {
    await pool.close();
    await gateway.close();
  }
}

const uncached = (w: number, n: number) => ({ name: 'get_item', args: { id: `${w}-${n}` } });

describe('chaos 2: 429 with Retry-After, and the client-side rate limit', () => {
  it('never retries before Retry-After', async () => {
    const report: ScenarioReport = {
      id: '2-rate-limit',
      title: '2. Upstream answers 429 with Retry-After; client-side rate limit',
      phases: {},
      claims: {},
    };
    reports.push(report);
    await withGateway(
      {
        timeouts: { total: 10_000 },
        retry: { maxAttempts: 3, baseDelay: 20 },
        breaker: { failureThreshold: 10_000 },
      },
      async (pool) => {
        upstream.setMode({ kind: 'retry-after', seconds: 1 });
        const t0 = performance.now();
        const rec = new Recorder();
        await Promise.all(
          Array.from({ length: WORKERS }, async (_, w) =>
            rec.add(await pool.call(w, 'get_item', { id: `ra-${w}` })),
          ),
        );
        const gaps: number[] = [];
        for (let w = 0; w < WORKERS; w++) {
          const times = upstream
            .hitsSince(t0)
            .filter((h) => h.path === `/items/ra-${w}`)
            .map((h) => h.at);
          for (let i = 1; i < times.length; i++) gaps.push(times[i]! - times[i - 1]!);
        }
        const minGap = Math.min(...gaps);
        report.phases['429 Retry-After: 1'] = {
          ...rec.figures(),
          upstreamCalls: upstream.hitsSince(t0).length,
          retries: gaps.length,
          minRetryGapMs: Math.round(minGap),
        };
        // Every 429 holds the upstream's calls until its Retry-After has passed: a retry that comes due while
        // a later 429's hold lasts is answered from the hold, not sent, so fewer calls reach the upstream.
        const calls = upstream.hitsSince(t0).length;
        report.claims['no retry before Retry-After (min gap between attempts of one call >= 1000 ms)'] =
          gaps.length > 0 && minGap >= 995;
        report.claims['the hold spares the upstream (fewer calls than workers x attempts)'] =
          calls > 0 && calls < WORKERS * 3;
        // Once the retries are used up the call says "rate limited, retry after ...", not a bare status.
        const rateLimited = rec.outcomes.filter((o) => {
          const text = o.result?.content?.[0]?.text ?? '';
          const meta = o.result?._meta?.['conduit/error'];
          return (
            o.kind === 'UPSTREAM_RATE_LIMITED' &&
            /is rate limiting the gateway/.test(text) &&
            /retry after (\d+ ms|1\.0 s)/.test(text) &&
            meta?.status === 429 &&
            typeof meta?.retryAfterMs === 'number' &&
            meta.retryAfterMs > 0 &&
            meta.retryAfterMs <= 1000
          );
        });
        report.claims[
          'exhausted or held calls surface as UPSTREAM_RATE_LIMITED (status 429, the wait left, at most 1.0 s), not HTTP_STATUS'
        ] = rateLimited.length === WORKERS;
        expect(gaps.length).toBeGreaterThan(0);
        expect(calls).toBeLessThan(WORKERS * 3);
        // 5 ms of slack for timer granularity between the two processes' clocks (same host clock).
        expect(minGap).toBeGreaterThanOrEqual(995);
        for (const o of rec.outcomes) expect(o.kind).not.toMatch(/^exception/);
        expect(rec.outcomes.map((o) => o.kind)).toEqual(Array(WORKERS).fill('UPSTREAM_RATE_LIMITED'));
        expect(rateLimited).toHaveLength(WORKERS);
        upstream.setMode({ kind: 'ok' });
      },
    );
  });

  it('keeps the upstream request rate under the configured ceiling', async () => {
    const report = reports.find((r) => r.id === '2-rate-limit')!;
    const PER_SECOND = 20;
    const BURST = 5;
    await withGateway(
      {
        timeouts: { total: 5000 },
        retry: { maxAttempts: 1 },
        rateLimit: { perSecond: PER_SECOND, burst: BURST },
        breaker: { failureThreshold: 10_000 },
      },
      async (pool) => {
        const t0 = performance.now();
        const rec = new Recorder();
        await drive(pool, WORKERS, forMs(4000), uncached, rec);
        const t1 = performance.now();
        const times = upstream.hitsSince(t0).map((h) => h.at);
        // Every request the bucket let through was sent, and so arrived, between t0 and t1: at most its
        // burst plus its rate times that span. Arrival times jitter on a loaded machine (a 1 s window
        // can catch requests sent over more than 1 s); the whole run's count does not.
        const ceiling = Math.floor(BURST + (PER_SECOND * (t1 - t0)) / 1000);
        let maxInWindow = 0;
        for (let i = 0, j = 0; i < times.length; i++) {
          while (times[i]! - times[j]! >= 1000) j++;
          maxInWindow = Math.max(maxInWindow, i - j + 1);
        }
        report.phases[`rate limit ${PER_SECOND}/s burst ${BURST}, ${WORKERS} clients`] = {
          ...rec.figures(),
          upstreamCalls: times.length,
          bucketCeiling: ceiling,
          maxUpstreamCallsInAnySecond: maxInWindow,
          ...memoryMb(),
        };
        report.claims[
          `upstream sees at most ${BURST} + ${PER_SECOND}/s x the run's length requests (the bucket's ceiling)`
        ] = times.length <= ceiling;
        expect(times.length).toBeLessThanOrEqual(ceiling);
        // The clients asked for more than the ceiling: every call beyond it waited for a token.
        expect(rec.figures().requests).toBeGreaterThan(BURST);
        for (const o of rec.outcomes) expect(['ok', 'UPSTREAM_RATE_LIMITED', 'TIMEOUT']).toContain(o.kind);
      },
    );
  });
});

describe('chaos 3: upstream hangs', () => {
  it('every call ends within its deadline and no socket leaks', async () => {
    const DEADLINE = 800;
    const CLIENT_GIVES_UP_MS = 30_000;
    const report: ScenarioReport = { id: '3-hang', title: '3. Upstream hangs', phases: {}, claims: {} };
    reports.push(report);
    const before = handleCounts();
    await withGateway(
      {
        timeouts: { total: DEADLINE },
        retry: { maxAttempts: 2, baseDelay: 20 },
        breaker: { failureThreshold: 10_000 },
      },
      async (pool) => {
        upstream.setMode({ kind: 'hang' });
        const rec = new Recorder();
        // The client's own limit is generous: a call the gateway's deadline did not end by then is
        // recorded as the client's timeout (an `exception:` outcome), not as the gateway's TIMEOUT.
        const hung = (w: number, n: number) => ({ ...uncached(w, n), timeoutMs: CLIENT_GIVES_UP_MS });
        await drive(pool, WORKERS, forMs(4000), hung, rec);
        const fig = rec.figures();
        const attempts = new Map<string, number>();
        for (const h of upstream.hits)
          if (h.outcome === 'hang') attempts.set(h.path, (attempts.get(h.path) ?? 0) + 1);
        let releasedTimer: NodeJS.Timeout | undefined;
        const released = await Promise.race([
          upstream.allReleased().then(() => true),
          new Promise<boolean>((r) => {
            releasedTimer = setTimeout(() => r(false), 5000);
          }),
        ]);
        clearTimeout(releasedTimer);
        report.phases[`hang, deadline ${DEADLINE} ms`] = {
          ...fig,
          upstreamCalls: upstream.hits.filter((h) => h.outcome === 'hang').length,
          heldAfterCalls: upstream.held,
          ...memoryMb(),
        };
        // Ended by the gateway's total deadline: a TIMEOUT answer naming that deadline, never the
        // client giving up, and no attempt after the deadline (at most maxAttempts per call).
        const byDeadline = rec.outcomes.filter(
          (o) =>
            o.kind === 'TIMEOUT' &&
            (o.result?.content?.[0]?.text ?? '').includes(`the total timeout of ${DEADLINE} ms expired`),
        );
        const maxAttempts = Math.max(0, ...attempts.values());
        report.phases[`hang, deadline ${DEADLINE} ms`]!.maxUpstreamAttemptsPerCall = maxAttempts;
        report.claims[
          `every call is ended by the gateway's ${DEADLINE} ms total deadline (TIMEOUT), none by the client's ${CLIENT_GIVES_UP_MS / 1000} s limit`
        ] = fig.requests > 0 && byDeadline.length === fig.requests;
        report.claims['every hung upstream request is abandoned (its socket closed) by the gateway'] =
          released;
        expect(fig.requests).toBeGreaterThan(0);
        for (const o of rec.outcomes) expect(o.kind).toBe('TIMEOUT');
        expect(byDeadline).toHaveLength(fig.requests);
        expect(attempts.size).toBeGreaterThan(0);
        expect(maxAttempts).toBeLessThanOrEqual(2);
        expect(released).toBe(true);
        upstream.setMode({ kind: 'ok' });
        const healed = new Recorder();
        await drive(pool, WORKERS, forMs(1000), uncached, healed);
        expect(healed.figures().ok).toBe(healed.figures().requests);
        report.phases.healed = { ...healed.figures(), openUpstreamSockets: upstream.openSockets };
      },
    );
    // The gateway closed: every connection it had to the upstream must close too (event, bounded).
    let closedTimer: NodeJS.Timeout | undefined;
    const upstreamClean = await Promise.race([
      upstream.allSocketsClosed().then(() => true),
      new Promise<boolean>((r) => {
        closedTimer = setTimeout(() => r(false), 5000);
      }),
    ]);
    clearTimeout(closedTimer);
    await new Promise((r) => setImmediate(r));
    const sockets = (h: Record<string, number>) => h.TCPSocketWrap ?? 0;
    const afterClose = handleCounts();
    report.phases['handles (before gateway start / after close)'] = {
      tcpSockets: `${sockets(before)} / ${sockets(afterClose)}`,
      timers: `${before.Timeout ?? 0} / ${afterClose.Timeout ?? 0}`,
      upstreamSocketsAfterClose: upstream.openSockets,
    };
    report.claims['no socket leak: every gateway->upstream connection is closed after close()'] =
      upstreamClean;
    report.claims['no socket leak: TCP socket handles in the process back to the baseline'] =
      sockets(afterClose) <= sockets(before);
    expect(upstreamClean).toBe(true);
    expect(sockets(afterClose)).toBeLessThanOrEqual(sockets(before));
  });
});

describe('chaos 4: upstream resets connections and sends broken bodies', () => {
  it('gives clear tool errors, never a crash, and serves again once healed', async () => {
    const report: ScenarioReport = {
      id: '4-broken',
      title: '4. Upstream resets connections / sends broken bodies',
      phases: {},
      claims: {},
    };
    reports.push(report);
    await withGateway(
      {
        timeouts: { total: 3000 },
        retry: { maxAttempts: 2, baseDelay: 20 },
        breaker: { failureThreshold: 10_000 },
      },
      async (pool) => {
        const modes: ChaosMode[] = [{ kind: 'reset' }, { kind: 'truncated' }, { kind: 'bad-json' }];
        let allClear = true;
        for (const mode of modes) {
          upstream.setMode(mode);
          const t0 = performance.now();
          const rec = new Recorder();
          await drive(pool, WORKERS, forMs(1500), uncached, rec);
          const fig = rec.figures();
          const sample = rec.outcomes.find((o) => o.kind !== 'ok')?.result?.content?.[0]?.text ?? '';
          report.phases[mode.kind] = {
            ...fig,
            upstreamCalls: upstream.hitsSince(t0).length,
            sampleError: `"${sample.slice(0, 90).replace(/\|/g, '/')}…"`,
          };
          for (const o of rec.outcomes) {
            // bad-json on a JSON tool: passed through as text or a typed error; never a protocol failure.
            expect(o.kind).not.toMatch(/^exception/);
            if (o.kind !== 'ok') {
              expect(o.result?.isError).toBe(true);
              expect(o.result?.content?.[0]?.text?.length).toBeGreaterThan(20);
            } else allClear &&= mode.kind === 'bad-json';
          }
        }
        upstream.setMode({ kind: 'ok' });
        const healed = new Recorder();
        await drive(pool, WORKERS, forMs(1000), uncached, healed);
        report.phases.healed = { ...healed.figures(), ...memoryMb() };
        report.claims['every failed call is a tool error with a message (no protocol error, no crash)'] =
          allClear;
        report.claims['the gateway serves normally once the upstream heals'] =
          healed.figures().ok === healed.figures().requests;
        // A reset or truncated answer that came back ok would be a corrupt success: the claim fails.
        expect(allClear).toBe(true);
        expect(healed.figures().ok).toBe(healed.figures().requests);
      },
    );
  });
});
