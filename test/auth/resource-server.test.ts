import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AuthServerUnavailableError,
  createResourceServer,
  InvalidTokenError,
  principalFromClaims,
  type ResourceServerOptions,
} from '../../src/auth/index.js';
import { createRecordingLogger, ManualClock } from '../../src/core/index.js';
import {
  AS_CLIENTS,
  type AuthorizationServer,
  clientSecret,
  startAuthorizationServer,
} from '../helpers/authorization-server.js';
import { forgeToken } from './token-forge.js';

const RESOURCE = 'http://127.0.0.1:1/mcp';

let as: AuthorizationServer;
beforeAll(async () => {
  as = await startAuthorizationServer({ resource: RESOURCE, claims: { tenant: 'acme', groups: ['ops'] } });
});
afterAll(async () => {
  await as?.close();
});

function server(extra: Partial<ResourceServerOptions> = {}) {
  return createResourceServer({
    issuer: as.issuer,
    resource: RESOURCE,
    introspection: { clientId: AS_CLIENTS.gateway, clientSecret: clientSecret(AS_CLIENTS.gateway) },
    claims: ['tenant', 'groups'],
    tokenType: 'at+jwt',
    ...extra,
  });
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

describe('JWT access tokens from a real authorization server', () => {
  it('turns a token into its principal: subject, client, scopes and the configured claims only', async () => {
    const token = await as.token({ scope: 'tools.read tools.write' });
    const p = await server().authenticate(token);
    expect(p).toMatchObject({
      kind: 'oauth',
      sub: AS_CLIENTS.jwt,
      clientId: AS_CLIENTS.jwt,
      iss: as.issuer,
      id: `oauth:${as.issuer}#${AS_CLIENTS.jwt}`,
      claims: { tenant: 'acme', groups: ['ops'] },
    });
    expect([...p.scopes].sort()).toEqual(['tools.read', 'tools.write']);
    expect(p.claims).not.toHaveProperty('jti');
    expect(JSON.stringify(p)).not.toContain(token);
  });

  it('verifies once, then answers from the cache without asking the issuer again', async () => {
    const rs = server();
    const token = await as.token();
    await rs.authenticate(token);
    const jwksHits = as.hits.get('/jwks') ?? 0;
    as.hang();
    try {
      const again = await rs.authenticate(token);
      expect(again.sub).toBe(AS_CLIENTS.jwt);
    } finally {
      as.resume();
    }
    expect(as.hits.get('/jwks') ?? 0).toBe(jwksHits);
    expect(rs.cached).toBe(1);
  });

  it('keeps a cached token only until it expires', async () => {
    const clock = new ManualClock(Date.now());
    const rs = server({ clock, clockToleranceMs: 0 });
    const now = Math.floor(clock.now() / 1000);
    const token = await forgeToken({
      issuer: as.issuer,
      audience: RESOURCE,
      key: as.signingKey,
      nowSeconds: now,
      exp: now + 60,
    });
    await rs.authenticate(token);
    clock.advance(61_000);
    const err = await rejection(rs.authenticate(token));
    expect(err).toBeInstanceOf(InvalidTokenError);
    expect((err as InvalidTokenError).reason).toBe('expired');
  });

  it('follows a key rotation: a token signed with a new key refetches the JWKS (at most once per cooldown)', async () => {
    const clock = new ManualClock(Date.now());
    const rs = server({ clock, jwksCooldownMs: 30_000 });
    const before = await as.token();
    await rs.authenticate(before);
    await as.rotateKeys({ keepOld: true });
    const after = await as.token();
    // Within the cooldown of the last fetch the new kid is refused, and the JWKS is not fetched again.
    const jwksHits = as.hits.get('/jwks') ?? 0;
    const early = await rejection(rs.authenticate(after));
    expect((early as InvalidTokenError).reason).toBe('unknown_key');
    expect(as.hits.get('/jwks') ?? 0).toBe(jwksHits);
    clock.advance(30_000);
    expect((await rs.authenticate(after)).sub).toBe(AS_CLIENTS.jwt);
    expect(as.hits.get('/jwks') ?? 0).toBe(jwksHits + 1);
    // The old key is withdrawn: the token verified with it stays valid from the cache.
    await as.rotateKeys({ keepOld: false });
    expect((await rs.authenticate(before)).sub).toBe(AS_CLIENTS.jwt);
  });
  it('a JWKS refetch that failed counts toward the cooldown: unknown keys do not ask the issuer again until it ends', async () => {
    const clock = new ManualClock(Date.now());
    const rs = server({ clock, jwksCooldownMs: 30_000, timeoutMs: 2000, attempts: 1 });
    await rs.authenticate(await as.token());
    clock.advance(30_000);
    const now = Math.floor(clock.now() / 1000);
    const unknownKid = (kid: string) =>
      forgeToken({ issuer: as.issuer, audience: RESOURCE, key: as.signingKey, nowSeconds: now, kid });
    const first = await unknownKid('k-unknown-1');
    const second = await unknownKid('k-unknown-2');
    as.hang();
    try {
      const arrived = as.nextRequest('/jwks');
      const refused = rejection(rs.authenticate(first));
      await arrived;
      clock.advance(2000);
      expect(await refused).toBeInstanceOf(AuthServerUnavailableError);
      // Within the cooldown of that failed refetch, another unknown kid is answered without asking.
      const asked = as.nextRequest('/jwks').then(() => 'asked the JWKS again');
      const answered = rejection(rs.authenticate(second)).then((e) => (e as { code?: string }).code);
      expect(await Promise.race([asked, answered])).toBe('AUTH_SERVER_UNAVAILABLE');
    } finally {
      as.resume();
    }
    clock.advance(30_000);
    const refetched = as.nextRequest('/jwks');
    expect(((await rejection(rs.authenticate(second))) as InvalidTokenError).reason).toBe('unknown_key');
    await refetched;
  });
});

describe('refusals that may not hold: asked again', () => {
  it('a JWT refused as not valid yet (nbf) is accepted once it is, within the refusal memory', async () => {
    const clock = new ManualClock(Date.now());
    const rs = server({ clock, clockToleranceMs: 0, cache: { refusedTtlMs: 30_000 } });
    const now = Math.floor(clock.now() / 1000);
    const early = await forgeToken({
      issuer: as.issuer,
      audience: RESOURCE,
      key: as.signingKey,
      nowSeconds: now,
      nbf: now + 10,
    });
    expect(((await rejection(rs.authenticate(early))) as InvalidTokenError).reason).toBe('not_yet_valid');
    clock.advance(11_000);
    expect((await rs.authenticate(early)).sub).toBe('forged-user');
  });
});

describe('opaque access tokens by introspection', () => {
  it('introspects an opaque token, checks its audience, and caches the answer', async () => {
    const rs = server();
    const token = await as.token({ clientId: AS_CLIENTS.opaque, scope: 'tools.read' });
    expect(token).not.toContain('.');
    const p = await rs.authenticate(token);
    expect(p).toMatchObject({ sub: AS_CLIENTS.opaque, clientId: AS_CLIENTS.opaque, scopes: ['tools.read'] });
    expect(p.claims).toEqual({ tenant: 'acme', groups: ['ops'] });
    const hits = as.hits.get('/token/introspection') ?? 0;
    await rs.authenticate(token);
    expect(as.hits.get('/token/introspection') ?? 0).toBe(hits);
  });

  it('refuses an opaque token issued for another resource', async () => {
    const token = await as.token({ clientId: AS_CLIENTS.opaque, resource: 'http://127.0.0.1:2/other' });
    const err = await rejection(server().authenticate(token));
    expect((err as InvalidTokenError).reason).toBe('audience');
  });

  it('asks the issuer about a refused token once, then refuses it from memory for a short while', async () => {
    const clock = new ManualClock(Date.now());
    const rs = server({ clock, cache: { refusedTtlMs: 30_000 } });
    const unknown = 'dW5rbm93bi1vci1yZXZva2VkLXRva2VuLXNlbnQtaW4tYS1sb29w';
    const hits = () => as.hits.get('/token/introspection') ?? 0;
    const before = hits();
    for (let i = 0; i < 5; i++)
      expect(((await rejection(rs.authenticate(unknown))) as InvalidTokenError).reason).toBe('inactive');
    expect(hits() - before).toBe(1);
    expect(rs.cached).toBe(0);
    clock.advance(30_000);
    expect(((await rejection(rs.authenticate(unknown))) as InvalidTokenError).reason).toBe('inactive');
    expect(hits() - before).toBe(2);
  });

  it('asks the issuer once for a token presented by several requests at once', async () => {
    const rs = server();
    await rs.authenticate(await as.token({ clientId: AS_CLIENTS.opaque }));
    const unknown = 'c2V2ZXJhbC1yZXF1ZXN0cy1hdC1vbmNlLXdpdGgtb25lLXRva2Vu';
    const before = as.hits.get('/token/introspection') ?? 0;
    const answers = await Promise.all(Array.from({ length: 5 }, () => rejection(rs.authenticate(unknown))));
    expect(answers.map((e) => (e as InvalidTokenError).reason)).toEqual(Array(5).fill('inactive'));
    expect((as.hits.get('/token/introspection') ?? 0) - before).toBe(1);
  });

  it('does not remember a token refused because the issuer could not be asked', async () => {
    const clock = new ManualClock(Date.now());
    const rs = server({ clock, timeoutMs: 2000, attempts: 1 });
    // The issuer's metadata is fetched: only the introspection itself is left to hang.
    await rs.authenticate(await as.token({ clientId: AS_CLIENTS.opaque }));
    const token = await as.token({ clientId: AS_CLIENTS.opaque });
    as.hang();
    try {
      const arrived = as.nextRequest('/token/introspection');
      const pending = rejection(rs.authenticate(token));
      await arrived;
      clock.advance(2000);
      expect(await pending).toBeInstanceOf(AuthServerUnavailableError);
    } finally {
      as.resume();
    }
    expect((await rs.authenticate(token)).sub).toBe(AS_CLIENTS.opaque);
  });

  it('sends at most maxConcurrent introspections at once, queues maxQueue more and refuses the rest as unavailable', async () => {
    const clock = new ManualClock(Date.now());
    const rs = server({
      clock,
      timeoutMs: 2000,
      attempts: 1,
      introspection: {
        clientId: AS_CLIENTS.gateway,
        clientSecret: clientSecret(AS_CLIENTS.gateway),
        maxConcurrent: 2,
        maxQueue: 1,
      },
    });
    // The issuer's metadata is fetched: only the introspections are left to hang.
    await rs.authenticate(await as.token({ clientId: AS_CLIENTS.opaque }));
    const made = (i: number) =>
      Buffer.from(`made-up-opaque-token-number-${i}-of-a-flood`).toString('base64url');
    const hits = () => as.hits.get('/token/introspection') ?? 0;
    const before = hits();
    as.hang();
    try {
      const first = as.nextRequest('/token/introspection');
      const a = rejection(rs.authenticate(made(1)));
      await first;
      const second = as.nextRequest('/token/introspection');
      const b = rejection(rs.authenticate(made(2)));
      await second;
      const queued = rejection(rs.authenticate(made(3)));
      const refused = (await rejection(rs.authenticate(made(4)))) as AuthServerUnavailableError;
      expect(refused).toBeInstanceOf(AuthServerUnavailableError);
      expect(refused.code).toBe('AUTH_SERVER_UNAVAILABLE');
      expect(refused.retryAfterMs).toBeGreaterThan(0);
      expect(refused.message).toMatch(/at once/);
      expect(hits() - before).toBe(2);
      // The two in flight time out; the queued one goes next, as does a token seen before (no network).
      const third = as.nextRequest('/token/introspection');
      clock.advance(2000);
      expect(await a).toBeInstanceOf(AuthServerUnavailableError);
      expect(await b).toBeInstanceOf(AuthServerUnavailableError);
      await third;
      expect(hits() - before).toBe(3);
      clock.advance(2000);
      expect(await queued).toBeInstanceOf(AuthServerUnavailableError);
    } finally {
      as.resume();
    }
    // A refusal for being busy is not remembered: the same token is asked about once the flood is over.
    expect(((await rejection(rs.authenticate(made(4)))) as InvalidTokenError).reason).toBe('inactive');
  });

  it('refuses an unknown opaque token as inactive', async () => {
    const err = await rejection(server().authenticate('c29tZXRoaW5nLW1hZGUtdXAtYW5kLWxvbmctZW5vdWdo'));
    expect(err).toBeInstanceOf(InvalidTokenError);
    expect((err as InvalidTokenError).reason).toBe('inactive');
  });
});

describe('an authorization server that hangs or is down', () => {
  it('a hanging issuer times out as AUTH_SERVER_UNAVAILABLE for new tokens; cached ones keep working', async () => {
    const clock = new ManualClock(Date.now());
    const logger = createRecordingLogger();
    const rs = server({ clock, timeoutMs: 2000, attempts: 1, logger });
    const known = await as.token({ clientId: AS_CLIENTS.opaque });
    const fresh = await as.token({ clientId: AS_CLIENTS.opaque });
    await rs.authenticate(known);
    as.hang();
    try {
      const arrived = as.nextRequest('/token/introspection');
      const pending = rejection(rs.authenticate(fresh));
      await arrived;
      clock.advance(2000);
      const err = await pending;
      expect(err).toBeInstanceOf(AuthServerUnavailableError);
      expect((err as AuthServerUnavailableError).code).toBe('AUTH_SERVER_UNAVAILABLE');
      expect((await rs.authenticate(known)).sub).toBe(AS_CLIENTS.opaque);
    } finally {
      as.resume();
    }
    const logged = JSON.stringify(logger.records);
    expect(logged).not.toContain(known);
    expect(logged).not.toContain(fresh);
  });

  it('an issuer that is down fails new tokens fast with AUTH_SERVER_UNAVAILABLE', async () => {
    const down = await startAuthorizationServer({ resource: RESOURCE });
    const issuer = down.issuer;
    const token = await down.token();
    await down.close();
    const rs = createResourceServer({ issuer, resource: RESOURCE, attempts: 1 });
    const err = await rejection(rs.authenticate(token));
    expect(err).toBeInstanceOf(AuthServerUnavailableError);
  });
});

describe('the principal id of a token', () => {
  const idOf = (iss: string, sub: string) => principalFromClaims({ iss, sub }, [], iss).id;

  it('keeps the issuer and subject apart even when either holds the separator', () => {
    // Joined naively, both pairs read "oauth:https://idp.example#a#b".
    expect(idOf('https://idp.example#a', 'b')).not.toBe(idOf('https://idp.example', 'a#b'));
    expect(idOf('https://idp.example', 'a%23b')).not.toBe(idOf('https://idp.example', 'a#b'));
    const ids = new Set(
      ['', '#', '%', '%23', '#%', 'a#', '#a'].flatMap((iss) =>
        ['#', '%', '%23', 'x', 'x#y'].map((sub) => idOf(`https://i${iss}`, sub)),
      ),
    );
    expect(ids.size).toBe(7 * 5);
  });

  it('reads as oauth:<issuer>#<subject> for the issuers and subjects seen in practice', () => {
    expect(idOf('https://idp.example/realms/main', 'user-42')).toBe(
      'oauth:https://idp.example/realms/main#user-42',
    );
    expect(idOf('https://login.example.com/tenant/v2.0', 'a1b2@c.d')).toBe(
      'oauth:https://login.example.com/tenant/v2.0#a1b2@c.d',
    );
  });
});
