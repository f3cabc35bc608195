import { Client } from '@modelcontextprotocol/client';
import { InMemoryTransport } from '@modelcontextprotocol/server';
import { afterEach, describe, expect, it } from 'vitest';
import { createGateway, type Gateway } from '../../src/mcp/index.js';
import { testConfig } from '../helpers/gateway-config.js';
import { startRecordingUpstream, startScriptedTokenEndpoint } from '../helpers/token-endpoint.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('a reload and upstream credentials', () => {
  it("retires a removed upstream's token credential once the call using it finished: its token endpoint connection is closed", async () => {
    const idp = await startScriptedTokenEndpoint(3600);
    const api = await startRecordingUpstream();
    cleanups.push(
      () => idp.close(),
      () => api.close(),
    );
    const withAuth = testConfig({
      upstreams: {
        api: {
          baseUrl: api.url,
          auth: {
            type: 'oauth2',
            grant: 'client_credentials',
            tokenUrl: idp.url,
            clientId: 'gateway-client',
            clientSecret: 'reload-cc-secret',
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
    });
    const gw: Gateway = createGateway(withAuth);
    cleanups.push(() => gw.close());
    const [a, b] = InMemoryTransport.createLinkedPair();
    await gw.createServer().connect(a);
    const client = new Client({ name: 'test', version: '1' });
    await client.connect(b);
    cleanups.push(() => client.close());

    // The token fetch is held: a call in flight on the old credential across the reload.
    const release = idp.willHold();
    const held = client.callTool({ name: 'get_item', arguments: { id: '1' } });
    await idp.received(1);
    const plain = testConfig({
      upstreams: { other: { baseUrl: api.url } },
      tools: [
        {
          name: 'get_item',
          upstream: 'other',
          path: '/items/{id}',
          input: { type: 'object', properties: { id: { type: 'string' } } },
        },
      ],
    });
    const report = await gw.reload(plain);
    expect(report.upstreams).toMatchObject({ removed: ['api'], added: ['other'] });
    expect(idp.openSockets).toBe(1);
    release();
    const answer = await held;
    expect(answer.isError).toBeFalsy();
    expect(api.seen[0]).toEqual({ path: '/items/1', token: 'held-1' });
    await report.retired;
    await idp.socketsClosed();
    // The new config's tool reaches the upstream without a token.
    await client.callTool({ name: 'get_item', arguments: { id: '2' } });
    expect(api.seen[1]).toEqual({ path: '/items/2', token: undefined });
    expect(idp.requests).toHaveLength(1);
  });
});
