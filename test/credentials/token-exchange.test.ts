import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/index.js';
import { issuedToken, TokenEndpoint, tokenExchange } from '../../src/credentials/index.js';
import { createHttpClient } from '../../src/http/index.js';
import { startScriptedTokenEndpoint } from '../helpers/token-endpoint.js';

/** An endpoint stand-in that records subject tokens and issues 5-minute tokens at once. */
function endpoint(clock: ManualClock) {
  const subjects: string[] = [];
  const fake = {
    async exchange(subject: string) {
      subjects.push(subject);
      return issuedToken(`x-${subjects.length}`, 300, clock.now(), 60_000);
    },
    async close() {},
  };
  return { subjects, endpoint: fake as unknown as TokenEndpoint };
}

/** A real token endpoint client in front of a scripted identity provider on 127.0.0.1. */
async function scriptedEndpoint() {
  const idp = await startScriptedTokenEndpoint();
  const http = createHttpClient({ name: 'u.token', baseUrl: new URL(idp.url).origin });
  const endpoint = new TokenEndpoint({
    upstream: 'u',
    tokenUrl: idp.url,
    clientId: 'gateway',
    clientSecret: 'gateway-secret-0123456789',
    http,
    refreshBeforeMs: 60_000,
  });
  return { idp, endpoint };
}

describe('tokenExchange', () => {
  it('keeps one exchanged token per caller token and refuses a call without a caller token', async () => {
    const clock = new ManualClock(1_000_000);
    const e = endpoint(clock);
    const cred = tokenExchange({ upstream: 'u', endpoint: e.endpoint, params: {}, clock });
    const a1 = await cred.authorize({ subject: 'alice', token: 'alice-at' });
    const a2 = await cred.authorize({ subject: 'alice', token: 'alice-at' });
    const b1 = await cred.authorize({ subject: 'bob', token: 'bob-at' });
    expect([a1.value, a2.value, b1.value]).toEqual(['Bearer x-1', 'Bearer x-1', 'Bearer x-2']);
    expect(e.subjects).toEqual(['alice-at', 'bob-at']);
    await expect(cred.authorize(undefined)).rejects.toMatchObject({ code: 'CALLER_CREDENTIAL_MISSING' });
  });

  it('holds at most maxCallers caller tokens: the least recently used one is dropped and exchanged afresh', async () => {
    const clock = new ManualClock(1_000_000);
    const e = endpoint(clock);
    const cred = tokenExchange({ upstream: 'u', endpoint: e.endpoint, params: {}, clock, maxCallers: 2 });
    const expiresAt = clock.now() + 300_000;
    const call = (who: string) => cred.authorize({ subject: who, token: `${who}-at`, expiresAt });
    await call('alice');
    await call('bob');
    await call('alice'); // alice is now the recently used one
    await call('carol'); // past maxCallers: bob goes
    expect(e.subjects).toEqual(['alice-at', 'bob-at', 'carol-at']);
    expect((await call('alice')).value).toBe('Bearer x-1');
    expect((await call('carol')).value).toBe('Bearer x-3');
    expect((await call('bob')).value).toBe('Bearer x-4');
    expect(e.subjects).toEqual(['alice-at', 'bob-at', 'carol-at', 'bob-at']);
    await cred.close();
    for (const maxCallers of [0, 1.5])
      expect(() => tokenExchange({ upstream: 'u', endpoint: e.endpoint, params: {}, maxCallers })).toThrow(
        expect.objectContaining({ code: 'INVALID_CONFIG' }),
      );
  });

  it("an exchanged token never outlives the caller's token: the next call exchanges the new one", async () => {
    const clock = new ManualClock(1_000_000);
    const e = endpoint(clock);
    const cred = tokenExchange({ upstream: 'u', endpoint: e.endpoint, params: {}, clock });
    const callerExpiry = clock.now() + 30_000; // the caller's token has 30 s left; the IdP gives 5 min
    await cred.authorize({ subject: 'alice', token: 'at-1', expiresAt: callerExpiry });
    clock.advance(30_000);
    const next = await cred.authorize({ subject: 'alice', token: 'at-2', expiresAt: clock.now() + 300_000 });
    expect(next.value).toBe('Bearer x-2');
    expect(e.subjects).toEqual(['at-1', 'at-2']);
  });

  it("a subject's other token (another client, fewer scopes) is exchanged itself, never served the first token's exchange", async () => {
    const clock = new ManualClock(1_000_000);
    const e = endpoint(clock);
    const cred = tokenExchange({ upstream: 'u', endpoint: e.endpoint, params: {}, clock });
    const expiresAt = clock.now() + 300_000;
    const admin = await cred.authorize({ subject: 'alice', token: 'admin-client-at', expiresAt });
    const readOnly = await cred.authorize({ subject: 'alice', token: 'read-only-client-at', expiresAt });
    const adminAgain = await cred.authorize({ subject: 'alice', token: 'admin-client-at', expiresAt });
    expect([admin.value, readOnly.value, adminAgain.value]).toEqual([
      'Bearer x-1',
      'Bearer x-2',
      'Bearer x-1',
    ]);
    expect(e.subjects).toEqual(['admin-client-at', 'read-only-client-at']);
  });

  it("an identity provider's refusal that quotes the caller's token never carries it, whole or in part", async () => {
    const { idp, endpoint } = await scriptedEndpoint();
    const callerToken = `eyJhbGciOiJFUzI1NiJ9.${'c'.repeat(40)}.${'s'.repeat(40)}`;
    try {
      for (const description of [
        `subject_token ${callerToken} has expired`,
        `subject_token ${encodeURIComponent(callerToken)} is not valid`,
      ]) {
        idp.willFail(400, { error: 'invalid_grant', error_description: description });
        const err = (await endpoint.exchange(callerToken, {}).catch((e: unknown) => e)) as Error & {
          code?: string;
        };
        expect(err.code).toBe('UPSTREAM_CREDENTIAL_UNAVAILABLE');
        expect(err.message).toContain('invalid_grant');
        // Not even the part that fits the message's bound.
        expect(err.message).not.toContain(callerToken.slice(0, 16));
      }
    } finally {
      await endpoint.close();
      await idp.close();
    }
  });

  it('a caller token the identity provider refused (invalid_grant) is refused again without asking, until refusalMs passes', async () => {
    const clock = new ManualClock(1_000_000);
    const { idp, endpoint } = await scriptedEndpoint();
    const cred = tokenExchange({ upstream: 'u', endpoint, params: {}, clock, refusalMs: 10_000 });
    const revoked = { subject: 'alice', token: 'revoked-at', expiresAt: clock.now() + 300_000 };
    try {
      idp.willFail(400, { error: 'invalid_grant', error_description: 'subject token revoked' });
      const first = await cred.authorize(revoked).catch((e: unknown) => e);
      expect(first).toMatchObject({ code: 'UPSTREAM_CREDENTIAL_UNAVAILABLE', oauthError: 'invalid_grant' });
      const again = await cred.authorize(revoked).catch((e: unknown) => e);
      expect(again).toMatchObject({ code: 'UPSTREAM_CREDENTIAL_UNAVAILABLE', oauthError: 'invalid_grant' });
      expect(idp.requests).toHaveLength(1);
      // The same subject's other token is its own question.
      const other = await cred.authorize({
        subject: 'alice',
        token: 'fresh-at',
        expiresAt: clock.now() + 300_000,
      });
      expect(other.value).toBe('Bearer tok-1');
      expect(idp.requests).toHaveLength(2);
      clock.advance(10_000);
      idp.willFail(400, { error: 'invalid_grant' });
      await expect(cred.authorize(revoked)).rejects.toMatchObject({ oauthError: 'invalid_grant' });
      expect(idp.requests).toHaveLength(3);
      // Other refusals (the gateway's own client, the IdP down) are not remembered per caller token.
      clock.advance(10_000);
      idp.willFail(401, { error: 'invalid_client' });
      const stranger = { subject: 'bob', token: 'bob-at', expiresAt: clock.now() + 300_000 };
      await expect(cred.authorize(stranger)).rejects.toMatchObject({ oauthError: 'invalid_client' });
      expect((await cred.authorize(stranger)).value).toBe('Bearer tok-2');
      expect(idp.requests).toHaveLength(5);
    } finally {
      await cred.close();
      await idp.close();
    }
  });

  it('a refusal is remembered no longer than the caller token lives', async () => {
    const clock = new ManualClock(1_000_000);
    const { idp, endpoint } = await scriptedEndpoint();
    const cred = tokenExchange({ upstream: 'u', endpoint, params: {}, clock, refusalMs: 60_000 });
    // An IdP that refuses a token it will later take (clock skew at the IdP, a replica not yet in sync).
    const early = { subject: 'alice', token: 'early-at', expiresAt: clock.now() + 5_000 };
    try {
      idp.willFail(400, { error: 'invalid_grant' });
      await expect(cred.authorize(early)).rejects.toMatchObject({ oauthError: 'invalid_grant' });
      clock.advance(5_000);
      // Past the caller token's own expiry the refusal is forgotten with it: the IdP is asked.
      await cred.authorize(early).catch(() => undefined);
      expect(idp.requests).toHaveLength(2);
    } finally {
      await cred.close();
      await idp.close();
    }
  });
});
