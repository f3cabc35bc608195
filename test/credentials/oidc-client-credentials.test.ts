import { Client } from '@modelcontextprotocol/client';
import { InMemoryTransport } from '@modelcontextprotocol/server';
import { createLocalJWKSet, exportJWK, exportPKCS8, generateKeyPair, jwtVerify } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { withSecrets } from '../../src/config/secrets.js';
import { createGateway, type Gateway } from '../../src/mcp/index.js';
import {
  AS_CLIENTS,
  type AuthorizationServer,
  clientSecret,
  startAuthorizationServer,
} from '../helpers/authorization-server.js';
import { testConfig } from '../helpers/gateway-config.js';
import { startRecordingUpstream } from '../helpers/token-endpoint.js';

const RESOURCE = 'https://api.example.test/';
const PKJWT_CLIENT = 'cc-private-key-jwt';

type Result = Awaited<ReturnType<Client['callTool']>>;
const codeOf = (r: Result) =>
  (r._meta as Record<string, { code?: string }> | undefined)?.['conduit/error']?.code;

async function connect(gw: Gateway) {
  const [a, b] = InMemoryTransport.createLinkedPair();
  await gw.createServer().connect(a);
  const client = new Client({ name: 'test', version: '1' });
  await client.connect(b);
  return client;
}

describe('upstream client credentials from a real authorization server (oidc-provider)', () => {
  let as: AuthorizationServer;
  let privatePem: string;
  /** The upstream verifies every token against the issuer's published keys, as a real API would. */
  let api: Awaited<ReturnType<typeof startRecordingUpstream>>;
  const claims: Record<string, unknown>[] = [];
  const open: { gw: Gateway; client: Client }[] = [];

  beforeAll(async () => {
    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
    privatePem = await exportPKCS8(privateKey);
    const jwk = { ...(await exportJWK(publicKey)), kid: 'gw-key-1', alg: 'RS256', use: 'sig' };
    as = await startAuthorizationServer({
      resource: RESOURCE,
      extraClients: [
        {
          client_id: PKJWT_CLIENT,
          token_endpoint_auth_method: 'private_key_jwt',
          token_endpoint_auth_signing_alg: 'RS256',
          jwks: { keys: [jwk] },
          grant_types: ['client_credentials'],
          redirect_uris: [],
          response_types: [],
          scope: 'tools.read tools.write',
          id_token_signed_response_alg: 'ES256',
        },
      ],
    });
    api = await startRecordingUpstream(async (token) => {
      try {
        const keys = (await (await fetch(`${as.issuer}/jwks`)).json()) as never;
        const { payload } = await jwtVerify(token, createLocalJWKSet(keys), {
          issuer: as.issuer,
          audience: RESOURCE,
        });
        claims.push(payload);
        return true;
      } catch {
        return false;
      }
    });
  });
  afterEach(async () => {
    for (const { gw, client } of open.splice(0)) {
      await client.close();
      await gw.close();
    }
    claims.length = 0;
    api.seen.length = 0;
  });
  afterAll(async () => {
    await api?.close();
    await as?.close();
  });

  const start = async (auth: Record<string, unknown>) => {
    const secrets = [clientSecret(AS_CLIENTS.jwt), privatePem];
    const config = testConfig({
      upstreams: {
        api: {
          baseUrl: api.url,
          auth: {
            type: 'oauth2',
            tokenUrl: `${as.issuer}/token`,
            scopes: ['tools.read'],
            resource: RESOURCE,
            timeout: '2s',
            ...auth,
          } as never,
        },
      },
      tools: [{ name: 'list_items', upstream: 'api', path: '/items' }],
    });
    const gw = createGateway(withSecrets(config, secrets));
    const client = await connect(gw);
    open.push({ gw, client });
    return client;
  };

  it('gets a JWT for the resource by client secret and the upstream accepts it', async () => {
    const client = await start({ clientId: AS_CLIENTS.jwt, clientSecret: clientSecret(AS_CLIENTS.jwt) });
    const before = as.hits.get('/token') ?? 0;
    const r = await client.callTool({ name: 'list_items', arguments: {} });
    expect(r.isError).toBeFalsy();
    expect(claims[0]).toMatchObject({ aud: RESOURCE, client_id: AS_CLIENTS.jwt, scope: 'tools.read' });
    await client.callTool({ name: 'list_items', arguments: {} });
    expect((as.hits.get('/token') ?? 0) - before).toBe(1);
  });

  it('authenticates by private_key_jwt with the configured key', async () => {
    const client = await start({
      clientId: PKJWT_CLIENT,
      privateKey: privatePem,
      privateKeyId: 'gw-key-1',
      privateKeyAlg: 'RS256',
      issuer: as.issuer,
    });
    const r = await client.callTool({ name: 'list_items', arguments: {} });
    expect(r.isError).toBeFalsy();
    expect(claims[0]).toMatchObject({ client_id: PKJWT_CLIENT, aud: RESOURCE });
  });

  it('after the issuer rotates its keys, the refused token is replaced once and the call succeeds', async () => {
    const client = await start({ clientId: AS_CLIENTS.jwt, clientSecret: clientSecret(AS_CLIENTS.jwt) });
    expect((await client.callTool({ name: 'list_items', arguments: {} })).isError).toBeFalsy();
    const before = as.hits.get('/token') ?? 0;
    await as.rotateKeys({ keepOld: false });
    const r = await client.callTool({ name: 'list_items', arguments: {} });
    expect(r.isError).toBeFalsy();
    expect((as.hits.get('/token') ?? 0) - before).toBe(1);
    // The upstream saw the old token (refused), then the new one.
    const tokens = api.seen.slice(-2).map((s) => s.token);
    expect(tokens[0]).not.toBe(tokens[1]);
  });

  it('a hanging issuer is a tool error at auth.timeout; the upstream is never called', async () => {
    const client = await start({
      clientId: AS_CLIENTS.jwt,
      clientSecret: clientSecret(AS_CLIENTS.jwt),
      timeout: '200ms',
    });
    as.hang();
    try {
      const r = await client.callTool({ name: 'list_items', arguments: {} });
      expect(codeOf(r)).toBe('UPSTREAM_CREDENTIAL_UNAVAILABLE');
      expect(api.seen.length).toBe(0);
    } finally {
      as.resume();
    }
  });

  it('a wrong client secret is reported as invalid_client, without the secret', async () => {
    const client = await start({ clientId: AS_CLIENTS.jwt, clientSecret: 'not-the-secret-1234' });
    const r = await client.callTool({ name: 'list_items', arguments: {} });
    expect(codeOf(r)).toBe('UPSTREAM_CREDENTIAL_UNAVAILABLE');
    const text = (r.content as { text: string }[]).map((c) => c.text).join('');
    expect(text).toContain('invalid_client');
    expect(text).not.toContain('not-the-secret-1234');
  });
});
