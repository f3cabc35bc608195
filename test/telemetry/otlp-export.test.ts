// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the config is written with ${VAR} references on purpose
import { once } from 'node:events';
import { createServer, type Socket } from 'node:net';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePorts } from '../helpers/free-ports.js';
import { type RawServer, serveCommand, spawnRaw, writeConfig } from '../mcp/helpers/spawn-gateway.js';
import { startUpstream, type Upstream } from '../mcp/helpers/upstream.js';
import { attr, startOtlpReceiver } from './otlp-receiver.js';

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const CLIENT_SPAN = 'b7ad6b7169203331';
const OTLP_KEY = 'otlp-key-3f9c1e7a5b2d4c6e';
const API_KEY = 'upstream-key-8d2f6a1c9e3b7d5f';

describe('traces exported over OTLP/HTTP by `conduit serve` on stdio', () => {
  let upstream: Upstream;
  let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;

  beforeAll(async () => {
    [upstream, receiver] = await Promise.all([startUpstream(), startOtlpReceiver()]);
  });
  afterAll(async () => {
    await Promise.all([upstream?.close(), receiver?.close()]);
  });

  it('a stdio tool call parented by params._meta.traceparent reaches the receiver as JSON; no secret in any span or log', async () => {
    const configPath = writeConfig({
      server: { name: 'otlp-test' },
      logging: { level: 'debug' },
      upstreams: {
        assignments: {
          baseUrl: upstream.url,
          auth: { type: 'query', name: 'api_key', value: '${TEST_UPSTREAM_KEY}' },
          retry: { maxAttempts: 1 },
        },
      },
      tools: [
        {
          name: 'get_assignment',
          upstream: 'assignments',
          method: 'GET',
          path: '/assignments/{id}',
          input: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
        },
      ],
      telemetry: {
        serviceName: 'conduit-otlp-test',
        otlp: { endpoint: receiver.endpoint, headers: { 'x-otlp-key': '${TEST_OTLP_KEY}' } },
      },
    });
    let stderr = '';
    const transport = new StdioClientTransport({
      ...serveCommand(configPath),
      env: {
        ...(process.env as Record<string, string>),
        TEST_OTLP_KEY: OTLP_KEY,
        TEST_UPSTREAM_KEY: API_KEY,
      },
      stderr: 'pipe',
    });
    transport.stderr?.on('data', (c: Buffer) => {
      stderr += c.toString('utf8');
    });
    const client = new Client({ name: 'otlp-test', version: '1.0.0' });
    await client.connect(transport);
    const r = await client.callTool({
      name: 'get_assignment',
      arguments: { id: '1' },
      _meta: { traceparent: `00-${TRACE_ID}-${CLIENT_SPAN}-01` },
    });
    expect(r.isError).toBeFalsy();
    // Closing stdin shuts the gateway down, which flushes the exporter.
    await client.close();
    const server = await receiver.span('tools/call get_assignment');
    const attempt = await receiver.span('GET /assignments/{id}');

    expect(receiver.requests[0]?.contentType).toContain('application/json');
    expect(receiver.requests[0]?.headers['x-otlp-key']).toBe(OTLP_KEY);
    expect(receiver.spans.every((s) => s.service === 'conduit-otlp-test')).toBe(true);
    expect(server.traceId).toBe(TRACE_ID);
    expect(server.parentSpanId).toBe(CLIENT_SPAN);
    expect(attr(server, 'network.transport')).toBe('pipe');
    expect(attr(server, 'mcp.method.name')).toBe('tools/call');
    expect(attr(server, 'gen_ai.tool.name')).toBe('get_assignment');
    expect(attr(server, 'jsonrpc.request.id')).toEqual(expect.any(String));
    expect(attempt.parentSpanId).toBe(server.spanId);
    expect(attr(attempt, 'http.response.status_code')).toBe(200);
    // The query credential is redacted in url.full, as in logs; the upstream got it and the traceparent.
    expect(attr(attempt, 'url.full')).toBe(`${upstream.url}/assignments/1?api_key=[REDACTED]`);
    const seen = upstream.seen.find((s) => s.url.startsWith('/assignments/1'));
    expect(seen?.url).toContain(API_KEY);
    expect(seen?.headers.traceparent).toBe(`00-${TRACE_ID}-${attempt.spanId}-01`);
    const exported = JSON.stringify(receiver.spans);
    for (const secret of [API_KEY, OTLP_KEY]) {
      expect(exported).not.toContain(secret);
      expect(stderr).not.toContain(secret);
    }
  });
});

/** A collector that accepts connections and never answers (a hung process, a black-holing proxy). */
async function startSilentCollector() {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server = createServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.resume();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  return {
    port,
    /** Connections it has accepted so far. */
    accepted: () => accepted,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('`conduit serve` shutting down while the OTLP collector cannot take the last spans', () => {
  let upstream: Upstream;
  beforeAll(async () => {
    upstream = await startUpstream();
  });
  afterAll(() => upstream?.close());

  const configFor = (port: number, timeout?: string, host = '127.0.0.1') =>
    writeConfig({
      server: { name: 'otlp-down' },
      logging: { level: 'info' },
      upstreams: { assignments: { baseUrl: upstream.url, retry: { maxAttempts: 1 } } },
      tools: [
        {
          name: 'get_assignment',
          upstream: 'assignments',
          method: 'GET',
          path: '/assignments/{id}',
          input: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
        },
      ],
      telemetry: {
        otlp: {
          endpoint: `http://${host}:${port}/v1/traces`,
          headers: { 'x-otlp-key': '${TEST_OTLP_KEY}' },
          ...(timeout !== undefined ? { timeout } : {}),
        },
      },
    });

  /** Serves `configPath` on stdio and makes one tool call, so its spans wait in the exporter's batch. */
  async function serveWithQueuedSpans(configPath: string): Promise<RawServer> {
    const server = spawnRaw(configPath, { TEST_OTLP_KEY: OTLP_KEY, TEST_OTLP_HOST: '127.0.0.1' });
    server.send({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
    });
    await server.response(1);
    server.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    server.send({
      jsonrpc: '2.0',
      id: 2,
      method: 'tools/call',
      params: { name: 'get_assignment', arguments: { id: '1' } },
    });
    const answer = await server.response(2);
    expect((answer.result as { isError?: boolean }).isError).toBeFalsy();
    return server;
  }

  /** The JSON log lines of stderr. */
  const logLines = (server: RawServer) =>
    server
      .stderr()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);

  it.each([
    ['the client closes stdin', (s: RawServer) => s.child.stdin.end()],
    ['SIGTERM', (s: RawServer) => s.child.kill('SIGTERM')],
    ['SIGINT', (s: RawServer) => s.child.kill('SIGINT')],
  ])(
    'collector down (connection refused), stop by %s: one last attempt, one warning by code only, "stopped", exit 0',
    async (_, stop) => {
      const [closedPort] = await freePorts(1);
      const server = await serveWithQueuedSpans(configFor(closedPort!));
      stop(server);
      expect(await server.exit).toEqual({ code: 0, signal: null });
      const lines = logLines(server);
      const failed = lines.filter((l) => l.msg === 'traces: sending spans failed');
      expect(failed).toEqual([
        expect.objectContaining({
          level: 40,
          code: 'ECONNREFUSED',
          attempts: 1,
        }),
      ]);
      expect(failed[0]!.spans).toEqual(expect.any(Number));
      expect(lines.at(-1)).toMatchObject({ msg: 'stopped' });
      expect(server.stderr()).not.toContain('a handle was still open');
      expect(server.stderr()).not.toContain(OTLP_KEY);
      expect(server.stderr()).not.toContain('x-otlp-key');
      expect(server.stderr()).not.toContain('/v1/traces');
      expect(server.stderr()).not.toContain(`127.0.0.1:${closedPort}`);
    },
  );

  it('the shutdown warning names no part of an endpoint from the environment', async () => {
    const [closedPort] = await freePorts(1);
    const server = await serveWithQueuedSpans(configFor(closedPort!, undefined, '${TEST_OTLP_HOST}'));
    server.child.kill('SIGTERM');
    expect(await server.exit).toEqual({ code: 0, signal: null });
    const lines = logLines(server);
    expect(lines.filter((l) => l.msg === 'traces: sending spans failed')).toEqual([
      expect.objectContaining({ code: 'ECONNREFUSED', attempts: 1 }),
    ]);
    expect(lines.at(-1)).toMatchObject({ msg: 'stopped' });
    expect(server.stderr()).not.toContain('a handle was still open');
    expect(server.stderr()).not.toContain('127.0.0.1');
    expect(server.stderr()).not.toContain(`:${closedPort}`);
  });

  it('collector that accepts and never answers: shutdown gives up after telemetry.otlp.timeout, logs "stopped", exit 0', async () => {
    const collector = await startSilentCollector();
    try {
      const server = await serveWithQueuedSpans(configFor(collector.port, '300ms'));
      server.child.kill('SIGTERM');
      expect(await server.exit).toEqual({ code: 0, signal: null });
      // The last export was tried: the collector took its connection.
      expect(collector.accepted()).toBeGreaterThan(0);
      const lines = logLines(server);
      const failed = lines.filter((l) => l.msg === 'traces: sending spans failed');
      expect(failed).toEqual([expect.objectContaining({ level: 40, attempts: 1 })]);
      expect(lines.at(-1)).toMatchObject({ msg: 'stopped' });
      expect(server.stderr()).not.toContain('a handle was still open');
      expect(server.stderr()).not.toContain(OTLP_KEY);
    } finally {
      await collector.close();
    }
  });
});
