/**
 * Internal (no package subpath): upstream credentials that are not static — OAuth 2.0 client credentials
 * kept fresh (single-flight refresh ahead of expiry, shared through Redis), RFC 8693 token exchange
 * per caller, and forwarding the caller's own token. Sits on http (the token endpoint is an upstream
 * behind the resilience core) and redis (the shared token store).
 */
export { CredentialUnavailableError, CallerCredentialMissingError } from './errors.js';
export { type IssuedToken, issuedToken, fresh, usable, DEFAULT_TOKEN_LIFETIME_MS } from './issued-token.js';
export type { TokenStore } from './token-store.js';
export { redisTokenStore } from './redis-token-store.js';
export { TokenKeeper, type TokenKeeperOptions } from './token-keeper.js';
export {
  TokenEndpoint,
  type TokenEndpointOptions,
  type GrantParameters,
  type ClientAuthMethod,
  ACCESS_TOKEN_TYPE,
} from './token-endpoint.js';
export {
  type UpstreamCredential,
  type Authorization,
  type CallerCredential,
  bearer,
} from './upstream-credential.js';
export { clientCredentials, type ClientCredentialsOptions } from './client-credentials.js';
export { credentialStoreKey } from './store-key.js';
export { tokenExchange, type TokenExchangeOptions } from './token-exchange.js';
export { forwardCallerToken } from './forward.js';
