import { createHmac } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRecordingLogger, ManualClock } from '../../src/core/index.js';
import { type RunningGateway, startGateway } from '../../src/mcp/index.js';
import { parseExposition, seriesValue, sumOf } from '../metrics/exposition.js';
import { connectV2 } from './helpers/clients.js';
import { assignmentsConfig } from './helpers/config.js';
import { startUpstream, type Upstream } from './helpers/upstream.js';
import type { TestConfigInput } from '../helpers/gateway-config.js';
import { testConfig } from '../helpers/gateway-config.js';

const KEY = Buffer.from('metrics-gateway-key-0123456789ab');
const TOKEN = 'scrape-token-for-tests';

function config(upstreamUrl: string): TestConfigInput {
  const c = assignmentsConfig(upstreamUrl);
  c.upstreams.assignments = {
    ...c.upstreams.assignments!,
    retry: { maxAttempts: 2, baseDelay: 1, maxDelay: 1, jitter: 'none' },
    breaker: { failureThreshold: 2, recovery: 60_000 },
  };
  c.tools.find((t) => t.name === 'get_assignment')!.cache = { ttl: 60_000, key: 'assignment:{id}' };
  c.metrics = { enabled: true, path: '/metrics', token: TOKEN };
  c.webhooks = {
    endpoints: [
      {
        path: '/hooks',
        name: 'assignments',
        scheme: 'standard',
        secrets: [`whsec_${KEY.toString('base64')}`],
        events: { 'assignment.updated': { invalidate: { keys: ['assignment:{data.id}'] } } },
      },
    ],
  };
  return c;
}

describe('/metrics on the HTTP transport moves with traffic', () => {
  let upstream: Upstream;
  let running: RunningGateway;
  let base: string;

  beforeAll(async () => {
    upstream = await startUpstream();
    running = await startGateway(testConfig(config(upstream.url)), { transport: 'http', port: 0 });
    base = running.url!.replace(/\/mcp$/, '');
  });
  afterAll(async () => {
    await running?.close();
    await upstream?.close();
  });

  const scrape = async () => {
    const res = await request(`${base}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/plain');
    return parseExposition(await res.body.text());
  };
  const webhook = async (id: string, signKey: Buffer) => {
    const body = JSON.stringify({ type: 'assignment.updated', data: { id: '1' } });
    const ts = Math.floor(Date.now() / 1000);
    const mac = createHmac('sha256', signKey).update(`${id}.${ts}.${body}`).digest('base64');
    const res = await request(`${base}/hooks`, {
      method: 'POST',
      body,
      headers: {
        'content-type': 'application/json',
        'webhook-id': id,
        'webhook-timestamp': String(ts),
        'webhook-signature': `v1,${mac}`,
      },
    });
    await res.body.text();
    return res.statusCode;
  };

  it('guards /metrics: its own token, and the Host check against DNS rebinding', async () => {
    const anonymous = await request(`${base}/metrics`);
    expect(anonymous.statusCode).toBe(401);
    await anonymous.body.text();
    const wrong = await request(`${base}/metrics`, { headers: { authorization: 'Bearer nope' } });
    expect(wrong.statusCode).toBe(401);
    await wrong.body.text();
    const rebound = await request(`${base}/metrics`, {
      headers: { authorization: `Bearer ${TOKEN}`, host: 'evil.example' },
    });
    expect(rebound.statusCode).toBe(403);
    await rebound.body.text();
  });

  it('counts tool outcomes, upstream requests and retries, breaker state and transitions, cache hits, webhook outcomes', async () => {
    const before = await scrape();
    expect(sumOf(before, 'conduit_tool_calls_total')).toBe(0);
    expect(seriesValue(before, 'conduit_breaker_state', { upstream: 'assignments' })).toBe(0);

    const client = await connectV2(running.url!, 'legacy');
    try {
      const get = (args: Record<string, unknown>) =>
        client.callTool({ name: 'get_assignment', arguments: args });
      expect((await get({ id: '1' })).isError).toBeFalsy();
      expect((await get({ id: '1' })).isError).toBeFalsy(); // from the cache
      expect((await get({})).isError).toBe(true); // refused by the input schema

      // Two 503s: the first attempt and its retry; the breaker (2 in a row) opens.
      upstream.setFault({ kind: 'status', status: 503, times: 2 });
      expect((await get({ id: '2' })).isError).toBe(true);
      const open = await get({ id: '2' });
      expect(open.isError).toBe(true);

      const t = await scrape();
      const tool = (outcome: string) =>
        seriesValue(t, 'conduit_tool_calls_total', {
          tool: 'get_assignment',
          upstream: 'assignments',
          outcome,
        });
      expect(tool('ok')).toBe(1);
      expect(tool('cache_hit')).toBe(1);
      expect(tool('invalid_input')).toBe(1);
      expect(tool('upstream_status')).toBe(1);
      expect(tool('circuit_open')).toBe(1);

      const f = await scrape();
      expect(sumOf(f, 'conduit_tool_call_duration_seconds_count', { tool: 'get_assignment' })).toBe(5);
      expect(
        sumOf(f, 'conduit_upstream_retries_total', { upstream: 'assignments', route: '/assignments/{id}' }),
      ).toBe(1);
      expect(
        seriesValue(f, 'conduit_upstream_requests_total', {
          upstream: 'assignments',
          method: 'GET',
          route: '/assignments/{id}',
          status: '503',
        }),
      ).toBe(1);
      expect(seriesValue(f, 'conduit_breaker_state', { upstream: 'assignments' })).toBe(2);
      expect(
        seriesValue(f, 'conduit_breaker_transitions_total', {
          upstream: 'assignments',
          from: 'closed',
          to: 'open',
        }),
      ).toBe(1);
      expect(seriesValue(f, 'conduit_cache_hits_total', { tier: 'l1' })).toBe(1);
      expect(sumOf(f, 'conduit_cache_misses_total', { tier: 'l1' })).toBeGreaterThanOrEqual(2);

      expect(await webhook('evt_ok', KEY)).toBe(200);
      expect(await webhook('evt_bad', Buffer.from('forged-key-forged-key-forged-key'))).toBe(401);
      const w = await scrape();
      const delivery = (outcome: string, reason: string) =>
        seriesValue(w, 'conduit_webhook_deliveries_total', { endpoint: 'assignments', outcome, reason });
      expect(delivery('accepted', '')).toBe(1);
      expect(delivery('rejected', 'signature_mismatch')).toBe(1);
    } finally {
      await client.close();
    }
  });
});

describe('metrics.enabled: false', () => {
  it('records nothing and serves no /metrics; webhooks still work on the same listener', async () => {
    const upstream = await startUpstream();
    const c = config(upstream.url);
    c.metrics = { enabled: false };
    const running = await startGateway(testConfig(c), { transport: 'http', port: 0 });
    try {
      expect(running.gateway.metrics).toBeUndefined();
      const base = running.url!.replace(/\/mcp$/, '');
      const res = await request(`${base}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(res.statusCode).toBe(404);
      await res.body.text();
      const hook = await request(`${base}/hooks`, {
        method: 'POST',
        body: '{}',
        headers: { 'content-type': 'application/json' },
      });
      expect(hook.statusCode).toBe(401); // the receiver answered: missing signature headers
      await hook.body.text();
    } finally {
      await running.close();
      await upstream.close();
    }
  });
});

describe('spans the OTLP exporter gives up are counted', () => {
  it('conduit_trace_spans_dropped_total{reason="export_failed"} counts the spans of a batch the receiver refused', async () => {
    // A receiver that refuses every export with 400 (not retried): the batch is given up at once.
    const receiver = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(400).end());
    });
    receiver.listen(0, '127.0.0.1');
    await once(receiver, 'listening');
    const endpoint = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/v1/traces`;
    const upstream = await startUpstream();
    const c = config(upstream.url);
    c.telemetry = { otlp: { endpoint } };
    const clock = new ManualClock(Date.now());
    const logger = createRecordingLogger();
    const gaveUp = new Promise<void>((resolve) => {
      const warn = logger.warn;
      logger.warn = (obj, msg) => {
        warn(obj, msg);
        if (msg === 'traces: sending spans failed') resolve();
      };
    });
    const running = await startGateway(testConfig(c), { transport: 'http', port: 0, clock, logger });
    try {
      const scrape = async () =>
        parseExposition(
          await (
            await request(running.url!.replace('/mcp', '/metrics'), {
              headers: { authorization: `Bearer ${TOKEN}` },
            })
          ).body.text(),
        );
      expect(
        seriesValue(await scrape(), 'conduit_trace_spans_dropped_total', { reason: 'export_failed' }),
      ).toBe(0);
      const client = await connectV2(running.url!, 'legacy');
      await client.callTool({ name: 'get_assignment', arguments: { id: 'a1' } });
      await client.close();
      // The partial batch goes once its delay (1 s) has passed.
      await clock.advanceAsync(1_000);
      await gaveUp;
      const dropped = seriesValue(await scrape(), 'conduit_trace_spans_dropped_total', {
        reason: 'export_failed',
      });
      expect(dropped).toBeGreaterThan(0);
      expect(seriesValue(await scrape(), 'conduit_trace_spans_dropped_total', { reason: 'queue_full' })).toBe(
        0,
      );
    } finally {
      await running.close();
      await upstream.close();
      receiver.close();
    }
  });

  it('spans still queued at shutdown that the last attempt cannot send (collector down) are counted as export_failed', async () => {
    // A port nothing listens on: the connection is refused.
    const closed = createServer();
    closed.listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const upstream = await startUpstream();
    const c = config(upstream.url);
    c.telemetry = { otlp: { endpoint: `http://127.0.0.1:${port}/v1/traces` } };
    const logger = createRecordingLogger();
    const running = await startGateway(testConfig(c), { transport: 'http', port: 0, logger });
    try {
      const client = await connectV2(running.url!, 'legacy');
      await client.callTool({ name: 'get_assignment', arguments: { id: 'a1' } });
      await client.close();
    } finally {
      // The spans wait for their batch's delay (1 s): shutdown is what sends them.
      await running.close();
      await upstream.close();
    }
    const failed = logger.records.filter((e) => e.msg === 'traces: sending spans failed');
    expect(failed).toEqual([
      expect.objectContaining({
        level: 'warn',
        code: 'ECONNREFUSED',
        attempts: 1,
      }),
    ]);
    // The registry stays readable after close: a last scrape (or a test) sees what shutdown gave up.
    const metrics = parseExposition(await running.gateway.metrics!.metrics());
    expect(seriesValue(metrics, 'conduit_trace_spans_dropped_total', { reason: 'export_failed' })).toBe(
      failed[0]!.spans,
    );
  });
});
