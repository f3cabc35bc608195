/**
 * `conduit-mcp/auth` (inbound identity): the OAuth 2.1 resource server that turns a bearer access
 * token into the caller's `Principal` (JWT by JWKS, opaque by introspection, cached by token digest).
 */
export {
  createResourceServer,
  type ResourceServer,
  type ResourceServerOptions,
} from './resource-server.js';
export {
  InvalidTokenError,
  AuthServerUnavailableError,
  PolicyDeniedError,
  QuotaExceededError,
  type TokenRejection,
} from './errors.js';
export {
  Policy,
  type PolicyConfig,
  type PolicyRule,
  type PolicyCondition,
  type PolicyDecision,
} from './policy.js';
export { principalFromClaims, type TokenClaims } from './claims-principal.js';
export { tokenDigest } from './token-cache.js';
