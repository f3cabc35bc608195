import { createHash } from 'node:crypto';
import { type Clock, ConfigError, type Logger, LruMap, systemClock } from '../core/index.js';
import { CallerCredentialMissingError, CredentialUnavailableError } from './errors.js';
import type { IssuedToken } from './issued-token.js';
import type { GrantParameters, TokenEndpoint } from './token-endpoint.js';
import { TokenKeeper } from './token-keeper.js';
import type { TokenStore } from './token-store.js';
import { bearer, type CallerCredential, type UpstreamCredential } from './upstream-credential.js';

export interface TokenExchangeOptions {
  upstream: string;
  endpoint: TokenEndpoint;
  /** The audience/resource/scope asked for: the same for every caller of this upstream. */
  params: GrantParameters;
  requestedTokenType?: string | undefined;
  clock?: Clock;
  logger?: Logger;
  /**
   * Shares exchanged tokens between instances; `storeKeyFor(caller)` names the exchange of one caller
   * token (`caller` is the subject and a digest of that token, never the token itself).
   */
  store?: TokenStore | undefined;
  storeKeyFor?: (caller: string) => string;
  /** Caller tokens whose exchanged tokens are held at once; the least recently used go first. Default 10 000. */
  maxCallers?: number;
  /**
   * How long a caller token the identity provider refused (`invalid_grant`: revoked, expired, not
   * meant for this exchange) is refused again without asking, bounded by that token's own expiry.
   * A client retrying a dead token then costs the identity provider one request, not one per call.
   * Default 30 000 ms; 0 asks every time.
   */
  refusalMs?: number;
}

/** A caller token the identity provider refused, and until when that answer stands. */
interface Refusal {
  error: CredentialUnavailableError;
  until: number;
}

/** An exchanged token never outlives the caller token it was exchanged for. */
function boundedBy(token: IssuedToken, subjectExpiresAt: number | undefined): IssuedToken {
  if (subjectExpiresAt === undefined || token.expiresAt <= subjectExpiresAt) return token;
  return {
    value: token.value,
    expiresAt: subjectExpiresAt,
    refreshAt: Math.min(token.refreshAt, subjectExpiresAt),
  };
}

/**
 * One caller token's exchange: the subject and a digest of the token. Keyed by the token, not the
 * subject alone: one user's tokens from different clients carry different scopes, and an exchanged
 * token carries the scopes of the token it came from, so it must never serve another of them.
 */
function callerTokenId(caller: CallerCredential): string {
  return `${caller.subject}\0${createHash('sha256').update(caller.token).digest('base64url')}`;
}

/**
 * `auth.type: token-exchange` (RFC 8693): the caller's verified access token is exchanged at the
 * token endpoint for one meant for this upstream, and the result is kept per caller token (the
 * audience is this upstream's) until it is due, with the same single-flight and refresh-ahead
 * rules as client credentials. A call without a verified caller token is refused before anything
 * is sent.
 */
export function tokenExchange(o: TokenExchangeOptions): UpstreamCredential {
  const max = o.maxCallers ?? 10_000;
  if (!Number.isInteger(max) || max < 1)
    throw new ConfigError(
      `token-exchange for upstream ${o.upstream}: maxCallers must be a whole number of 1 or more (got ${max})`,
    );
  // An evicted caller's keeper is closed (its token dropped); the caller's next call exchanges again.
  const keepers = new LruMap<string, TokenKeeper>(max, (keeper) => keeper.close());
  const keeperFor = (caller: CallerCredential, id: string): TokenKeeper => {
    const held = keepers.get(id);
    if (held !== undefined) return held;
    const { token, expiresAt } = caller;
    const keeper = new TokenKeeper({
      fetch: async (trace) =>
        boundedBy(await o.endpoint.exchange(token, o.params, o.requestedTokenType, trace), expiresAt),
      ...(o.clock ? { clock: o.clock } : {}),
      ...(o.logger ? { logger: o.logger } : {}),
      ...(o.store && o.storeKeyFor ? { store: o.store, storeKey: o.storeKeyFor(id) } : {}),
    });
    keepers.set(id, keeper);
    return keeper;
  };
  const refusalMs = o.refusalMs ?? 30_000;
  if (!Number.isFinite(refusalMs) || refusalMs < 0)
    throw new ConfigError(
      `token-exchange for upstream ${o.upstream}: refusalMs must be 0 or more milliseconds (got ${refusalMs})`,
    );
  const refusals = new LruMap<string, Refusal>(max);
  const now = () => (o.clock ?? systemClock).now();
  const refusedBefore = (id: string): CredentialUnavailableError | undefined => {
    const refusal = refusals.get(id);
    if (refusal === undefined) return undefined;
    if (now() < refusal.until) return refusal.error;
    refusals.delete(id);
    return undefined;
  };
  const remember = (id: string, caller: CallerCredential, err: unknown): void => {
    if (refusalMs === 0 || !(err instanceof CredentialUnavailableError) || err.oauthError !== 'invalid_grant')
      return;
    const until = Math.min(now() + refusalMs, caller.expiresAt ?? Number.POSITIVE_INFINITY);
    refusals.set(id, { error: err, until });
    // The keeper holds nothing for this token; a later exchange (once the refusal is over) starts afresh.
    keepers.get(id)?.close();
    keepers.delete(id);
  };
  const owners = new WeakMap<object, TokenKeeper>();
  return {
    type: 'token-exchange',
    perCaller: true,
    async authorize(caller, signal, trace) {
      if (caller === undefined) throw new CallerCredentialMissingError(o.upstream, 'token-exchange');
      const id = callerTokenId(caller);
      const refused = refusedBefore(id);
      if (refused !== undefined) throw refused;
      const keeper = keeperFor(caller, id);
      const token = await keeper.get(signal, trace).catch((err: unknown) => {
        remember(id, caller, err);
        throw err;
      });
      const auth = bearer(token);
      owners.set(auth, keeper);
      return auth;
    },
    rejected(auth) {
      const keeper = owners.get(auth);
      if (keeper === undefined) return false;
      keeper.rejected(auth.token);
      return true;
    },
    async close() {
      for (const keeper of keepers.values()) keeper.close();
      keepers.clear();
      refusals.clear();
      await o.endpoint.close();
    },
  };
}
