import { Client } from '@modelcontextprotocol/client';
import { InMemoryTransport } from '@modelcontextprotocol/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.js';
import { createRecordingLogger } from '../../src/core/index.js';
import { createGateway, credentialNotes, type RunningGateway, startGateway } from '../../src/mcp/index.js';
import {
  AS_CLIENTS,
  type AuthorizationServer,
  startAuthorizationServer,
} from '../helpers/authorization-server.js';
import { testConfig } from '../helpers/gateway-config.js';
import { startRecordingUpstream } from '../helpers/token-endpoint.js';
import { connectV2 } from '../mcp/helpers/clients.js';

const RESOURCE = 'https://mcp.example.test/mcp';

describe('auth.type forward', () => {
  let as: AuthorizationServer;
  let api: Awaited<ReturnType<typeof startRecordingUpstream>>;
  let gw: RunningGateway;
  const logger = createRecordingLogger();
  const config = () =>
    testConfig({
      server: { http: { auth: { issuer: as.issuer, resource: RESOURCE } } },
      upstreams: { api: { baseUrl: api.url, auth: { type: 'forward' } } },
      tools: [{ name: 'me', upstream: 'api', path: '/me', cache: { ttl: '1m' } }],
    });
  beforeAll(async () => {
    as = await startAuthorizationServer({ resource: RESOURCE });
    api = await startRecordingUpstream();
    gw = await startGateway(config(), { transport: 'http', logger });
  });
  afterAll(async () => {
    await gw?.close();
    await api?.close();
    await as?.close();
  });

  it("sends the caller's own verified token, and warns at start-up", async () => {
    expect(logger.records.filter((r) => r.event === 'credentials.forward')).toHaveLength(1);
    const token = await as.token({ clientId: AS_CLIENTS.jwt, resource: RESOURCE });
    const client = await connectV2(gw.url!, 'modern', { authorization: `Bearer ${token}` });
    try {
      const r = await client.callTool({ name: 'me', arguments: {} });
      expect(r.isError).toBeFalsy();
      expect(api.seen.at(-1)!.token).toBe(token);
      expect((r._meta as Record<string, { cacheScope?: string }>)['conduit/cache']?.cacheScope).toBe(
        'private',
      );
      // The log never carries the forwarded token.
      expect(JSON.stringify(logger.records)).not.toContain(token);
    } finally {
      await client.close();
    }
  });

  it("one principal's token with fewer scopes is never served the answer cached for a broader one", async () => {
    const broad = await as.token({ clientId: AS_CLIENTS.jwt, resource: RESOURCE, scope: 'tools.read admin' });
    const narrow = await as.token({ clientId: AS_CLIENTS.jwt, resource: RESOURCE, scope: 'tools.read' });
    for (const token of [broad, narrow]) {
      const client = await connectV2(gw.url!, 'modern', { authorization: `Bearer ${token}` });
      try {
        const before = api.seen.length;
        const r = await client.callTool({ name: 'me', arguments: {} });
        expect(r.isError, JSON.stringify(r.content)).toBeFalsy();
        // Each token's answer came from the upstream, asked with that token.
        expect(api.seen.length).toBe(before + 1);
        expect(api.seen.at(-1)!.token).toBe(token);
      } finally {
        await client.close();
      }
    }
  });

  it('a call without a verified caller token is refused before anything is sent', async () => {
    const local = createGateway(config());
    const [a, b] = InMemoryTransport.createLinkedPair();
    await local.createServer().connect(a);
    const client = new Client({ name: 't', version: '1' });
    await client.connect(b);
    try {
      const before = api.seen.length;
      const r = await client.callTool({ name: 'me', arguments: {} });
      expect((r._meta as Record<string, { code?: string }>)['conduit/error']?.code).toBe(
        'CALLER_CREDENTIAL_MISSING',
      );
      expect(api.seen.length).toBe(before);
    } finally {
      await client.close();
      await local.close();
    }
  });
});

describe('conduit validate explains whose cached answers are', () => {
  it('private by default behind a per-caller credential, shared where declared, nothing for the plain case', () => {
    const config = testConfig({
      upstreams: {
        user: {
          baseUrl: 'https://api.example.com',
          auth: {
            type: 'token-exchange',
            tokenUrl: 'https://idp.example.com/token',
            clientId: 'gw',
            clientSecret: 'secret-1234',
          },
        },
        open: { baseUrl: 'https://open.example.com', auth: { type: 'forward' } },
        plain: { baseUrl: 'https://plain.example.com' },
      },
      tools: [
        { name: 'mine', upstream: 'user', path: '/mine', cache: { ttl: '1m' } },
        { name: 'catalog', upstream: 'user', path: '/catalog', cache: { ttl: '1m', scope: 'shared' } },
        {
          name: 'by_tenant',
          upstream: 'plain',
          path: '/t/{auth.claims.tenant}',
          cache: { ttl: '1m', key: 't:{auth.claims.tenant}' },
        },
        { name: 'status', upstream: 'plain', path: '/status', cache: { ttl: '1m' } },
      ],
    });
    const notes = credentialNotes(config);
    expect(notes.map((n) => [n.path, n.kind])).toEqual([
      ['upstreams.open.auth', 'warning'],
      ['tools[0] (mine).cache', 'cache private'],
      ['tools[1] (catalog).cache', 'cache shared'],
      ['tools[2] (by_tenant).cache', 'cache private'],
    ]);
    expect(notes[1]!.message).toContain('token-exchange');
  });
});

describe('config checks of upstream credentials and TLS', () => {
  const problemsOf = (upstream: string): string[] => {
    try {
      parseConfig(`upstreams:\n  api:\n    baseUrl: https://api.example.com\n${upstream}\ntools: []\n`);
      return [];
    } catch (err) {
      expect((err as { code?: string }).code).toBe('INVALID_CONFIG');
      return ((err as { problems?: { path: string; message: string }[] }).problems ?? []).map(
        (p) => `${p.path}: ${p.message}`,
      );
    }
  };

  it('a token grant needs a secret or a key, not both, and an https token endpoint', () => {
    const grant = (extra: string) =>
      `    auth:\n      type: oauth2\n      tokenUrl: http://idp.example.com/token\n      clientId: gw\n${extra}`;
    expect(problemsOf(grant(''))).toEqual(
      expect.arrayContaining([
        expect.stringContaining('give clientSecret'),
        expect.stringContaining('must use https'),
      ]),
    );
    expect(
      problemsOf(
        grant('      clientSecret: s3cret-value\n      privateKey: "-----BEGIN PRIVATE KEY-----"\n'),
      ),
    ).toEqual(expect.arrayContaining([expect.stringContaining('not both')]));
  });

  it('a client certificate needs its key; an item is given as text or file, not both', () => {
    expect(problemsOf('    tls:\n      certFile: /tmp/client.crt\n')).toEqual([
      expect.stringContaining('needs both a client certificate'),
    ]);
    expect(
      problemsOf('    tls:\n      caFile: /tmp/ca.crt\n      ca: "-----BEGIN CERTIFICATE-----"\n'),
    ).toEqual([expect.stringContaining('give ca or caFile')]);
  });
});
