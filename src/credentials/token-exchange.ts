import type { Clock, Logger } from '../core/index.js';
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
  /** Shares exchanged tokens between instances; `storeKeyFor(subject)` names one caller's. */
  store?: TokenStore | undefined;
  storeKeyFor?: (subject: string) => string;
  /** Callers whose exchanged tokens are held at once; the least recently used go first. Default 10 000. */
  maxCallers?: number;
}

interface CallerSlot {
  keeper: TokenKeeper;
  /** The caller's latest verified token: the subject token of the next exchange. */
  subjectToken: string;
  /** When that token expires (epoch ms), when known. */
  subjectExpiresAt: number | undefined;
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
 * `auth.type: token-exchange` (RFC 8693): the caller's verified access token is exchanged at the
 * token endpoint for one meant for this upstream, and the result is kept per caller (subject; the
 * audience is this upstream's) until it is due, with the same single-flight and refresh-ahead
 * rules as client credentials. A call without a verified caller token is refused before anything
 * is sent.
 */
export function tokenExchange(o: TokenExchangeOptions): UpstreamCredential {
  const max = o.maxCallers ?? 10_000;
  const slots = new Map<string, CallerSlot>();
  const slotFor = (caller: CallerCredential): CallerSlot => {
    const slot = slots.get(caller.subject);
    if (slot !== undefined) {
      // Most recently used last, so eviction takes the oldest.
      slots.delete(caller.subject);
      slots.set(caller.subject, slot);
      slot.subjectToken = caller.token;
      slot.subjectExpiresAt = caller.expiresAt;
      return slot;
    }
    const fresh: CallerSlot = {
      subjectToken: caller.token,
      subjectExpiresAt: caller.expiresAt,
      keeper: new TokenKeeper({
        fetch: async () =>
          boundedBy(
            await o.endpoint.exchange(fresh.subjectToken, o.params, o.requestedTokenType),
            fresh.subjectExpiresAt,
          ),
        ...(o.clock ? { clock: o.clock } : {}),
        ...(o.logger ? { logger: o.logger } : {}),
        ...(o.store && o.storeKeyFor ? { store: o.store, storeKey: o.storeKeyFor(caller.subject) } : {}),
      }),
    };
    slots.set(caller.subject, fresh);
    if (slots.size > max) {
      const oldest = slots.keys().next().value as string;
      slots.get(oldest)?.keeper.close();
      slots.delete(oldest);
    }
    return fresh;
  };
  const owners = new WeakMap<object, TokenKeeper>();
  return {
    type: 'token-exchange',
    perCaller: true,
    async authorize(caller, signal) {
      if (caller === undefined) throw new CallerCredentialMissingError(o.upstream, 'token-exchange');
      const keeper = slotFor(caller).keeper;
      const auth = bearer(await keeper.get(signal));
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
      for (const slot of slots.values()) slot.keeper.close();
      slots.clear();
      await o.endpoint.close();
    },
  };
}
