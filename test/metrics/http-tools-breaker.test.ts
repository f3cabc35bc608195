import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/index.js';
import { createHttpClient, type HttpClient, isBreakerFailure } from '../../src/http/index.js';
import {
  createGatewayMetrics,
  type GatewayMetrics,
  httpMetricsHook,
  toolOutcomeOf,
  toolOutcomeOfLookup,
} from '../../src/metrics/index.js';
import { circuitBreaker } from '../../src/resilience/index.js';
import { sumOf, seriesValue } from './exposition.js';
import { type Listening, listen, type MetricsEndpoint, serveMetrics } from './helpers.js';

let upstream: Listening;
let flakyFailuresLeft = 0;
let downHealthy = false;

beforeAll(async () => {
  upstream = await listen((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (path.startsWith('/items/')) return json(200, { id: path.slice(7) });
    if (path === '/flaky') {
      if (flakyFailuresLeft > 0) {
        flakyFailuresLeft--;
        return json(503, { error: 'busy' });
      }
      return json(200, { ok: true });
    }
    if (path === '/down') return downHealthy ? json(200, { ok: true }) : json(500, { error: 'down' });
    if (path === '/missing') return json(404, { error: 'no such thing' });
    if (path === '/hang') return; // never answers
    json(404, {});
  });
});
afterAll(() => upstream.close());

const fastRetry = { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2 };

async function failureOf(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to fail');
}

describe('upstream HTTP metrics from the client hook', () => {
  let metrics: GatewayMetrics;
  let endpoint: MetricsEndpoint;
  let client: HttpClient;

  beforeAll(async () => {
    metrics = createGatewayMetrics();
    endpoint = await serveMetrics(metrics);
    client = createHttpClient({
      baseUrl: upstream.url,
      name: 'items-api',
      retry: fastRetry,
      breaker: false,
      onMetrics: httpMetricsHook(metrics),
    });
  });
  afterAll(async () => {
    await client.close();
    await endpoint.close();
    metrics.close();
  });

  it('counts calls by route template and status, observes durations, counts retries', async () => {
    await client.get('/items/{id}', { params: { id: 'a1' } });
    await client.get('/items/{id}', { params: { id: 'b2' } });
    flakyFailuresLeft = 2;
    await client.get('/flaky');
    await failureOf(client.get('/missing'));

    const f = await endpoint.scrape();
    const route = { upstream: 'items-api', method: 'GET' };
    // Two ids, one series: the route label is the template.
    expect(
      seriesValue(f, 'conduit_upstream_requests_total', { ...route, route: '/items/{id}', status: '200' }),
    ).toBe(2);
    expect(
      seriesValue(f, 'conduit_upstream_requests_total', { ...route, route: '/flaky', status: '200' }),
    ).toBe(1);
    expect(
      seriesValue(f, 'conduit_upstream_requests_total', { ...route, route: '/missing', status: '404' }),
    ).toBe(1);
    expect(seriesValue(f, 'conduit_upstream_retries_total', { ...route, route: '/flaky' })).toBe(2);
    expect(seriesValue(f, 'conduit_upstream_retries_total', { ...route, route: '/items/{id}' })).toBe(0);
    expect(
      seriesValue(f, 'conduit_upstream_request_duration_seconds_count', { ...route, route: '/items/{id}' }),
    ).toBe(2);
    expect(sumOf(f, 'conduit_upstream_requests_total')).toBe(4);
    expect(f.get('conduit_upstream_request_duration_seconds')?.type).toBe('histogram');
    // No series names an expanded path.
    const text = await metrics.metrics();
    expect(text).not.toContain('/items/a1');
  });

  it('labels a call without a response by its error code (timeout, network)', async () => {
    const err = await failureOf(client.get('/hang', { timeoutMs: 50 }));
    expect(toolOutcomeOf(err)).toBe('timeout');
    const closed = await listen(() => {});
    const deadUrl = closed.url;
    await closed.close();
    const dead = createHttpClient({
      baseUrl: deadUrl,
      name: 'dead',
      retry: false,
      breaker: false,
      onMetrics: httpMetricsHook(metrics),
    });
    const netErr = await failureOf(dead.get('/x'));
    await dead.close();
    expect(toolOutcomeOf(netErr)).toBe('network');

    const f = await endpoint.scrape();
    // Sent and timed out, or (on a loaded machine) timed out before it could be sent: one or the other.
    const hang = { upstream: 'items-api', method: 'GET', route: '/hang' };
    expect(
      (seriesValue(f, 'conduit_upstream_requests_total', { ...hang, status: 'TIMEOUT' }) ?? 0) +
        (seriesValue(f, 'conduit_upstream_rejections_total', { ...hang, code: 'TIMEOUT' }) ?? 0),
    ).toBe(1);
    expect(
      seriesValue(f, 'conduit_upstream_requests_total', {
        upstream: 'dead',
        method: 'GET',
        route: '/x',
        status: 'NETWORK_ERROR',
      }),
    ).toBe(1);
  });
});

describe('breaker state and tool calls', () => {
  it('moves the gauge to 2 when the breaker opens and back to 0 when it closes; tool outcomes follow', async () => {
    const clock = new ManualClock(1_000_000);
    const metrics = createGatewayMetrics();
    const endpoint = await serveMetrics(metrics);
    const breaker = circuitBreaker({
      name: 'flaky-api',
      model: { kind: 'consecutive', threshold: 2 },
      recoveryMs: 10_000,
      isFailure: isBreakerFailure,
      clock,
    });
    const untrack = metrics.trackBreaker('flaky-api', breaker);
    const client = createHttpClient({
      baseUrl: upstream.url,
      name: 'flaky-api',
      retry: false,
      breaker,
      onMetrics: httpMetricsHook(metrics),
    });
    const tool = metrics.tool('get_status', 'flaky-api');
    // The gateway's way of recording: time the call, map success or error to an outcome.
    const call = async () => {
      const started = performance.now();
      try {
        await client.get('/down');
        tool.record('ok', performance.now() - started);
      } catch (err) {
        tool.record(toolOutcomeOf(err), performance.now() - started);
      }
    };
    try {
      const gauge = { upstream: 'flaky-api' };
      let f = await endpoint.scrape();
      expect(seriesValue(f, 'conduit_breaker_state', gauge)).toBe(0);

      downHealthy = false;
      await call();
      await call(); // second consecutive failure opens the breaker
      expect(breaker.state).toBe('open');
      await call(); // rejected by the open breaker, never sent
      f = await endpoint.scrape();
      expect(seriesValue(f, 'conduit_breaker_state', gauge)).toBe(2);
      expect(
        seriesValue(f, 'conduit_breaker_transitions_total', {
          upstream: 'flaky-api',
          from: 'closed',
          to: 'open',
        }),
      ).toBe(1);
      const outcome = (o: string) => ({ tool: 'get_status', upstream: 'flaky-api', outcome: o });
      expect(seriesValue(f, 'conduit_tool_calls_total', outcome('upstream_status'))).toBe(2);
      expect(seriesValue(f, 'conduit_tool_calls_total', outcome('circuit_open'))).toBe(1);
      expect(seriesValue(f, 'conduit_tool_call_duration_seconds_count', { tool: 'get_status' })).toBe(3);
      // The rejected call never reached the upstream: it is a rejection, not an upstream request.
      const down = { upstream: 'flaky-api', method: 'GET', route: '/down' };
      expect(seriesValue(f, 'conduit_upstream_requests_total', { ...down, status: 'CIRCUIT_OPEN' })).toBe(
        undefined,
      );
      expect(sumOf(f, 'conduit_upstream_requests_total', down)).toBe(2);
      expect(seriesValue(f, 'conduit_upstream_rejections_total', { ...down, code: 'CIRCUIT_OPEN' })).toBe(1);
      expect(sumOf(f, 'conduit_upstream_request_duration_seconds_count', down)).toBe(2);

      downHealthy = true;
      clock.advance(10_000);
      await call(); // the probe succeeds: half-open, then closed
      f = await endpoint.scrape();
      expect(seriesValue(f, 'conduit_breaker_state', gauge)).toBe(0);
      expect(seriesValue(f, 'conduit_tool_calls_total', outcome('ok'))).toBe(1);
      expect(sumOf(f, 'conduit_breaker_transitions_total', { upstream: 'flaky-api' })).toBe(3);

      breaker.isolate();
      f = await endpoint.scrape();
      expect(seriesValue(f, 'conduit_breaker_state', gauge)).toBe(3);

      // Untracked: later changes leave the series as it was.
      untrack();
      breaker.reset();
      f = await endpoint.scrape();
      expect(seriesValue(f, 'conduit_breaker_state', gauge)).toBe(3);
    } finally {
      downHealthy = false;
      await client.close();
      await endpoint.close();
      metrics.close();
    }
  });

  it('reads the gauge from a snapshot at scrape time (HttpClient.breakerSnapshot)', async () => {
    const metrics = createGatewayMetrics();
    const client = createHttpClient({
      baseUrl: upstream.url,
      name: 'snap',
      retry: false,
      breaker: { model: { kind: 'consecutive', threshold: 1 } },
    });
    const stop = metrics.trackBreakerSnapshot('snap', () => client.breakerSnapshot);
    try {
      const endpoint = await serveMetrics(metrics);
      expect(seriesValue(await endpoint.scrape(), 'conduit_breaker_state', { upstream: 'snap' })).toBe(0);
      await failureOf(client.get('/down'));
      expect(seriesValue(await endpoint.scrape(), 'conduit_breaker_state', { upstream: 'snap' })).toBe(2);
      stop();
      await endpoint.close();
    } finally {
      await client.close();
      metrics.close();
    }
  });

  it('maps a cache lookup to ok, cache_hit or stale', () => {
    expect(toolOutcomeOfLookup({ source: 'factory', stale: false })).toBe('ok');
    expect(toolOutcomeOfLookup({ source: 'l1', stale: false })).toBe('cache_hit');
    expect(toolOutcomeOfLookup({ source: 'l2', stale: false })).toBe('cache_hit');
    expect(toolOutcomeOfLookup({ source: 'l1', stale: true })).toBe('stale');
    expect(toolOutcomeOf(new Error('plain'))).toBe('internal');
    expect(toolOutcomeOf({ code: 'HTTP_STATUS', status: 429 })).toBe('rate_limited');
    expect(toolOutcomeOf(new DOMException('stop', 'AbortError'))).toBe('cancelled');
  });
});
