import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@modelcontextprotocol/client';
import { InMemoryTransport } from '@modelcontextprotocol/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.js';
import { noopLogger } from '../../src/core/index.js';
import { createGateway, type RunningGateway, serveGatewayStdio, startGateway } from '../../src/mcp/index.js';
import { connectV1, connectV2, textOf } from '../mcp/helpers/clients.js';
import { type TestConfigInput, testConfig } from '../helpers/gateway-config.js';

/** An upstream that answers every GET with the path it was sent, and counts requests. */
async function startEcho() {
  const paths: string[] = [];
  const server: Server = createServer((req, res) => {
    paths.push(req.url ?? '');
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ path: req.url, tenantHeader: req.headers['x-tenant'] ?? null }));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    paths,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

const TOKENS = {
  alice: 'alice-token-0123456789',
  bob: 'bob-token-0123456789',
  noTenant: 'no-tenant-token-0123456789',
  climber: 'climber-token-0123456789',
};

function identityConfig(upstreamUrl: string, extra: Partial<TestConfigInput> = {}): TestConfigInput {
  return {
    upstreams: { echo: { baseUrl: upstreamUrl } },
    tools: [
      {
        name: 'whoami',
        upstream: 'echo',
        path: '/tenants/{auth.claims.tenant}/users/{auth.sub}',
        cache: { ttl: '1m' },
      },
      {
        name: 'keyed_whoami',
        upstream: 'echo',
        path: '/keyed/{auth.claims.tenant}/{auth.sub}',
        cache: { ttl: '1m', key: 'keyed:{auth.claims.tenant}:{auth.sub}' },
      },
    ],
    ...extra,
  };
}

const staticTokens = [
  { token: TOKENS.alice, sub: 'alice', claims: { tenant: 'acme' } },
  { token: TOKENS.bob, sub: 'bob', claims: { tenant: 'globex' } },
  { token: TOKENS.noTenant, sub: 'carol' },
  { token: TOKENS.climber, sub: 'mallory', claims: { tenant: '..' } },
];

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('the caller’s principal in tool calls over HTTP (static tokens with a principal)', () => {
  let echo: Awaited<ReturnType<typeof startEcho>>;
  let gw: RunningGateway;
  beforeAll(async () => {
    echo = await startEcho();
    gw = await startGateway(
      testConfig(identityConfig(echo.url, { server: { http: { authTokens: staticTokens } } })),
      { transport: 'http' },
    );
  });
  afterAll(async () => {
    await gw?.close();
    await echo?.close();
  });

  it.each([
    ['v2, 2026-07-28', (h: Record<string, string>) => connectV2(gw.url!, 'modern', h)],
    ['v2, 2025 session', (h: Record<string, string>) => connectV2(gw.url!, 'legacy', h)],
    ['v1, 2025 session', (h: Record<string, string>) => connectV1(gw.url!, h)],
  ])('fills {auth.sub} and {auth.claims.tenant} in the path from the token (%s)', async (_era, connect) => {
    const client = await connect(bearer(TOKENS.alice));
    try {
      const r = await client.callTool({ name: 'keyed_whoami', arguments: {} });
      expect(r.isError).toBeFalsy();
      expect(r.structuredContent).toMatchObject({ path: '/keyed/acme/alice' });
    } finally {
      await client.close();
    }
  });

  it('keeps one caller’s cached answer from another: the default key includes the principal values', async () => {
    const alice = await connectV2(gw.url!, 'modern', bearer(TOKENS.alice));
    const bob = await connectV2(gw.url!, 'modern', bearer(TOKENS.bob));
    try {
      const before = echo.paths.length;
      const a1 = await alice.callTool({ name: 'whoami', arguments: {} });
      const b1 = await bob.callTool({ name: 'whoami', arguments: {} });
      const a2 = await alice.callTool({ name: 'whoami', arguments: {} });
      expect(a1.structuredContent).toMatchObject({ path: '/tenants/acme/users/alice' });
      expect(b1.structuredContent).toMatchObject({ path: '/tenants/globex/users/bob' });
      expect(a2.structuredContent).toMatchObject({ path: '/tenants/acme/users/alice' });
      expect((a2._meta as Record<string, { source?: string }>)['conduit/cache']?.source).toBe('cache');
      // Alice's first call and Bob's went upstream; Alice's second was her own cache entry.
      expect(echo.paths.slice(before)).toEqual(['/tenants/acme/users/alice', '/tenants/globex/users/bob']);
    } finally {
      await alice.close();
      await bob.close();
    }
  });

  it('refuses a call whose template names a claim the token lacks, without calling the upstream', async () => {
    const client = await connectV2(gw.url!, 'modern', bearer(TOKENS.noTenant));
    try {
      const before = echo.paths.length;
      const r = await client.callTool({ name: 'whoami', arguments: {} });
      expect(r.isError).toBe(true);
      expect((r._meta as Record<string, { code?: string }>)['conduit/error']?.code).toBe(
        'PRINCIPAL_VALUE_MISSING',
      );
      expect(textOf(r)).toContain('{auth.claims.tenant}');
      expect(echo.paths.length).toBe(before);
    } finally {
      await client.close();
    }
  });

  it('a claim cannot climb out of its path segment', async () => {
    const client = await connectV2(gw.url!, 'modern', bearer(TOKENS.climber));
    try {
      const before = echo.paths.length;
      const r = await client.callTool({ name: 'whoami', arguments: {} });
      expect(r.isError).toBe(true);
      expect((r._meta as Record<string, { code?: string }>)['conduit/error']?.code).toBe('INVALID_PATH');
      expect(echo.paths.length).toBe(before);
    } finally {
      await client.close();
    }
  });
});

describe('the operator’s principal on stdio (no token)', () => {
  let echo: Awaited<ReturnType<typeof startEcho>>;
  beforeAll(async () => {
    echo = await startEcho();
  });
  afterAll(async () => {
    await echo?.close();
  });

  async function callOverStdio(config: TestConfigInput) {
    const gateway = createGateway(testConfig(config));
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    serveGatewayStdio(gateway, { logger: noopLogger, transport: serverSide });
    const client = new Client({ name: 'stdio', version: '1.0.0' });
    await client.connect(clientSide);
    try {
      return await client.callTool({ name: 'keyed_whoami', arguments: {} });
    } finally {
      await client.close();
      await gateway.close();
    }
  }

  it('runs calls as the fixed principal of server.operator', async () => {
    const r = await callOverStdio(
      identityConfig(echo.url, { server: { operator: { sub: 'ops', claims: { tenant: 'internal' } } } }),
    );
    expect(r.structuredContent).toMatchObject({ path: '/keyed/internal/ops' });
  });

  it('without server.operator the operator has no subject, so {auth.sub} is refused, not sent empty', async () => {
    const r = await callOverStdio(identityConfig(echo.url));
    expect(r.isError).toBe(true);
    expect((r._meta as Record<string, { code?: string }>)['conduit/error']?.code).toBe(
      'PRINCIPAL_VALUE_MISSING',
    );
  });
});

describe('config checks of {auth.…} templates', () => {
  const problemsOf = (tool: Record<string, unknown>) => {
    try {
      parseConfig(JSON.stringify({ upstreams: { echo: { baseUrl: 'http://127.0.0.1:1' } }, tools: [tool] }), {
        format: 'json',
      });
      return [];
    } catch (err) {
      return ((err as { problems?: { message: string }[] }).problems ?? []).map((p) => p.message);
    }
  };

  it('accepts the principal fields', () => {
    expect(
      problemsOf({ name: 't', upstream: 'echo', path: '/a/{auth.sub}/{auth.claims.tenant}/{auth.clientId}' }),
    ).toEqual([]);
  });

  it('names a misspelt field', () => {
    const problems = problemsOf({ name: 't', upstream: 'echo', path: '/a/{auth.subject}' });
    expect(problems.join('\n')).toContain('no field "subject"');
  });

  it('asks for the claim name', () => {
    const problems = problemsOf({ name: 't', upstream: 'echo', path: '/a/{auth.claims}' });
    expect(problems.join('\n')).toContain('name the claim');
  });

  it('refuses a cache key that leaves out a principal value the path sends', () => {
    const problems = problemsOf({
      name: 't',
      upstream: 'echo',
      path: '/a/{auth.sub}',
      cache: { ttl: '1m', key: 't:static' },
    });
    expect(problems.join('\n')).toContain('{auth.sub}');
  });
});

describe('a named static token keeps its principal id wherever it stands in the list', () => {
  it('reordering or removing authTokens entries never hands one caller another’s id', async () => {
    const echo = await startEcho();
    const gateways: RunningGateway[] = [];
    const start = async (authTokens: (typeof staticTokens)[number][]) => {
      const gw = await startGateway(
        testConfig({
          server: { http: { authTokens } },
          upstreams: { echo: { baseUrl: echo.url } },
          tools: [{ name: 'my_id', upstream: 'echo', path: '/ids/{auth.id}' }],
        }),
        { transport: 'http' },
      );
      gateways.push(gw);
      return gw;
    };
    const idOf = async (gw: RunningGateway, token: string) => {
      const client = await connectV2(gw.url!, 'modern', bearer(token));
      try {
        const r = await client.callTool({ name: 'my_id', arguments: {} });
        expect(r.isError, textOf(r)).toBeFalsy();
        return (r.structuredContent as { path: string }).path;
      } finally {
        await client.close();
      }
    };
    try {
      const [alice, bob] = staticTokens;
      const both = await start([alice!, bob!]);
      const reversed = await start([bob!, alice!]);
      const bobOnly = await start([bob!]);
      const bobsId = await idOf(both, TOKENS.bob);
      expect(await idOf(reversed, TOKENS.bob)).toBe(bobsId);
      expect(await idOf(bobOnly, TOKENS.bob)).toBe(bobsId);
      expect(await idOf(reversed, TOKENS.alice)).toBe(await idOf(both, TOKENS.alice));
      expect(await idOf(both, TOKENS.alice)).not.toBe(bobsId);
    } finally {
      for (const gw of gateways) await gw.close();
      await echo.close();
    }
  });
});
