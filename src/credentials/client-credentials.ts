import type { Clock, Logger } from '../core/index.js';
import { bearer, type UpstreamCredential } from './upstream-credential.js';
import type { GrantParameters, TokenEndpoint } from './token-endpoint.js';
import { TokenKeeper } from './token-keeper.js';
import type { TokenStore } from './token-store.js';

export interface ClientCredentialsOptions {
  endpoint: TokenEndpoint;
  params: GrantParameters;
  clock?: Clock;
  logger?: Logger;
  /** Shares the token with other instances; `storeKey` names it (see `credentialStoreKey`). */
  store?: TokenStore | undefined;
  storeKey?: string;
}

/**
 * `auth.type: oauth2` with `grant: client_credentials`: one token for the upstream, whoever calls,
 * kept fresh by a {@link TokenKeeper}.
 */
export function clientCredentials(o: ClientCredentialsOptions): UpstreamCredential {
  const keeper = new TokenKeeper({
    fetch: (trace) => o.endpoint.clientCredentials(o.params, trace),
    ...(o.clock ? { clock: o.clock } : {}),
    ...(o.logger ? { logger: o.logger } : {}),
    ...(o.store && o.storeKey !== undefined ? { store: o.store, storeKey: o.storeKey } : {}),
  });
  return {
    type: 'oauth2',
    perCaller: false,
    async authorize(_caller, signal, trace) {
      return bearer(await keeper.get(signal, trace));
    },
    rejected(auth) {
      keeper.rejected(auth.token);
      return true;
    },
    async close() {
      keeper.close();
      await o.endpoint.close();
    },
  };
}
