import { createHash } from 'node:crypto';
import { type Clock, ConfigError, type Logger, LruMap } from '../core/index.js';
import { CallerCredentialMissingError } from './errors.js';
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
  const keeperFor = (caller: CallerCredential): TokenKeeper => {
    const id = callerTokenId(caller);
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
  const owners = new WeakMap<object, TokenKeeper>();
  return {
    type: 'token-exchange',
    perCaller: true,
    async authorize(caller, signal, trace) {
      if (caller === undefined) throw new CallerCredentialMissingError(o.upstream, 'token-exchange');
      const keeper = keeperFor(caller);
      const auth = bearer(await keeper.get(signal, trace));
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
      await o.endpoint.close();
    },
  };
}
