import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.js';
import { type RunningGateway, startGateway } from '../../src/mcp/index.js';
import { freePort } from '../helpers/free-ports.js';
import { testConfig } from '../helpers/gateway-config.js';
import { connectV1, connectV2, textOf } from './helpers/clients.js';
import { startListUpstream, type ListUpstream } from './helpers/list-upstream.js';
import { serveFiles } from './helpers/serve-files.js';
import {
  AS_CLIENTS,
  type AuthorizationServer,
  gatewayAuth,
  startAuthorizationServer,
} from '../helpers/authorization-server.js';

const TOKENS = {
  acme: 'acme-token-0123456789',
  globex: 'globex-token-0123456789',
  none: 'none-token-0123456789',
};
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
type Client = { callTool(p: unknown): Promise<unknown>; close(): Promise<void> };

interface Listed {
  tools: { name: string; description?: string; inputSchema: Record<string, unknown> }[];
}
interface Result {
  isError?: boolean;
  structuredContent?: Record<string, unknown>;
  content: { type: string; text?: string }[];
}

let upstream: ListUpstream;
let gateway: RunningGateway;
beforeAll(async () => {
  upstream = await startListUpstream();
  gateway = await startGateway(
    testConfig({
      server: {
        http: {
          authTokens: [
            { token: TOKENS.acme, sub: 'alice', claims: { tenant: 'acme' } },
            { token: TOKENS.globex, sub: 'bob', claims: { tenant: 'globex' } },
            { token: TOKENS.none, sub: 'carol' },
          ],
        },
      },
      upstreams: { list: { baseUrl: upstream.url } },
      tools: [
        {
          name: 'search',
          description: 'Search items',
          upstream: 'list',
          path: '/echo',
          input: {
            type: 'object',
            properties: {
              q: { type: 'string', description: 'the written description' },
              api_version: { type: 'string' },
            },
            required: ['q', 'api_version'],
          },
          params: { 'x-tenant': 'header' },
          fixed: {
            api_version: '2024-01-01',
            'x-tenant': 'tenant-{auth.claims.tenant}',
            filter: { value: { state: 'open' } },
            limit: 20,
          },
          argumentDescriptions: { q: 'Words to look for in titles' },
          cache: { ttl: '1m' },
        },
      ],
    }),
    { transport: 'http' },
  );
});
afterAll(async () => {
  await gateway?.close();
  await upstream?.close();
});

const clients: [
  string,
  (h: Record<string, string>) => Promise<{
    listTools(): Promise<unknown>;
    callTool(p: unknown): Promise<unknown>;
    close(): Promise<void>;
  }>,
][] = [
  ['v2 client, 2026-07-28', (h) => connectV2(gateway.url!, 'modern', h) as never],
  ['v2 client, 2025 handshake', (h) => connectV2(gateway.url!, 'legacy', h) as never],
  ['v1 client', (h) => connectV1(gateway.url!, h) as never],
];

describe.each(clients)('fixed parameters are sent but never shown (%s)', (_, connect) => {
  it('lists the input without the fixed parameters, with the overridden description', async () => {
    const client = await connect(bearer(TOKENS.acme));
    try {
      const { tools } = (await client.listTools()) as Listed;
      const schema = tools.find((t) => t.name === 'search')!.inputSchema;
      expect(Object.keys(schema.properties as object)).toEqual(['q']);
      expect(schema.required).toEqual(['q']);
      expect((schema.properties as Record<string, { description?: string }>).q!.description).toBe(
        'Words to look for in titles',
      );
    } finally {
      await client.close();
    }
  });

  it("sends the fixed values, the caller's tenant filled in, and refuses a model's attempt to set one", async () => {
    const client = await connect(bearer(TOKENS.globex));
    try {
      const before = upstream.count('/echo');
      const got = (await client.callTool({ name: 'search', arguments: { q: `w-${_}` } })) as Result;
      expect(got.isError, textOf(got)).toBeFalsy();
      const seen = upstream.seen.at(-1)!;
      const url = new URL(seen.url, 'http://x');
      expect(url.searchParams.get('api_version')).toBe('2024-01-01');
      expect(url.searchParams.get('limit')).toBe('20');
      expect(url.searchParams.get('filter')).toBe(JSON.stringify({ state: 'open' }));
      expect(seen.headers['x-tenant']).toBe('tenant-globex');
      expect(upstream.count('/echo')).toBe(before + 1);

      const forged = (await client.callTool({
        name: 'search',
        arguments: { q: 'x', api_version: 'evil' },
      })) as Result;
      expect(forged.isError).toBe(true);
      expect(upstream.count('/echo')).toBe(before + 1);
    } finally {
      await client.close();
    }
  });
});

describe('a fixed value read from the caller', () => {
  it('keys the cache per caller: one tenant never gets the other tenant’s answer', async () => {
    const acme = await connectV2(gateway.url!, 'modern', bearer(TOKENS.acme));
    const globex = await connectV2(gateway.url!, 'modern', bearer(TOKENS.globex));
    try {
      const a = (await acme.callTool({ name: 'search', arguments: { q: 'shared' } })) as Result;
      const b = (await globex.callTool({ name: 'search', arguments: { q: 'shared' } })) as Result;
      expect((a.structuredContent!.headers as Record<string, string>)['x-tenant']).toBe('tenant-acme');
      expect((b.structuredContent!.headers as Record<string, string>)['x-tenant']).toBe('tenant-globex');
    } finally {
      await acme.close();
      await globex.close();
    }
  });

  it('is a PRINCIPAL_VALUE_MISSING tool error, before anything is sent, when the caller has no such claim', async () => {
    const client = await connectV2(gateway.url!, 'modern', bearer(TOKENS.none));
    try {
      const before = upstream.seen.length;
      const got = (await client.callTool({ name: 'search', arguments: { q: 'x' } })) as Result & {
        _meta?: Record<string, unknown>;
      };
      expect(got.isError).toBe(true);
      expect(JSON.stringify(got)).toContain('PRINCIPAL_VALUE_MISSING');
      expect(upstream.seen.length).toBe(before);
    } finally {
      await client.close();
    }
  });
});

describe('OpenAPI overrides: fixed parameters and descriptions', () => {
  it('hides a fixed operation parameter and sends its value, with the description overrides; a typo in argumentDescriptions fails start-up', async () => {
    const doc = JSON.stringify({
      openapi: '3.0.3',
      info: { title: 'items', version: '1' },
      paths: {
        '/echo': {
          get: {
            operationId: 'echo',
            parameters: [
              { name: 'q', in: 'query', schema: { type: 'string' }, description: 'generated' },
              { name: 'api-version', in: 'query', required: true, schema: { type: 'string' } },
            ],
            responses: { '200': { description: 'ok' } },
          },
        },
      },
    });
    const yaml = (descriptions: string) => `
upstreams:
  list:
    baseUrl: ${upstream.url}
    openapi:
      document: ./doc.json
      overrides:
        echo:
          description: Echo the query (written by the operator)
          fixed: { api-version: "2025-06-01" }
          argumentDescriptions: ${descriptions}
`;
    await expect(
      serveFiles({ 'doc.json': doc, 'conduit.yaml': yaml('{ api-version: nope }') }),
    ).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
    });
    const served = await serveFiles({ 'doc.json': doc, 'conduit.yaml': yaml('{ q: Words to find }') });
    const client = await connectV1(served.gateway.url!);
    try {
      const { tools } = (await client.listTools()) as Listed;
      const schema = tools[0]!.inputSchema;
      expect(tools[0]!.description).toBe('Echo the query (written by the operator)');
      expect(Object.keys(schema.properties as object)).toEqual(['q']);
      expect(schema.required ?? []).toEqual([]);
      expect((schema.properties as Record<string, { description?: string }>).q!.description).toBe(
        'Words to find',
      );
      const got = (await client.callTool({ name: 'echo', arguments: { q: 'hi' } })) as Result;
      expect(got.isError, textOf(got)).toBeFalsy();
      expect(got.structuredContent!.query).toEqual({ q: 'hi', 'api-version': '2025-06-01' });
    } finally {
      await client.close();
      await served.close();
    }
  });
});

describe('a cache key of a tool with a fixed value read from the caller', () => {
  it('must name that parameter, or one caller could be served another’s answer', async () => {
    const config = testConfig({
      upstreams: { list: { baseUrl: upstream.url } },
      tools: [
        {
          name: 'mine',
          upstream: 'list',
          path: '/echo',
          input: { type: 'object', properties: { q: { type: 'string' } } },
          fixed: { tenant: '{auth.claims.tenant}' },
          cache: { ttl: '1m', key: 'mine:{q}' },
        },
      ],
    });
    await expect(startGateway(config, { transport: 'http' })).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
    });
  });
});

describe('a fixed template read from a real access token (oidc-provider)', () => {
  // The issuer puts these claims into every JWT it issues from now on: a test changes the tenant
  // between two tokens.
  const claims: Record<string, unknown> = { tenant: 'acme' };
  let as: AuthorizationServer;
  let gw: RunningGateway;
  let resource: string;
  beforeAll(async () => {
    const port = await freePort();
    resource = `http://127.0.0.1:${port}/mcp`;
    as = await startAuthorizationServer({ resource, claims });
    gw = await startGateway(
      testConfig({
        server: {
          http: {
            port,
            auth: gatewayAuth(as, resource),
          },
        },
        upstreams: { list: { baseUrl: upstream.url } },
        tools: [
          {
            name: 'tenant_search',
            upstream: 'list',
            path: '/echo',
            input: { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] },
            params: { 'x-tenant': 'header' },
            fixed: { 'x-tenant': 'tenant-{auth.claims.tenant}', caller: '{auth.sub}' },
            cache: { ttl: '1m' },
          },
        ],
      }),
      { transport: 'http' },
    );
  });
  afterAll(async () => {
    await gw?.close();
    await as?.close();
  });

  it('fills the claims of a JWT (v2, 2026-07-28) and of an introspected opaque token (v1); each tenant gets its own answer', async () => {
    const callers: { client: Client; tenant: string; sub: string }[] = [];
    /** Calls with the same arguments as a caller of `tenant`: its own tenant and subject are sent. */
    const check = async (client: Client, tenant: string, sub: string) => {
      callers.push({ client, tenant, sub });
      const got = (await client.callTool({ name: 'tenant_search', arguments: { q: 'same' } })) as Result;
      expect(got.isError, textOf(got)).toBeFalsy();
      const echoed = got.structuredContent as {
        query: Record<string, string>;
        headers: Record<string, string>;
      };
      expect(echoed.headers['x-tenant']).toBe(`tenant-${tenant}`);
      expect(echoed.query).toEqual({ q: 'same', caller: sub });
    };
    try {
      // The issuer reads the claims when it issues a JWT, and when it answers an introspection.
      claims.tenant = 'acme';
      const acmeJwt = await as.token({ scope: 'tools.read' });
      await check(await connectV2(resource, 'modern', bearer(acmeJwt)), 'acme', AS_CLIENTS.jwt);
      const opaque = await as.token({ clientId: AS_CLIENTS.opaque, scope: 'tools.read' });
      await check(await connectV1(resource, bearer(opaque)), 'acme', AS_CLIENTS.opaque);
      claims.tenant = 'globex';
      const globexJwt = await as.token({ scope: 'tools.read' });
      await check(await connectV2(resource, 'modern', bearer(globexJwt)), 'globex', AS_CLIENTS.jwt);
      // The model cannot name the hidden parameter: refused, nothing sent.
      const before = upstream.seen.length;
      const forged = (await callers[0]!.client.callTool({
        name: 'tenant_search',
        arguments: { q: 'x', 'x-tenant': 'tenant-globex' },
      })) as Result;
      expect(forged.isError).toBe(true);
      expect(upstream.seen.length).toBe(before);
    } finally {
      for (const { client } of callers) await client.close();
    }
  });
});

describe('a config file with fixed parameters the input does not list', () => {
  it('loads (conduit serve and validate): a fixed path hole, a fixed header, a cache key naming a fixed value', () => {
    const text = `
upstreams:
  tracker: { baseUrl: "http://127.0.0.1:9" }
tools:
  - name: search_issues
    upstream: tracker
    path: /orgs/{org}/issues
    input:
      type: object
      properties: { q: { type: string } }
    params: { x-tenant: header }
    fixed:
      org: conduit
      api-version: "2024-01-01"
      x-tenant: "{auth.claims.tenant}"
      filter: { value: { state: open } }
    argumentDescriptions:
      q: Words to look for in issue titles
    cache: { ttl: 1m, key: "issues:{x-tenant}:{q}" }
`;
    const config = parseConfig(text, { env: {} });
    expect(config.tools[0]!.fixed).toMatchObject({ org: 'conduit', 'x-tenant': '{auth.claims.tenant}' });
    // A hole that is neither an input property nor fixed is still refused.
    expect(() => parseConfig(text.replace('/orgs/{org}/issues', '/orgs/{orgs}/issues'), { env: {} })).toThrow(
      /\{orgs\} is not an input property/,
    );
  });
});
