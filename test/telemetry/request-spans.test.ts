import { Client } from '@modelcontextprotocol/client';
import { InMemoryTransport } from '@modelcontextprotocol/server';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { noopLogger } from '../../src/core/index.js';
import {
  createGateway,
  type Gateway,
  type RunningGateway,
  serveGatewayStdio,
  startGateway,
} from '../../src/mcp/index.js';
import { endMcpServerSpanWithError, startMcpServerSpan } from '../../src/telemetry/index.js';
import { type TestConfigInput, testConfig } from '../helpers/gateway-config.js';
import { connectV2, type Era } from '../mcp/helpers/clients.js';
import { startUpstream, type Upstream } from '../mcp/helpers/upstream.js';
import { memoryTracing, parentOf } from './memory-tracing.js';

const TRACE_ID = '5bf92f3577b34da6a3ce929d0e0e4737';
const CLIENT_SPAN = '10f067aa0ba902b8';
const TRACEPARENT = `00-${TRACE_ID}-${CLIENT_SPAN}-01`;
const HEADER_TRACE_ID = '6cf92f3577b34da6a3ce929d0e0e4738';
const HEADER_SPAN = '20f067aa0ba902b9';
const HEADER_TRACEPARENT = `00-${HEADER_TRACE_ID}-${HEADER_SPAN}-01`;

function config(baseUrl: string): TestConfigInput {
  return {
    server: { name: 'request-spans-test' },
    cache: { prefix: `r${Math.random().toString(36).slice(2, 8)}` },
    upstreams: { assignments: { baseUrl, retry: { maxAttempts: 1 } } },
    resources: {},
    tools: [
      {
        name: 'get_assignment',
        upstream: 'assignments',
        method: 'GET',
        path: '/assignments/{id}',
        input: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
      },
    ],
  };
}

/** The one SERVER span of each method named, in the order they were asked for. */
function serverSpans(spans: ReadableSpan[], ...names: string[]): ReadableSpan[] {
  return names.map((name) => {
    const found = spans.filter((s) => s.name === name && s.kind === SpanKind.SERVER);
    if (found.length !== 1)
      throw new Error(
        `expected one server span "${name}", found ${found.length}: ${spans.map((s) => s.name)}`,
      );
    return found[0]!;
  });
}

/**
 * Requests through the v2 Client: lists, a read, a tool call, a prompts request the gateway does not
 * serve, and `ping` where the era has it (2026-07-28 has none).
 */
async function exercise(client: Client, era: Era): Promise<void> {
  await client.listTools({ _meta: { traceparent: TRACEPARENT } });
  await client.listResources();
  await client.readResource({ uri: 'conduit://health' });
  if (era === 'legacy') await client.ping();
  await client.callTool({ name: 'get_assignment', arguments: { id: '1' } });
  await expect(client.request({ method: 'prompts/list', params: {} } as never)).rejects.toThrow();
}

/** What every request span of one connection shares, and what each method adds. */
function expectRequestSpans(
  spans: ReadableSpan[],
  expected: { transport: 'pipe' | 'tcp'; version: string; session: boolean; era: Era },
): void {
  const [list, resources, read, call, prompts] = serverSpans(
    spans,
    'tools/list',
    'resources/list',
    'resources/read',
    'tools/call get_assignment',
    'prompts/list',
  ) as [ReadableSpan, ReadableSpan, ReadableSpan, ReadableSpan, ReadableSpan];
  const named: [ReadableSpan, string][] = [
    [list, 'tools/list'],
    [resources, 'resources/list'],
    [read, 'resources/read'],
    [call, 'tools/call'],
    [prompts, 'prompts/list'],
  ];
  if (expected.era === 'legacy') named.push([serverSpans(spans, 'ping')[0]!, 'ping']);
  for (const [span, method] of named) {
    expect(span.attributes['mcp.method.name']).toBe(method);
    expect(span.attributes['jsonrpc.request.id']).toEqual(expect.any(String));
    expect(span.attributes['mcp.protocol.version']).toBe(expected.version);
    expect(span.attributes['network.transport']).toBe(expected.transport);
    expect(span.attributes['network.protocol.name']).toBe(expected.transport === 'tcp' ? 'http' : undefined);
    if (expected.session) expect(span.attributes['mcp.session.id']).toEqual(expect.any(String));
    else expect(span.attributes['mcp.session.id']).toBeUndefined();
  }
  // params._meta.traceparent parents its request only.
  expect(list.spanContext().traceId).toBe(TRACE_ID);
  expect(parentOf(list)).toBe(CLIENT_SPAN);
  expect(resources.spanContext().traceId).not.toBe(TRACE_ID);
  expect(read.attributes['mcp.resource.uri']).toBe('conduit://health');
  expect(call.attributes).toMatchObject({
    'gen_ai.tool.name': 'get_assignment',
    'gen_ai.operation.name': 'execute_tool',
  });
  expect(list.attributes['gen_ai.tool.name']).toBeUndefined();
  // An unknown method blames the caller: its code recorded, neither error.type nor status ERROR.
  expect(prompts.attributes['rpc.response.status_code']).toBe('-32601');
  expect(prompts.attributes['error.type']).toBeUndefined();
  expect(prompts.status.code).toBe(SpanStatusCode.UNSET);
  for (const s of [list, resources, read, call]) {
    expect(s.attributes['error.type']).toBeUndefined();
    expect(s.attributes['rpc.response.status_code']).toBeUndefined();
  }
  // The span lasts until the answer is sent: the upstream attempt lies within the tool call's.
  const attempt = spans.find((s) => s.name === 'GET /assignments/{id}')!;
  expect(parentOf(attempt)).toBe(call.spanContext().spanId);
}

describe('a server span per MCP request, whatever the method', () => {
  let upstream: Upstream;
  let mem: ReturnType<typeof memoryTracing>;

  beforeAll(async () => {
    upstream = await startUpstream();
  });
  afterAll(async () => {
    await upstream?.close();
  });
  beforeEach(() => {
    mem = memoryTracing();
    return async () => {
      await mem.tracing.close();
    };
  });

  describe('over Streamable HTTP', () => {
    let gateway: RunningGateway | undefined;
    beforeEach(() => async () => {
      await gateway?.close();
      gateway = undefined;
    });
    const start = async () => {
      gateway = await startGateway(testConfig(config(upstream.url)), {
        transport: 'http',
        tracer: mem.tracing.tracer,
        progressIntervalMs: 0,
      });
      return gateway.url!;
    };

    it('2025 sessions: initialize records the negotiated version and the session, every later request too', async () => {
      const client = await connectV2(await start(), 'legacy');
      const version = client.getNegotiatedProtocolVersion();
      try {
        await exercise(client, 'legacy');
      } finally {
        await client.close();
      }
      const [init, initialized] = serverSpans(mem.spans(), 'initialize', 'notifications/initialized') as [
        ReadableSpan,
        ReadableSpan,
      ];
      expect(init.attributes).toMatchObject({
        'mcp.method.name': 'initialize',
        'mcp.protocol.version': version,
      });
      const session = init.attributes['mcp.session.id'];
      expect(session).toEqual(expect.any(String));
      // A notification has no JSON-RPC id.
      expect(initialized.attributes['jsonrpc.request.id']).toBeUndefined();
      expectRequestSpans(mem.spans(), { transport: 'tcp', version: version!, session: true, era: 'legacy' });
      expect(serverSpans(mem.spans(), 'tools/list')[0]!.attributes['mcp.session.id']).toBe(session);
    });

    it('2025 sessions: the HTTP traceparent header parents what _meta does not', async () => {
      const client = await connectV2(await start(), 'legacy', { traceparent: HEADER_TRACEPARENT });
      try {
        await client.listTools({ _meta: { traceparent: TRACEPARENT } });
        await client.listResources();
      } finally {
        await client.close();
      }
      const [list, resources] = serverSpans(mem.spans(), 'tools/list', 'resources/list') as [
        ReadableSpan,
        ReadableSpan,
      ];
      expect(resources.spanContext().traceId).toBe(HEADER_TRACE_ID);
      expect(parentOf(resources)).toBe(HEADER_SPAN);
      expect(parentOf(list)).toBe(CLIENT_SPAN);
      expect(list.links.map((l) => l.context.spanId)).toEqual([HEADER_SPAN]);
    });

    it('2026-07-28: each request names its revision; no session; the HTTP traceparent header parents what _meta does not', async () => {
      const client = await connectV2(await start(), 'modern', { traceparent: HEADER_TRACEPARENT });
      try {
        await exercise(client, 'modern');
      } finally {
        await client.close();
      }
      expectRequestSpans(mem.spans(), {
        transport: 'tcp',
        version: '2026-07-28',
        session: false,
        era: 'modern',
      });
      const [list, resources] = serverSpans(mem.spans(), 'tools/list', 'resources/list') as [
        ReadableSpan,
        ReadableSpan,
      ];
      expect(parentOf(resources)).toBe(HEADER_SPAN);
      expect(resources.spanContext().traceId).toBe(HEADER_TRACE_ID);
      // _meta wins; the HTTP request's own context is a link.
      expect(list.links.map((l) => l.context.spanId)).toEqual([HEADER_SPAN]);
    });

    it('what a client chooses (tool name, method, resource URI, request id) is recorded cut short: a 256 KiB name does not make a 256 KiB span', async () => {
      const huge = 'x'.repeat(256 * 1024);
      const client = await connectV2(await start(), 'legacy');
      try {
        await client.callTool({ name: huge, arguments: {} }).catch(() => undefined);
        await client.readResource({ uri: `conduit://${huge}` }).catch(() => undefined);
        await client
          .request({ method: `x/${huge}`, params: {} } as never, z.object({}))
          .catch(() => undefined);
      } finally {
        await client.close();
      }
      const recorded = mem.spans().filter((s) => s.kind === SpanKind.SERVER && s.name !== 'initialize');
      expect(recorded.map((s) => s.attributes['mcp.method.name']?.toString().slice(0, 16))).toEqual(
        expect.arrayContaining(['tools/call', 'resources/read', 'x/xxxxxxxxxxxxxx']),
      );
      // Each SERVER span holds a few hundred characters of the client's text at most, not the 256 KiB it sent
      // (spans wait in the exporter's queue of 2048: unbounded, a client makes the gateway hold gigabytes).
      for (const s of recorded) {
        expect(s.name.length, s.name.slice(0, 40)).toBeLessThanOrEqual(1024);
        for (const [key, value] of Object.entries(s.attributes))
          expect(String(value).length, `${s.name.slice(0, 40)}: ${key}`).toBeLessThanOrEqual(1024);
      }
    });
  });

  describe('over stdio', () => {
    let gateway: Gateway | undefined;
    beforeEach(() => async () => {
      await gateway?.close();
      gateway = undefined;
    });

    async function connectStdio(era: Era): Promise<Client> {
      gateway = createGateway(testConfig(config(upstream.url)), {
        tracer: mem.tracing.tracer,
        progressIntervalMs: 0,
        logger: noopLogger,
      });
      const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
      serveGatewayStdio(gateway, { logger: noopLogger, transport: serverSide });
      const client = new Client(
        { name: 'stdio-spans', version: '1.0.0' },
        era === 'modern' ? { versionNegotiation: { mode: { pin: '2026-07-28' } } } : {},
      );
      await client.connect(clientSide);
      return client;
    }

    for (const era of ['legacy', 'modern'] as const)
      it(`${era === 'legacy' ? '2025 handshake' : '2026-07-28'}: pipe transport, the version on every request, parent from _meta`, async () => {
        const client = await connectStdio(era);
        const version = client.getNegotiatedProtocolVersion();
        try {
          await exercise(client, era);
        } finally {
          await client.close();
        }
        if (era === 'modern') expect(version).toBe('2026-07-28');
        expectRequestSpans(mem.spans(), { transport: 'pipe', version: version!, session: false, era });
      });

    it('a request unanswered when the connection closes: its span ends, error.type=connection_closed', async () => {
      const client = await connectStdio('legacy');
      upstream.setFault({ kind: 'hang' });
      const seen = upstream.nextRequest();
      const call = client.callTool({ name: 'get_assignment', arguments: { id: '2' } }).catch(() => undefined);
      await seen;
      await client.close();
      await call;
      upstream.release();
      upstream.setFault({ kind: 'none' });
      const [span] = serverSpans(mem.spans(), 'tools/call get_assignment');
      expect(span!.attributes['error.type']).toBe('connection_closed');
      expect(span!.status.code).toBe(SpanStatusCode.ERROR);
    });
  });

  it('a JSON-RPC error of the server is error.type and status ERROR with its message', () => {
    const { span } = startMcpServerSpan(mem.tracing.tracer, {
      method: 'tools/call',
      requestId: 7,
      toolName: 'x',
    });
    endMcpServerSpanWithError(span, { code: -32603, message: 'Internal error' });
    const [ended] = mem.spans();
    expect(ended?.attributes).toMatchObject({ 'rpc.response.status_code': '-32603', 'error.type': '-32603' });
    expect(ended?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'Internal error' });
  });

  it('a long error message is cut to 256 characters in the status, never inside a surrogate pair', () => {
    const { span } = startMcpServerSpan(mem.tracing.tracer, { method: 'tools/call', toolName: 'x' });
    // Unit 255 is the first half of a pair: a cut after 256 units would leave half a character.
    endMcpServerSpanWithError(span, { code: -32603, message: `a${'😀'.repeat(200)}` });
    const [ended] = mem.spans();
    expect(ended?.status.message).toBe(`a${'😀'.repeat(127)}…`);
  });
});
