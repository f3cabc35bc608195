import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningGateway, startGateway } from '../../src/mcp/index.js';
import { type ChaosUpstream, startChaosUpstream } from './lib/fault-upstream.js';
import { chaosConfig } from './lib/gateway.js';
import { installProcessGuard, processFailures } from './lib/guard.js';
import { ClientPool, drive, forMs, memoryMb, Recorder } from './lib/load.js';
import { type ScenarioReport, writeScenario } from './lib/report.js';
import { testConfig } from '../helpers/gateway-config.js';

installProcessGuard();
const THRESHOLD = 5;
const RECOVERY_MS = 1000;
/** The breaker's half-open hint (`probeWaitMs` default: min(1 s, recovery)) and the cache's throttle. */
const PROBE_WAIT_MS = Math.min(1000, RECOVERY_MS);
const THROTTLE_MS = 5000;
/** get_item_cached's TTL (chaosConfig's default). */
const CACHE_TTL_MS = 200;
const WORKERS = 16;
const report: ScenarioReport = {
  id: '1-breaker',
  title: '1. Upstream answers 500 for a while',
  phases: {},
  claims: {},
};

let upstream: ChaosUpstream;
let gateway: RunningGateway;
let pool: ClientPool;

beforeAll(async () => {
  upstream = await startChaosUpstream();
  gateway = await startGateway(
    testConfig(
      chaosConfig({
        baseUrl: upstream.url,
        timeouts: { total: 5000 },
        retry: { maxAttempts: 1 },
        breaker: { failureThreshold: THRESHOLD, recovery: RECOVERY_MS, halfOpenMaxConcurrent: 1 },
      }),
    ),
    { transport: 'http' },
  );
  pool = new ClientPool(gateway.url!, WORKERS);
});

afterAll(async () => {
  await pool?.close();
  await gateway?.close();
  await upstream?.close();
  writeScenario(report);
  expect(processFailures).toEqual([]);
});

// Cached and uncached calls use different ids, so the upstream's log tells whose request failed.
const mixed = (w: number, n: number) =>
  n % 2
    ? { name: 'get_item_cached', args: { id: `c${(w * 7 + n) % 20}` } }
    : { name: 'get_item', args: { id: String((w * 7 + n) % 20) } };

describe('chaos 1: upstream 500s', () => {
  it('opens within the threshold, fails fast with stale data where configured, probes only, then closes', async () => {
    // Healthy: warm the cache for every id.
    const healthy = new Recorder();
    for (let id = 0; id < 20; id++) await pool.call(0, 'get_item_cached', { id: `c${id}` });
    await drive(pool, WORKERS, forMs(2000), mixed, healthy);
    report.phases.healthy = { ...healthy.figures(), upstreamCalls: upstream.hits.length, ...memoryMb() };
    expect(healthy.figures().ok).toBe(healthy.figures().requests);

    // Failing: exactly THRESHOLD failures reach the upstream, then the breaker answers.
    upstream.setMode({ kind: 'status', status: 500 });
    const faultStart = performance.now();
    const serial: string[] = [];
    for (let i = 0; i < THRESHOLD + 3; i++) serial.push((await pool.call(0, 'get_item', { id: 'x' })).kind);
    const opened = serial.indexOf('CIRCUIT_OPEN');
    report.claims[`breaker opens after exactly ${THRESHOLD} consecutive failures`] =
      opened === THRESHOLD && upstream.hitsSince(faultStart).length === THRESHOLD;
    expect(serial.slice(0, THRESHOLD)).toEqual(Array(THRESHOLD).fill('HTTP_STATUS'));
    expect(serial.slice(THRESHOLD)).toEqual(Array(3).fill('CIRCUIT_OPEN'));
    expect(upstream.hitsSince(faultStart)).toHaveLength(THRESHOLD);

    const loadStart = performance.now();
    const failing = new Recorder();
    const FAULT_MS = 4000;
    await drive(pool, WORKERS, forMs(FAULT_MS), mixed, failing);
    const fig = failing.figures();
    const probes = upstream.hitsSince(loadStart).length;
    const elapsed = performance.now() - loadStart;
    const maxProbes = Math.ceil(elapsed / RECOVERY_MS) + 1;
    const cached = failing.outcomes.filter((o) => o.source === 'cache');
    report.phases.failing = { ...fig, upstreamCalls: probes, maxProbesAllowed: maxProbes, ...memoryMb() };
    report.claims['upstream traffic while open is only half-open probes (<= 1 per recovery period)'] =
      probes <= maxProbes;
    // Entries written before the fault are still fresh for one TTL; after that the cache serves stale.
    const pastTtl = cached.filter((o) => o.at >= faultStart + CACHE_TTL_MS);
    report.claims['cached tool serves stale data while the breaker is open (fresh only within its TTL)'] =
      pastTtl.length > 0 && cached.every((o) => o.kind === 'ok') && pastTtl.every((o) => o.stale);
    // Failing fast is an outcome: an open breaker answers CIRCUIT_OPEN without an upstream request, so
    // the open answers outnumber the upstream calls, and only a probe's call ever waits on the upstream.
    const openAnswers = fig.errors.CIRCUIT_OPEN ?? 0;
    const upstreamFailures = fig.errors.HTTP_STATUS ?? 0;
    report.claims[
      'uncached calls fail fast with CIRCUIT_OPEN: no upstream request for them, only probes reach it'
    ] = openAnswers > probes && upstreamFailures <= probes;
    expect(probes).toBeLessThanOrEqual(maxProbes);
    expect(pastTtl.length).toBeGreaterThan(0);
    expect(pastTtl.filter((o) => !o.stale)).toEqual([]);
    for (const o of failing.outcomes) {
      if (o.kind === 'ok') expect(o.source).toBe('cache');
      else expect(['CIRCUIT_OPEN', 'HTTP_STATUS']).toContain(o.kind);
    }
    expect(openAnswers).toBeGreaterThan(probes);
    expect(upstreamFailures).toBeLessThanOrEqual(probes);

    // Healed: the next probe succeeds and the breaker closes; everything is fresh again.
    upstream.setMode({ kind: 'ok' });
    const healedAt = performance.now();
    const healed = new Recorder();
    await drive(pool, WORKERS, forMs(RECOVERY_MS * 2.5), mixed, healed);
    const fresh = (o: { kind: string; stale: boolean }) => o.kind === 'ok' && !o.stale;
    const firstFresh = healed.outcomes.filter(fresh).sort((a, b) => a.at + a.ms - (b.at + b.ms))[0];
    const closedAt = firstFresh ? firstFresh.at + firstFresh.ms : Number.POSITIVE_INFINITY;
    const afterClose = healed.outcomes.filter((o) => o.at > closedAt);
    report.phases.healed = {
      ...healed.figures(),
      upstreamCalls: upstream.hitsSince(healedAt).length,
      msToFirstFresh: Math.round(closedAt - healedAt),
      ...memoryMb(),
    };
    const staleAfter = afterClose.filter((o) => o.kind === 'ok' && o.stale);
    const lastStale = staleAfter.length ? Math.max(...staleAfter.map((o) => o.at - closedAt)) : 0;
    report.phases.healed!.staleAfterClose = staleAfter.length;
    report.phases.healed!.lastStaleMsAfterClose = Math.round(lastStale);
    // Why a cached key can still answer stale after the close: its stale-if-error latch. A refresh
    // the breaker rejected latches until the time the rejection named (open: the next probe, before the
    // close; half-open: PROBE_WAIT_MS); a refresh that really failed at the upstream (a failed probe)
    // latches for the cache's full throttle. So every stale answer after the close must have started
    // before max(close + PROBE_WAIT_MS, that key's last upstream failure + THROTTLE_MS).
    const lastFailure = new Map<string, number>();
    for (const h of upstream.hitsSince(faultStart))
      if (h.outcome !== '200') lastFailure.set(h.path, Math.max(h.at, lastFailure.get(h.path) ?? 0));
    const beyond = staleAfter.filter((o) => {
      const id = String(o.args?.id ?? '');
      const failedAt = lastFailure.get(`/items/${id}`);
      const bound = Math.max(closedAt + PROBE_WAIT_MS, (failedAt ?? -Infinity) + THROTTLE_MS);
      return o.at >= bound;
    });
    const latchedByFailure = staleAfter.filter((o) => o.at >= closedAt + PROBE_WAIT_MS).length;
    report.phases.healed!.staleAfterProbeWait = latchedByFailure;
    report.claims[
      `after the close, stale answers stop within the breaker's probe wait (${PROBE_WAIT_MS} ms), or ${THROTTLE_MS} ms after that key's own failed upstream call`
    ] = beyond.length === 0;
    report.claims[
      'breaker closes once the upstream heals: no call started after the first fresh answer fails'
    ] = afterClose.length > 0 && afterClose.every((o) => o.kind === 'ok');
    report.notes = report.notes ?? [];
    report.notes.push(
      `After the first fresh answer, the cached tool still answered ${staleAfter.length} calls stale (from cache) ` +
        `for up to ${Math.round(lastStale)} ms (${latchedByFailure} of them later than the ${PROBE_WAIT_MS} ms probe wait); ` +
        'none failed. This is the stale-if-error latch, see "Stale answers after the breaker closes" above.',
    );
    expect(beyond).toEqual([]);
    expect(firstFresh).toBeDefined();
    expect(afterClose.length).toBeGreaterThan(0);
    expect(afterClose.filter((o) => o.kind !== 'ok')).toEqual([]);
  });
});
