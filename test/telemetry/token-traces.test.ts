import { Client } from '@modelcontextprotocol/client';
import { SpanKind } from '@opentelemetry/api';
import { InMemoryTransport } from '@modelcontextprotocol/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withSecrets } from '../../src/config/secrets.js';
import { createGateway } from '../../src/mcp/index.js';
import { testConfig } from '../helpers/gateway-config.js';
import { startRecordingUpstream, startScriptedTokenEndpoint } from '../helpers/token-endpoint.js';
import { idOf, memoryTracing, parentOf } from './memory-tracing.js';

const SECRET = 'token-trace-secret-7c2e91';

describe('traces of a call that needs an upstream token', () => {
  let idp: Awaited<ReturnType<typeof startScriptedTokenEndpoint>>;
  let api: Awaited<ReturnType<typeof startRecordingUpstream>>;
  beforeAll(async () => {
    [idp, api] = await Promise.all([startScriptedTokenEndpoint(), startRecordingUpstream()]);
  });
  afterAll(async () => {
    await Promise.all([idp?.close(), api?.close()]);
  });

  it('the token fetch is a CLIENT span under the tool call, beside the upstream attempt; the secret is in neither', async () => {
    const mem = memoryTracing();
    const config = withSecrets(
      testConfig({
        upstreams: {
          api: {
            baseUrl: api.url,
            auth: {
              type: 'oauth2',
              grant: 'client_credentials',
              tokenUrl: idp.url,
              clientId: 'gateway-client',
              clientSecret: SECRET,
            } as never,
          },
        },
        tools: [
          {
            name: 'get_item',
            upstream: 'api',
            path: '/items/{id}',
            input: { type: 'object', properties: { id: { type: 'string' } } },
          },
        ],
      }),
      [SECRET],
    );
    const gw = createGateway(config, { tracer: mem.tracing.tracer });
    await gw.ready();
    const [a, b] = InMemoryTransport.createLinkedPair();
    await gw.createServer().connect(a);
    const client = new Client({ name: 'test', version: '1' });
    await client.connect(b);
    try {
      const r = await client.callTool({ name: 'get_item', arguments: { id: '7' } });
      expect(r.isError).toBeFalsy();
    } finally {
      await client.close();
      await gw.close();
    }
    const server = mem.one('tools/call get_item');
    expect(server.attributes['network.transport']).toBe('pipe');
    const clients = mem.spans().filter((s) => s.kind === SpanKind.CLIENT);
    const token = clients.find((s) => s.attributes['conduit.upstream'] === 'api.token');
    const call = clients.find((s) => s.attributes['conduit.upstream'] === 'api');
    expect(token?.attributes).toMatchObject({
      'http.request.method': 'POST',
      'http.response.status_code': 200,
    });
    expect(call?.name).toBe('GET /items/{id}');
    expect(parentOf(token!)).toBe(idOf(server));
    expect(parentOf(call!)).toBe(idOf(server));
    expect(JSON.stringify(mem.spans().map((s) => [s.name, s.attributes, s.events]))).not.toContain(SECRET);
    await mem.tracing.close();
  });
});
