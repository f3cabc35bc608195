import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningGateway, startGateway } from '../../src/mcp/index.js';
import { parseExposition, seriesValue, sumOf } from '../metrics/exposition.js';
import { connectV2, textOf } from './helpers/clients.js';
import { assignmentsConfig } from './helpers/config.js';
import { startUpstream, type Upstream } from './helpers/upstream.js';
import type { TestConfigInput } from '../helpers/gateway-config.js';
import { testConfig } from '../helpers/gateway-config.js';

function config(upstreamUrl: string): TestConfigInput {
  const c = assignmentsConfig(upstreamUrl);
  c.upstreams.assignments = {
    ...c.upstreams.assignments!,
    retry: { maxAttempts: 3, baseDelay: 1, maxDelay: 1000, jitter: 'none' },
    breaker: { failureThreshold: 100 },
  };
  c.metrics = { enabled: true, path: '/metrics' };
  return c;
}

describe('an upstream that keeps answering 429, through the gateway', () => {
  let upstream: Upstream;
  let running: RunningGateway;

  beforeAll(async () => {
    upstream = await startUpstream();
    running = await startGateway(testConfig(config(upstream.url)), { transport: 'http', port: 0 });
  });
  afterAll(async () => {
    await running?.close();
    await upstream?.close();
  });

  it('is an UPSTREAM_RATE_LIMITED tool error that says when to retry, counted as rate_limited', async () => {
    // Every attempt is a 429 with Retry-After: 0 (so the retries do not wait); the 3rd is the last.
    upstream.setFault({ kind: 'status', status: 429, headers: { 'retry-after': '0' }, times: 3 });
    const client = await connectV2(running.url!, 'legacy');
    try {
      const r = await client.callTool({ name: 'get_assignment', arguments: { id: '1' } });
      expect(r.isError).toBe(true);
      expect(r._meta?.['conduit/error']).toEqual({
        code: 'UPSTREAM_RATE_LIMITED',
        status: 429,
        retryAfterMs: 0,
      });
      const text = textOf(r);
      expect(text).toContain('Upstream "assignments" is rate limiting the gateway');
      expect(text).toContain('HTTP 429');
      expect(text).toContain('retry after 0 ms');
      expect(text).not.toContain('HTTP_STATUS');
      // The fault is used up: the same call now succeeds, so the three 429s were the three attempts.
      expect((await client.callTool({ name: 'get_assignment', arguments: { id: '1' } })).isError).toBeFalsy();
    } finally {
      await client.close();
    }
    const base = running.url!.replace(/\/mcp$/, '');
    const res = await request(`${base}/metrics`);
    const m = parseExposition(await res.body.text());
    const outcome = (o: string) =>
      seriesValue(m, 'conduit_tool_calls_total', {
        tool: 'get_assignment',
        upstream: 'assignments',
        outcome: o,
      });
    expect(outcome('rate_limited')).toBe(1);
    expect(outcome('upstream_status') ?? 0).toBe(0);
    expect(outcome('ok')).toBe(1);
  });
});

describe('an upstream answering 429 with a long Retry-After, through the gateway', () => {
  it('holds every client until the announced time with UPSTREAM_RATE_LIMITED and never opens the breaker', async () => {
    const upstream = await startUpstream();
    const c = config(upstream.url);
    // The default breaker: 5 failures in a row would open it, were 429s failures.
    c.upstreams.assignments = { ...c.upstreams.assignments!, breaker: {} };
    const running = await startGateway(testConfig(c), { transport: 'http', port: 0 });
    const a = await connectV2(running.url!, 'legacy');
    const b = await connectV2(running.url!, 'modern');
    try {
      upstream.setFault({ kind: 'status', status: 429, headers: { 'retry-after': '120' } });
      const first = await a.callTool({ name: 'get_assignment', arguments: { id: '1' } });
      expect(first._meta?.['conduit/error']).toEqual({
        code: 'UPSTREAM_RATE_LIMITED',
        status: 429,
        retryAfterMs: 120_000,
      });
      const results = [];
      for (let i = 0; i < 8; i++)
        results.push(await (i % 2 ? a : b).callTool({ name: 'echo', arguments: { q: String(i) } }));
      expect(upstream.seen).toHaveLength(1); // only the first call reached the upstream
      for (const r of results) {
        const meta = r._meta?.['conduit/error'] as { code: string; retryAfterMs: number };
        expect(meta.code).toBe('UPSTREAM_RATE_LIMITED');
        expect(meta.retryAfterMs).toBeGreaterThan(0);
        expect(meta.retryAfterMs).toBeLessThanOrEqual(120_000);
        expect(textOf(r)).toContain('holds its calls until then and did not send this one');
      }
      const base = running.url!.replace(/\/mcp$/, '');
      const m = parseExposition(await (await request(`${base}/metrics`)).body.text());
      expect(seriesValue(m, 'conduit_breaker_state', { upstream: 'assignments' })).toBe(0); // closed
      expect(sumOf(m, 'conduit_upstream_requests_total', { upstream: 'assignments' })).toBe(1);
      expect(
        sumOf(m, 'conduit_upstream_rejections_total', {
          upstream: 'assignments',
          code: 'UPSTREAM_RATE_LIMITED',
        }),
      ).toBe(8);
    } finally {
      await Promise.allSettled([a.close(), b.close()]);
      await running.close();
      await upstream.close();
    }
  });
});
