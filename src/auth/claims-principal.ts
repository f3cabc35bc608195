import { type Principal, principalIdPart } from '../core/index.js';
import { InvalidTokenError } from './errors.js';

/** The claims of a verified JWT or an active introspection answer. */
export type TokenClaims = Readonly<Record<string, unknown>>;

function scopesOf(claims: TokenClaims): string[] {
  const scope = claims.scope ?? claims.scp;
  if (typeof scope === 'string') return scope.split(' ').filter((s) => s.length > 0);
  if (Array.isArray(scope)) return scope.filter((s): s is string => typeof s === 'string');
  return [];
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);

/**
 * `oauth:<issuer>#<subject>`: readable, and the same as the plain join for the usual issuers and
 * subjects (sessions, quota buckets and private cache entries keyed by it carry over), while a `#`
 * or `%` inside either is encoded so that no two (issuer, subject) pairs share an id.
 */
function oauthPrincipalId(iss: string, sub: string): string {
  return `oauth:${principalIdPart(iss)}#${principalIdPart(sub)}`;
}

/**
 * The principal a token's claims stand for: `sub` (for a client-credentials token without one, the
 * client, as RFC 9068 has it), the client (`client_id`, else `azp`), the scopes (`scope`, else
 * `scp`) and the claims named in `keep`; nothing else of the token is kept.
 */
export function principalFromClaims(claims: TokenClaims, keep: readonly string[], issuer: string): Principal {
  const clientId = str(claims.client_id) ?? str(claims.azp);
  const sub = str(claims.sub) ?? clientId;
  if (sub === undefined)
    throw new InvalidTokenError('no_subject', 'The access token names neither a subject nor a client.');
  const iss = str(claims.iss) ?? issuer;
  const kept: Record<string, unknown> = {};
  for (const name of keep) if (Object.hasOwn(claims, name)) kept[name] = claims[name];
  const exp = typeof claims.exp === 'number' ? claims.exp * 1000 : undefined;
  return Object.freeze({
    id: oauthPrincipalId(iss, sub),
    kind: 'oauth',
    sub,
    clientId,
    iss,
    scopes: Object.freeze(scopesOf(claims)),
    claims: Object.freeze(kept),
    expiresAt: exp,
  });
}
