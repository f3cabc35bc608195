import fc from 'fast-check';
import { Gauge, register as globalRegistry, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { request } from 'undici';
import { createCache } from '../../src/cache/index.js';
import { ConfigError, createRecordingLogger, ManualClock } from '../../src/core/index.js';
import type { HttpMetricsEvent } from '../../src/http/index.js';
import {
  createGatewayMetrics,
  httpMetricsHook,
  metricsHandler,
  OTHER_LABEL,
} from '../../src/metrics/index.js';
import { circuitBreaker } from '../../src/resilience/index.js';
import { parseExposition, seriesValue, sumOf } from './exposition.js';
import { listen, serveMetrics } from './helpers.js';

describe('the /metrics handler', () => {
  it('serves GET and HEAD, answers 405 to other methods and 404 to other paths', async () => {
    const metrics = createGatewayMetrics();
    metrics.tool('t', 'u').record('ok', 1);
    const endpoint = await serveMetrics(metrics);
    try {
      const post = await request(`${endpoint.url}/metrics`, { method: 'POST', body: 'x' });
      await post.body.text();
      expect(post.statusCode).toBe(405);
      expect(post.headers.allow).toBe('GET, HEAD');
      const head = await request(`${endpoint.url}/metrics`, { method: 'HEAD' });
      await head.body.text();
      expect(head.statusCode).toBe(200);
      expect(Number(head.headers['content-length'])).toBeGreaterThan(0);
      const other = await request(`${endpoint.url}/elsewhere`);
      await other.body.text();
      expect(other.statusCode).toBe(404);
      const f = await endpoint.scrape();
      expect(seriesValue(f, 'conduit_tool_calls_total', { tool: 't', upstream: 'u', outcome: 'ok' })).toBe(1);
    } finally {
      await endpoint.close();
    }
  });
});

describe('a failing collection', () => {
  it('answers 500 and logs the failure', async () => {
    const registry = new Registry();
    const metrics = createGatewayMetrics({ registry });
    new Gauge({
      name: 'broken_gauge',
      help: 'Throws when collected.',
      registers: [registry],
      collect() {
        throw new Error('collector bug');
      },
    });
    const logger = createRecordingLogger();
    const server = await listen(metricsHandler(metrics, { logger }));
    try {
      const res = await request(`${server.url}/metrics`);
      expect(res.statusCode).toBe(500);
      expect(await res.body.text()).toContain('Collecting metrics failed');
      expect(
        logger.records.some((r) => r.level === 'error' && JSON.stringify(r.err).includes('collector bug')),
      ).toBe(true);
    } finally {
      await server.close();
    }
  });
});

describe('registries and options', () => {
  it('gives each gateway its own registry and leaves the global one alone', async () => {
    const globalBefore = await globalRegistry.metrics();
    const a = createGatewayMetrics();
    const b = createGatewayMetrics();
    a.tool('same', 'up').record('ok', 1);
    a.tool('same', 'up').record('ok', 1);
    b.tool('same', 'up').record('ok', 1);
    const labels = { tool: 'same', upstream: 'up', outcome: 'ok' };
    expect(seriesValue(parseExposition(await a.metrics()), 'conduit_tool_calls_total', labels)).toBe(2);
    expect(seriesValue(parseExposition(await b.metrics()), 'conduit_tool_calls_total', labels)).toBe(1);
    expect(await globalRegistry.metrics()).toBe(globalBefore);
  });

  it('applies the prefix, refuses a bad one, and explains a clash in a shared registry', async () => {
    const registry = new Registry();
    const m = createGatewayMetrics({ registry, prefix: 'gw1_' });
    m.tool('t', 'u').record('timeout', 5);
    const f = parseExposition(await registry.metrics());
    expect(seriesValue(f, 'gw1_tool_calls_total', { tool: 't', upstream: 'u', outcome: 'timeout' })).toBe(1);
    expect(() => createGatewayMetrics({ registry, prefix: 'gw1_' })).toThrow(ConfigError);
    expect(() => createGatewayMetrics({ registry, prefix: 'gw1_' })).toThrow(/different prefix/);
    // A clash part-way leaves the shared registry as it was.
    const shared = new Registry();
    new Gauge({ name: 'gw2_breaker_state', help: 'Someone else’s.', registers: [shared] });
    expect(() => createGatewayMetrics({ registry: shared, prefix: 'gw2_' })).toThrow(/gw2_breaker_state/);
    expect(shared.getMetricsAsArray().map((x) => x.name)).toEqual(['gw2_breaker_state']);
    expect(() => createGatewayMetrics({ prefix: '9bad-' })).toThrow(ConfigError);
    expect(() => createGatewayMetrics({ maxRoutesPerUpstream: 0 })).toThrow(/maxRoutesPerUpstream/);
  });

  it('adds the process and Node.js metrics when asked', async () => {
    const m = createGatewayMetrics({ defaultMetrics: true });
    const f = parseExposition(await m.metrics());
    expect(f.has('process_cpu_user_seconds_total')).toBe(true);
    expect(f.has('nodejs_heap_size_used_bytes')).toBe(true);
    const plain = parseExposition(await createGatewayMetrics().metrics());
    expect(plain.has('process_cpu_user_seconds_total')).toBe(false);
  });
});

describe('close()', () => {
  it('removes every subscription and stops recording; the registry stays readable', async () => {
    const clock = new ManualClock(0);
    const breaker = circuitBreaker({ model: { kind: 'consecutive', threshold: 1 }, clock });
    const m = createGatewayMetrics();
    const hook = httpMetricsHook(m);
    const series = m.tool('t', 'u');
    m.trackBreaker('u', breaker);
    const event: HttpMetricsEvent = {
      upstream: 'u',
      method: 'GET',
      route: '/r',
      status: 200,
      durationMs: 3,
      attempts: 1,
    };
    hook(event);
    series.record('ok', 3);
    m.close();
    m.close(); // idempotent
    hook(event);
    series.record('ok', 3);
    m.webhookOutcome('e', 'accepted');
    breaker.isolate();
    const f = parseExposition(await m.metrics());
    expect(
      seriesValue(f, 'conduit_upstream_requests_total', {
        upstream: 'u',
        method: 'GET',
        route: '/r',
        status: '200',
      }),
    ).toBe(1);
    expect(seriesValue(f, 'conduit_tool_calls_total', { tool: 't', upstream: 'u', outcome: 'ok' })).toBe(1);
    expect(seriesValue(f, 'conduit_breaker_state', { upstream: 'u' })).toBe(0);
    expect(sumOf(f, 'conduit_breaker_transitions_total')).toBe(0);
    expect(sumOf(f, 'conduit_webhook_deliveries_total')).toBe(0);
    // Tracking after close is a no-op that still returns an unsubscribe.
    const untrack = m.trackBreaker('v', breaker);
    untrack();
    expect(
      seriesValue(parseExposition(await m.metrics()), 'conduit_breaker_state', { upstream: 'v' }),
    ).toBeUndefined();
  });
});

describe('tracking twice', () => {
  it('counts a breaker transition and a cache load once', async () => {
    const breaker = circuitBreaker({ clock: new ManualClock(0) });
    const cache = createCache({ prefix: 'twice' });
    const m = createGatewayMetrics();
    try {
      m.trackBreaker('u', breaker);
      const second = m.trackBreaker('u', breaker);
      m.trackCache(cache);
      m.trackCache(cache)(); // untracking the duplicate leaves the first tracking in place
      second();
      breaker.isolate();
      await cache.getOrSet('k', async () => 1, { ttlMs: 1000 });
      const f = parseExposition(await m.metrics());
      expect(
        seriesValue(f, 'conduit_breaker_transitions_total', {
          upstream: 'u',
          from: 'closed',
          to: 'isolated',
        }),
      ).toBe(1);
      expect(seriesValue(f, 'conduit_cache_factory_calls_total')).toBe(1);
    } finally {
      m.close();
      await cache.close();
    }
  });
});

describe('label bounds', () => {
  it('caps distinct routes per upstream at (other) and warns once', async () => {
    const logger = createRecordingLogger();
    const m = createGatewayMetrics({ maxRoutesPerUpstream: 3, logger });
    const hook = httpMetricsHook(m);
    // A caller passing expanded paths instead of templates: ids would become series.
    for (let i = 0; i < 10; i++)
      hook({ upstream: 'api', method: 'GET', route: `/users/${i}`, status: 200, durationMs: 1, attempts: 1 });
    const endpoint = await serveMetrics(m);
    try {
      const f = await endpoint.scrape();
      const routes = new Set(f.get('conduit_upstream_requests_total')!.samples.map((s) => s.labels.route));
      expect(routes).toEqual(new Set(['/users/0', '/users/1', '/users/2', OTHER_LABEL]));
      expect(
        seriesValue(f, 'conduit_upstream_requests_total', {
          upstream: 'api',
          method: 'GET',
          route: OTHER_LABEL,
          status: '200',
        }),
      ).toBe(7);
      const warnings = logger.records.filter((r) => r.level === 'warn');
      expect(warnings).toHaveLength(1);
      expect(warnings[0]!.msg).toContain('path templates');
    } finally {
      await endpoint.close();
    }
  });

  it('keeps error-code and status labels to codes and valid statuses', async () => {
    const m = createGatewayMetrics();
    const hook = httpMetricsHook(m);
    const base = { upstream: 'api', method: 'GET', route: '/r', durationMs: 1, attempts: 1 };
    hook({ ...base, errorCode: 'not a code {"}' });
    hook({ ...base, status: 42 });
    const f = parseExposition(await m.metrics());
    expect(
      seriesValue(f, 'conduit_upstream_requests_total', { ...stripNumbers(base), status: OTHER_LABEL }),
    ).toBe(1);
    expect(
      seriesValue(f, 'conduit_upstream_requests_total', { ...stripNumbers(base), status: 'invalid' }),
    ).toBe(1);
  });

  it('property: any sequence of HTTP events scrapes as valid exposition whose totals add up', async () => {
    const methods = ['GET', 'POST', 'DELETE'] as const;
    const event = fc.record({
      upstream: fc.constantFrom('a', 'b'),
      method: fc.constantFrom(...methods),
      route: fc.constantFrom('/x', '/x/{id}', '/y', '/ü/"quoted"\\'),
      status: fc.option(fc.integer({ min: 200, max: 599 }), { nil: undefined }),
      errorCode: fc.option(fc.constantFrom('TIMEOUT', 'NETWORK_ERROR', 'CIRCUIT_OPEN'), { nil: undefined }),
      durationMs: fc.double({ min: 0, max: 120_000, noNaN: true }),
      attempts: fc.integer({ min: 1, max: 5 }),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(event, { maxLength: 60 }), async (events) => {
        const m = createGatewayMetrics();
        const hook = httpMetricsHook(m);
        for (const e of events) {
          const ev: HttpMetricsEvent = {
            upstream: e.upstream,
            method: e.method,
            route: e.route,
            durationMs: e.durationMs,
            attempts: e.attempts,
          };
          if (e.status !== undefined) ev.status = e.status;
          if (e.errorCode !== undefined) ev.errorCode = e.errorCode;
          hook(ev);
        }
        const f = parseExposition(await m.metrics());
        expect(sumOf(f, 'conduit_upstream_requests_total')).toBe(events.length);
        expect(sumOf(f, 'conduit_upstream_retries_total')).toBe(
          events.reduce((n, e) => n + e.attempts - 1, 0),
        );
        expect(sumOf(f, 'conduit_upstream_request_duration_seconds_count')).toBe(events.length);
        const over60 = events.filter((e) => e.durationMs > 60_000).length;
        expect(
          sumOf(f, 'conduit_upstream_request_duration_seconds_count') -
            sumOf(f, 'conduit_upstream_request_duration_seconds_bucket', { le: '60' }),
        ).toBe(over60);
      }),
      { numRuns: 40 },
    );
  });
});

function stripNumbers(o: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(o)) if (typeof v === 'string') out[k] = v;
  return out;
}
