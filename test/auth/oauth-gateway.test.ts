import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ClientCredentialsProvider } from '@modelcontextprotocol/client';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRecordingLogger } from '../../src/core/index.js';
import { type RunningGateway, startGateway } from '../../src/mcp/index.js';
import { connectV1, connectV2 } from '../mcp/helpers/clients.js';
import { freePort } from '../helpers/free-ports.js';
import { testConfig } from '../helpers/gateway-config.js';
import {
  AS_CLIENTS,
  type AuthorizationServer,
  clientSecret,
  gatewayAuth,
  startAuthorizationServer,
} from '../helpers/authorization-server.js';

async function startEcho() {
  const server: Server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ path: req.url }));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise<void>((r) => server.close(() => r())) };
}

let as: AuthorizationServer;
let echo: Awaited<ReturnType<typeof startEcho>>;
let gw: RunningGateway;
let resource: string;
const logger = createRecordingLogger();

beforeAll(async () => {
  // The resource identifier names the gateway's URL before it listens.
  const port = await freePort();
  resource = `http://127.0.0.1:${port}/mcp`;
  as = await startAuthorizationServer({ resource, claims: { tenant: 'acme' } });
  echo = await startEcho();
  gw = await startGateway(
    testConfig({
      server: {
        http: {
          port,
          auth: { ...gatewayAuth(as, resource), scopesSupported: ['tools.read', 'tools.write'] },
        },
      },
      upstreams: { echo: { baseUrl: echo.url } },
      tools: [{ name: 'whoami', upstream: 'echo', path: '/t/{auth.claims.tenant}/u/{auth.sub}' }],
    }),
    { transport: 'http', logger },
  );
});
afterAll(async () => {
  await gw?.close();
  await echo?.close();
  await as?.close();
});

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('protected resource metadata (RFC 9728)', () => {
  it.each([['/.well-known/oauth-protected-resource/mcp'], ['/.well-known/oauth-protected-resource']])(
    'is served at %s',
    async (path) => {
      const res = await fetch(new URL(path, resource));
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({
        resource,
        authorization_servers: [as.issuer],
        scopes_supported: ['tools.read', 'tools.write'],
        bearer_methods_supported: ['header'],
      });
    },
  );

  it('answers a request without a token 401 with the metadata URL and the scope to ask for', async () => {
    const res = await fetch(resource, {
      method: 'POST',
      body: '{}',
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe(
      `Bearer resource_metadata="http://127.0.0.1:${new URL(resource).port}/.well-known/oauth-protected-resource/mcp", scope="tools.read"`,
    );
  });
});

describe('browser clients (CORS)', () => {
  const PAGE = 'http://localhost:6274';

  it.each([['/.well-known/oauth-protected-resource/mcp'], ['/.well-known/oauth-protected-resource']])(
    'answers a preflight for %s 204 for any origin, allowing the MCP-Protocol-Version header the SDK sends',
    async (path) => {
      const res = await fetch(new URL(path, resource), {
        method: 'OPTIONS',
        headers: {
          origin: 'https://anywhere.example.net',
          'access-control-request-method': 'GET',
          'access-control-request-headers': 'mcp-protocol-version',
        },
      });
      expect(res.status).toBe(204);
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
      expect(res.headers.get('access-control-allow-methods')).toBe('GET, HEAD');
      expect(res.headers.get('access-control-allow-headers')?.toLowerCase()).toContain(
        'mcp-protocol-version',
      );
      expect(Number(res.headers.get('access-control-max-age'))).toBeGreaterThan(0);
      const doc = await fetch(new URL(path, resource), {
        headers: { origin: 'https://anywhere.example.net', 'mcp-protocol-version': '2025-06-18' },
      });
      expect(doc.status).toBe(200);
      expect(doc.headers.get('access-control-allow-origin')).toBe('*');
      await doc.text();
    },
  );

  it('answers a preflight of the MCP endpoint from an allowed page 204 without a token', async () => {
    const res = await fetch(resource, {
      method: 'OPTIONS',
      headers: {
        origin: PAGE,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type,mcp-protocol-version',
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(PAGE);
  });

  it('lets the page read the 401 challenge that points it at the metadata', async () => {
    const res = await fetch(resource, {
      method: 'POST',
      body: '{}',
      headers: { 'content-type': 'application/json', origin: PAGE },
    });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer resource_metadata=/);
    expect(res.headers.get('access-control-allow-origin')).toBe(PAGE);
    expect(res.headers.get('access-control-expose-headers')).toContain('www-authenticate');
    await res.text();
  });
});

describe('real clients with tokens from a real authorization server', () => {
  it.each([
    ['2026-07-28', { versionNegotiation: { mode: { pin: '2026-07-28' as const } } }],
    ['2025 session', {}],
  ])(
    'the SDK v2 client with its client-credentials provider discovers, gets a token and calls (%s)',
    async (_era, options) => {
      const authProvider = new ClientCredentialsProvider({
        clientId: AS_CLIENTS.jwt,
        clientSecret: clientSecret(AS_CLIENTS.jwt),
        scope: 'tools.read',
        expectedIssuer: as.issuer,
      });
      const client = new Client({ name: 'cc-agent', version: '1.0.0' }, options);
      await client.connect(new StreamableHTTPClientTransport(new URL(resource), { authProvider }));
      try {
        const r = await client.callTool({ name: 'whoami', arguments: {} });
        expect(r.isError).toBeFalsy();
        expect(r.structuredContent).toEqual({ path: `/t/acme/u/${AS_CLIENTS.jwt}` });
      } finally {
        await client.close();
      }
    },
  );

  it('the v1 SDK client with a bearer token (2025 session)', async () => {
    const client = await connectV1(resource, bearer(await as.token({ scope: 'tools.read' })));
    try {
      const r = await client.callTool({ name: 'whoami', arguments: {} });
      expect(r.structuredContent).toEqual({ path: `/t/acme/u/${AS_CLIENTS.jwt}` });
    } finally {
      await client.close();
    }
  });

  it('an opaque token is checked by introspection (v2, 2026-07-28)', async () => {
    const token = await as.token({ clientId: AS_CLIENTS.opaque, scope: 'tools.read' });
    const client = await connectV2(resource, 'modern', bearer(token));
    try {
      const r = await client.callTool({ name: 'whoami', arguments: {} });
      expect(r.structuredContent).toEqual({ path: `/t/acme/u/${AS_CLIENTS.opaque}` });
    } finally {
      await client.close();
    }
  });

  it('a token without the required scope gets 403 insufficient_scope naming it', async () => {
    const token = await as.token({ scope: 'tools.write' });
    const res = await fetch(resource, {
      method: 'POST',
      body: '{}',
      headers: { ...bearer(token), 'content-type': 'application/json' },
    });
    expect(res.status).toBe(403);
    const challenge = res.headers.get('www-authenticate') ?? '';
    expect(challenge).toContain('error="insufficient_scope"');
    expect(challenge).toContain('scope="tools.read"');
    expect(challenge).toContain('resource_metadata="');
  });

  it('a 2025 session opened with one token is not usable with another principal’s', async () => {
    const alice = await as.token({ scope: 'tools.read' });
    const other = await as.token({ clientId: AS_CLIENTS.opaque, scope: 'tools.read' });
    const init = {
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
    };
    const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    const opened = await fetch(resource, {
      method: 'POST',
      headers: { ...headers, ...bearer(alice) },
      body: JSON.stringify(init),
    });
    const sessionId = opened.headers.get('mcp-session-id');
    expect(sessionId).toBeTruthy();
    await opened.body?.cancel();
    const list = { jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} };
    const stolen = await fetch(resource, {
      method: 'POST',
      headers: {
        ...headers,
        ...bearer(other),
        'mcp-session-id': sessionId!,
        'mcp-protocol-version': '2025-06-18',
      },
      body: JSON.stringify(list),
    });
    expect(stolen.status).toBe(404);
    await stolen.body?.cancel();
  });

  it('server.http.auth.cache.refusedTtl sets how long a refused token is refused from memory (0: ask each time)', async () => {
    const unknown = 'bm90LWEtdG9rZW4tdGhpcy1pc3N1ZXItZXZlci1pc3N1ZWQ';
    const hits = () => as.hits.get('/token/introspection') ?? 0;
    const initialize = (url: string) =>
      fetch(url, {
        method: 'POST',
        headers: {
          ...bearer(unknown),
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
        },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 1,
          method: 'initialize',
          params: {
            protocolVersion: '2025-06-18',
            capabilities: {},
            clientInfo: { name: 't', version: '1' },
          },
        }),
      });
    // The shared gateway keeps the default (30 s): the second request is refused without asking.
    let before = hits();
    for (let i = 0; i < 2; i++) expect((await initialize(resource)).status).toBe(401);
    expect(hits() - before).toBe(1);
    const port = await freePort();
    const asking = `http://127.0.0.1:${port}/mcp`;
    const auth = gatewayAuth(as, resource);
    const gw0 = await startGateway(
      testConfig({
        server: { http: { port, auth: { ...auth, cache: { refusedTtl: 0 } } } },
        upstreams: { echo: { baseUrl: echo.url } },
        tools: [{ name: 'whoami', upstream: 'echo', path: '/t/{auth.sub}' }],
      }),
      { transport: 'http', logger },
    );
    try {
      before = hits();
      for (let i = 0; i < 2; i++) expect((await initialize(asking)).status).toBe(401);
      expect(hits() - before).toBe(2);
    } finally {
      await gw0.close();
    }
  });

  it('logs never carry a token', () => {
    const text = JSON.stringify(logger.records);
    expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.eyJ/);
  });
});
