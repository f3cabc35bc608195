// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the config is written with ${VAR} references on purpose
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveCommand, writeConfig } from '../mcp/helpers/spawn-gateway.js';
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
