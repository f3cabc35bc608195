import { createLocalJWKSet, importJWK, jwtVerify, SignJWT } from 'jose';
import type { Provider } from 'oidc-provider';
import type { AuthorizationServer } from './authorization-server.js';

export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

/**
 * RFC 8693 token exchange for the test authorization server (oidc-provider has no built-in grant
 * for it): the subject token must be a JWT this issuer signed; the answer is a JWT for `audience`
 * (or `resource`) with the subject's `sub` and the exchanging client as `act`. `exchanges` counts them.
 */
export function tokenExchangeGrant(getServer: () => AuthorizationServer | undefined) {
  const stats = { exchanges: 0, subjects: [] as string[] };
  const configure = (provider: Provider) => {
    provider.registerGrantType(
      TOKEN_EXCHANGE_GRANT,
      async (ctx) => {
        const as = getServer()!;
        const { subject_token: subject, subject_token_type: type, audience, resource } = ctx.oidc.params;
        const refuse = (error: string) => {
          ctx.status = 400;
          ctx.body = { error };
        };
        if (!subject || type !== ACCESS_TOKEN_TYPE) return refuse('invalid_request');
        let sub: string;
        try {
          const keys = (await (await fetch(`${as.issuer}/jwks`)).json()) as never;
          const { payload } = await jwtVerify(subject, createLocalJWKSet(keys), { issuer: as.issuer });
          sub = String(payload.sub);
        } catch {
          return refuse('invalid_grant');
        }
        stats.exchanges++;
        stats.subjects.push(sub);
        const key = await importJWK(as.signingKey, 'ES256');
        const token = await new SignJWT({ act: { sub: ctx.oidc.client.clientId }, n: stats.exchanges })
          .setProtectedHeader({ alg: 'ES256', kid: as.signingKey.kid!, typ: 'at+jwt' })
          .setIssuer(as.issuer)
          .setSubject(sub)
          .setAudience(audience ?? resource ?? 'unknown')
          .setIssuedAt()
          .setExpirationTime('5m')
          .sign(key);
        ctx.body = {
          access_token: token,
          issued_token_type: ACCESS_TOKEN_TYPE,
          token_type: 'Bearer',
          expires_in: 300,
        };
      },
      ['subject_token', 'subject_token_type', 'audience', 'resource', 'scope', 'requested_token_type'],
    );
  };
  return { configure, stats };
}
