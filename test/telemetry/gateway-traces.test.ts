import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/index.js';
import { type RunningGateway, startGateway } from '../../src/mcp/index.js';
import { connectV1, connectV2 } from '../mcp/helpers/clients.js';
import { startUpstream, type Upstream } from '../mcp/helpers/upstream.js';
import { type TestConfigInput, testConfig } from '../helpers/gateway-config.js';
import { idOf, memoryTracing, parentOf } from './memory-tracing.js';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const CLIENT_SPAN = '00f067aa0ba902b7';
const TRACEPARENT = `00-${TRACE_ID}-${CLIENT_SPAN}-01`;

function config(baseUrl: string, upstream: Record<string, unknown> = {}): TestConfigInput {
  return {
    server: { name: 'traces-test' },
    cache: { prefix: `t${Math.random().toString(36).slice(2, 8)}` },
    upstreams: {
      assignments: {
        baseUrl,
        retry: { maxAttempts: 3, baseDelay: 1, maxDelay: 2 },
        timeouts: { total: 5000 },
        ...upstream,
      },
    },
    tools: [
      {
        name: 'get_assignment',
        upstream: 'assignments',
        method: 'GET',
        path: '/assignments/{id}',
        input: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
        cache: { ttl: 1000, key: 'assignment:{id}', tags: ['assignment:{id}'], staleIfError: 60_000 },
      },
    ],
  };
}

describe('traces of tool calls (in-memory exporter, real MCP clients over Streamable HTTP)', () => {
  let upstream: Upstream;
  let gateway: RunningGateway | undefined;
  let mem: ReturnType<typeof memoryTracing>;

  beforeAll(async () => {
    upstream = await startUpstream();
  });
  afterAll(async () => {
    await upstream?.close();
  });
  beforeEach(() => {
    upstream.setFault({ kind: 'none' });
    mem = memoryTracing();
    return async () => {
      await gateway?.close();
      gateway = undefined;
      await mem.tracing.close();
    };
  });

  it('a miss then a hit: a server span per call named per the MCP conventions, the cache lookup its child', async () => {
    gateway = await startGateway(testConfig(config(upstream.url)), {
      transport: 'http',
      tracer: mem.tracing.tracer,
      progressIntervalMs: 0,
    });
    const client = await connectV2(gateway.url!, 'modern');
    try {
      await client.callTool({ name: 'get_assignment', arguments: { id: '1' } });
      mem.exporter.reset();
      await client.callTool({ name: 'get_assignment', arguments: { id: '1' } });
    } finally {
      await client.close();
    }
    const server = mem.one('tools/call get_assignment');
    expect(server.kind).toBe(SpanKind.SERVER);
    expect(server.attributes).toMatchObject({
      'mcp.method.name': 'tools/call',
      'gen_ai.tool.name': 'get_assignment',
      'gen_ai.operation.name': 'execute_tool',
      'mcp.protocol.version': '2026-07-28',
      'network.transport': 'tcp',
    });
    expect(typeof server.attributes['jsonrpc.request.id']).toBe('string');
    expect(server.attributes['error.type']).toBeUndefined();
    const lookup = mem.one('cache lookup');
    expect(parentOf(lookup)).toBe(idOf(server));
    expect(lookup.attributes).toMatchObject({
      'conduit.cache.tier': 'l1',
      'conduit.cache.result': 'hit',
      'conduit.cache.tags': ['assignment:1'],
    });
    // A hit sends nothing upstream.
    expect(mem.spans().filter((s) => s.kind === SpanKind.CLIENT)).toEqual([]);
  });

  it('a miss with two retries: three attempt spans under the lookup, two retry events, traceparent sent upstream', async () => {
    gateway = await startGateway(testConfig(config(upstream.url)), {
      transport: 'http',
      tracer: mem.tracing.tracer,
      progressIntervalMs: 0,
    });
    const client = await connectV2(gateway.url!, 'modern');
    const seenBefore = upstream.seen.length;
    upstream.setFault({ kind: 'status', status: 503, times: 2 });
    try {
      const r = await client.callTool({
        name: 'get_assignment',
        arguments: { id: '2' },
        _meta: { traceparent: TRACEPARENT },
      });
      expect(r.isError).toBeFalsy();
    } finally {
      await client.close();
    }
    const server = mem.one('tools/call get_assignment');
    // The client's span (params._meta.traceparent) is the parent.
    expect(server.spanContext().traceId).toBe(TRACE_ID);
    expect(parentOf(server)).toBe(CLIENT_SPAN);
    const lookup = mem.one('cache lookup');
    expect(lookup.attributes).toMatchObject({
      'conduit.cache.tier': 'factory',
      'conduit.cache.result': 'miss',
    });
    const attempts = mem.byName('GET /assignments/{id}').sort((a, b) => a.startTime[1] - b.startTime[1]);
    expect(attempts).toHaveLength(3);
    for (const a of attempts) {
      expect(a.kind).toBe(SpanKind.CLIENT);
      expect(parentOf(a)).toBe(idOf(lookup));
      expect(a.attributes).toMatchObject({
        'http.request.method': 'GET',
        'url.template': '/assignments/{id}',
        'server.address': '127.0.0.1',
        'url.full': `${upstream.url}/assignments/2`,
      });
    }
    const statuses = attempts.map((a) => a.attributes['http.response.status_code']).sort();
    expect(statuses).toEqual([200, 503, 503]);
    expect(attempts.filter((a) => a.status.code === SpanStatusCode.ERROR)).toHaveLength(2);
    const retries = lookup.events.filter((e) => e.name === 'conduit.retry');
    expect(retries.map((e) => e.attributes?.['conduit.retry.reason'])).toEqual(['503', '503']);
    expect(retries.every((e) => typeof e.attributes?.['conduit.retry.delay_ms'] === 'number')).toBe(true);
    // Each upstream request carried the traceparent of its own attempt span.
    const sent = upstream.seen.slice(seenBefore).map((r) => r.headers.traceparent);
    expect(sent.sort()).toEqual(attempts.map((a) => `00-${TRACE_ID}-${idOf(a)}-01`).sort());
  });

  it('a stale answer while the breaker is open: breaker transition and stale-if-error events', async () => {
    const clock = new ManualClock(Date.now());
    gateway = await startGateway(
      testConfig(
        config(upstream.url, {
          retry: { maxAttempts: 1 },
          breaker: { failureThreshold: 1, recovery: 60_000, scope: 'upstream' },
        }),
      ),
      { transport: 'http', tracer: mem.tracing.tracer, progressIntervalMs: 0, clock },
    );
    const client = await connectV2(gateway.url!, 'legacy');
    try {
      await client.callTool({ name: 'get_assignment', arguments: { id: '1' } });
      await clock.advanceAsync(2000);
      upstream.setFault({ kind: 'status', status: 503 });
      mem.exporter.reset();
      // The upstream fails: the breaker opens, the stale entry answers.
      const first = await client.callTool({ name: 'get_assignment', arguments: { id: '1' } });
      expect(first.isError).toBeFalsy();
      const opened = mem.one('cache lookup');
      const transition = opened.events.find((e) => e.name === 'conduit.breaker.transition');
      expect(transition?.attributes).toMatchObject({
        'conduit.breaker.from': 'closed',
        'conduit.breaker.to': 'open',
      });
      expect(opened.events.find((e) => e.name === 'conduit.cache.stale_if_error')?.attributes).toEqual({
        'conduit.cache.stale_reason': '503',
      });
      mem.exporter.reset();
      // Moments later the cache holds the upstream off by itself.
      await client.callTool({ name: 'get_assignment', arguments: { id: '1' } });
      expect(
        mem.one('cache lookup').events.find((e) => e.name === 'conduit.cache.stale_if_error')?.attributes,
      ).toEqual({ 'conduit.cache.stale_reason': 'recent_failure' });
      mem.exporter.reset();
      // Past that hold, with the breaker still open, no request leaves: CIRCUIT_OPEN, the stale entry answers.
      const seen = upstream.seen.length;
      await clock.advanceAsync(6000);
      const second = await client.callTool({ name: 'get_assignment', arguments: { id: '1' } });
      expect(second.isError).toBeFalsy();
      expect(upstream.seen.length).toBe(seen);
    } finally {
      await client.close();
    }
    const server = mem.one('tools/call get_assignment');
    expect(server.attributes['mcp.session.id']).toEqual(expect.any(String));
    const lookup = mem.one('cache lookup');
    expect(lookup.attributes).toMatchObject({ 'conduit.cache.result': 'stale' });
    const stale = lookup.events.find((e) => e.name === 'conduit.cache.stale_if_error');
    expect(stale?.attributes).toMatchObject({ 'conduit.cache.stale_reason': 'CIRCUIT_OPEN' });
    expect(mem.spans().filter((s) => s.kind === SpanKind.CLIENT)).toEqual([]);
  });

  it('a tool error is error.type=tool_error with status ERROR; the v1 client and the HTTP traceparent header parent it', async () => {
    gateway = await startGateway(testConfig(config(upstream.url, { retry: { maxAttempts: 1 } })), {
      transport: 'http',
      tracer: mem.tracing.tracer,
      progressIntervalMs: 0,
    });
    const client = await connectV1(gateway.url!, { traceparent: TRACEPARENT });
    upstream.setFault({ kind: 'status', status: 404 });
    try {
      const r = await client.callTool({ name: 'get_assignment', arguments: { id: '9' } });
      expect(r.isError).toBe(true);
    } finally {
      await client.close();
    }
    const server = mem.one('tools/call get_assignment');
    expect(parentOf(server)).toBe(CLIENT_SPAN);
    expect(server.attributes['error.type']).toBe('tool_error');
    expect(server.status.code).toBe(SpanStatusCode.ERROR);
    const attempt = mem.one('GET /assignments/{id}');
    expect(attempt.attributes).toMatchObject({ 'http.response.status_code': 404, 'error.type': '404' });
  });

  it('a client’s 512 KiB argument is cut to 4096 characters in every span it reaches (cache tags, url.full)', async () => {
    gateway = await startGateway(testConfig(config(upstream.url, { retry: { maxAttempts: 1 } })), {
      transport: 'http',
      tracer: mem.tracing.tracer,
      progressIntervalMs: 0,
    });
    const client = await connectV2(gateway.url!, 'modern');
    try {
      await client.callTool({ name: 'get_assignment', arguments: { id: 'x'.repeat(512 * 1024) } });
    } finally {
      await client.close();
    }
    const tags = mem.one('cache lookup').attributes['conduit.cache.tags'] as string[];
    expect(tags.map((t) => t.length)).toEqual([4096]);
    expect(tags[0]!.startsWith('assignment:xxx')).toBe(true);
    // Every string any span holds, whichever attribute it reached.
    const longest = Math.max(
      ...mem
        .spans()
        .flatMap((span) => Object.values(span.attributes).flat())
        .map((v) => (typeof v === 'string' ? v.length : 0)),
    );
    expect(longest).toBeLessThanOrEqual(4096);
    // The upstream refused the 512 KiB path (431); its attempt span still names the URL, cut.
    expect(String(mem.one('GET /assignments/{id}').attributes['url.full'])).toHaveLength(4096);
  });

  it('without a tracer no span is made and no traceparent is sent', async () => {
    gateway = await startGateway(testConfig(config(upstream.url)), {
      transport: 'http',
      progressIntervalMs: 0,
    });
    const client = await connectV2(gateway.url!, 'modern');
    const before = upstream.seen.length;
    try {
      await client.callTool({
        name: 'get_assignment',
        arguments: { id: '1' },
        _meta: { traceparent: TRACEPARENT },
      });
    } finally {
      await client.close();
    }
    expect(upstream.seen.slice(before).map((r) => r.headers.traceparent)).toEqual([undefined]);
    expect(mem.spans()).toEqual([]);
  });
});
