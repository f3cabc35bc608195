import type { JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createResourceServer,
  InvalidTokenError,
  type ResourceServer,
  type TokenRejection,
} from '../../src/auth/index.js';
import { createRecordingLogger } from '../../src/core/index.js';
import { type RunningGateway, startGateway } from '../../src/mcp/index.js';
import { type AuthorizationServer, startAuthorizationServer } from '../helpers/authorization-server.js';
import { freePort } from '../helpers/free-ports.js';
import { testConfig } from '../helpers/gateway-config.js';
import { forgeToken, hmacWithPublicKey, strangerKey, unsignedToken } from '../auth/token-forge.js';

let as: AuthorizationServer;
let rs: ResourceServer;
let resource: string;
let gw: RunningGateway;
const logger = createRecordingLogger();

beforeAll(async () => {
  const port = await freePort();
  resource = `http://127.0.0.1:${port}/mcp`;
  as = await startAuthorizationServer({ resource });
  rs = createResourceServer({
    issuer: as.issuer,
    resource,
    tokenType: 'at+jwt',
    clockToleranceMs: 30_000,
    logger,
  });
  gw = await startGateway(
    testConfig({
      server: { http: { port, auth: { issuer: as.issuer, resource } } },
      upstreams: {},
      tools: [],
    }),
    { transport: 'http', logger },
  );
});
afterAll(async () => {
  await gw?.close();
  await as?.close();
});

const now = () => Math.floor(Date.now() / 1000);

async function reasonOf(token: string): Promise<TokenRejection> {
  try {
    await rs.authenticate(token);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidTokenError);
    expect((err as InvalidTokenError).code).toBe('TOKEN_INVALID');
    return (err as InvalidTokenError).reason;
  }
  throw new Error('the token was accepted');
}

const forged = (o: Partial<Parameters<typeof forgeToken>[0]> = {}) =>
  forgeToken({ issuer: as.issuer, audience: resource, key: as.signingKey, nowSeconds: now(), ...o });

function publicHalf(jwk: JWK): JWK {
  const { d: _d, ...pub } = jwk;
  return pub;
}

describe('hostile and broken access tokens are refused with a reason, never accepted', () => {
  it('a correctly forged token is accepted (the forgery helper itself works)', async () => {
    expect((await rs.authenticate(await forged())).sub).toBe('forged-user');
  });

  it.each<[string, () => Promise<string>, TokenRejection]>([
    ['expired (past the tolerance)', () => forged({ exp: now() - 120 }), 'expired'],
    ['not valid yet (nbf in the future)', () => forged({ nbf: now() + 600 }), 'not_yet_valid'],
    ['for another audience', () => forged({ audience: 'http://127.0.0.1:1/other' }), 'audience'],
    ['from another issuer', () => forged({ issuer: 'http://127.0.0.1:1' }), 'issuer'],
    ['of the wrong type (an ID token, typ JWT)', () => forged({ typ: 'JWT' }), 'type'],
    [
      'signed by a key the issuer never published',
      async () => forged({ key: await strangerKey() }),
      'unknown_key',
    ],
    [
      'signed by a stranger under the issuer’s kid',
      async () => forged({ key: await strangerKey(), kid: as.signingKey.kid! }),
      'signature',
    ],
    [
      'HS256 with the issuer’s public key as the secret',
      () =>
        hmacWithPublicKey(
          { iss: as.issuer, aud: resource, sub: 'x', exp: now() + 300 },
          publicHalf(as.signingKey),
        ),
      'algorithm',
    ],
    [
      'garbage that looks like a JWT (its signature cannot verify)',
      async () => 'eyJhbGciOiJFUzI1NiJ9.bm90LWpzb24.c2ln',
      'signature',
    ],
  ])('%s', async (_what, make, reason) => {
    expect(await reasonOf(await make())).toBe(reason);
  });

  it('alg none, and garbage without introspection configured, are refused as malformed', async () => {
    const none = unsignedToken(
      { iss: as.issuer, aud: resource, sub: 'x', exp: now() + 300 },
      as.signingKey.kid!,
    );
    expect(await reasonOf(none)).toBe('malformed');
    expect(await reasonOf('not a token at all')).toBe('malformed');
  });

  it('unknown key ids do not make the gateway hammer the JWKS endpoint', async () => {
    const before = as.hits.get('/jwks') ?? 0;
    for (let i = 0; i < 5; i++) await reasonOf(await forged({ key: await strangerKey() }));
    expect((as.hits.get('/jwks') ?? 0) - before).toBeLessThanOrEqual(1);
  });

  it('HS256 and none cannot be allowed by config', () => {
    expect(() => createResourceServer({ issuer: as.issuer, resource, algorithms: ['HS256'] })).toThrow(
      expect.objectContaining({ code: 'INVALID_CONFIG' }),
    );
  });
});

describe('over HTTP', () => {
  it('refuses a token in the query string (400), even a valid one', async () => {
    const token = await forged();
    const res = await fetch(`${resource}?access_token=${token}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: '{}',
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toBe('invalid_request');
  });

  it('answers a bad token 401 invalid_token with the metadata URL, and logs neither token nor claims', async () => {
    const token = await forged({ exp: now() - 3600 });
    const res = await fetch(resource, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: '{}',
    });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
    expect(res.headers.get('www-authenticate')).toContain('resource_metadata=');
    expect(JSON.stringify(logger.records)).not.toContain(token);
  });

  it('/metrics is not left open beside an OAuth-protected endpoint (it checks no access tokens)', async () => {
    const res = await fetch(new URL('/metrics', resource));
    expect(res.status).toBe(401);
    expect(await res.text()).toContain('metrics.token');
  });

  it('a malformed Authorization header is a 401, not a crash', async () => {
    for (const header of ['Bearer', 'Bearer a b', 'Basic Zm9vOmJhcg==', `Bearer ${'x'.repeat(9000)}`]) {
      const res = await fetch(resource, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: header },
        body: '{}',
      });
      expect(res.status).toBe(401);
      await res.body?.cancel();
    }
  });
});
