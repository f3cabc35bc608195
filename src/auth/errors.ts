import { ConduitError } from '../core/index.js';

/** Why an access token was refused; stable, safe to log and to count. */
export type TokenRejection =
  | 'malformed'
  | 'signature'
  | 'algorithm'
  | 'unknown_key'
  | 'expired'
  | 'not_yet_valid'
  | 'issuer'
  | 'audience'
  | 'type'
  | 'inactive'
  | 'no_subject';

/**
 * An access token that does not verify: answered 401 `invalid_token`. The message says what was wrong
 * with the token (never the token itself); `reason` says it for code.
 */
export class InvalidTokenError extends ConduitError {
  declare readonly code: 'TOKEN_INVALID';
  readonly reason: TokenRejection;
  constructor(reason: TokenRejection, message: string, options?: { cause?: unknown }) {
    super('TOKEN_INVALID', message, options);
    this.reason = reason;
  }
}

/**
 * The authorization server could not be asked (down, hanging, its breaker open) about a token the
 * gateway had not verified before: answered 503 with `Retry-After`, not 401, so the client keeps its
 * token and retries. Tokens verified earlier keep working from the cache meanwhile.
 */
export class AuthServerUnavailableError extends ConduitError {
  declare readonly code: 'AUTH_SERVER_UNAVAILABLE';
  readonly retryAfterMs: number;
  constructor(message: string, retryAfterMs: number, options?: { cause?: unknown }) {
    super('AUTH_SERVER_UNAVAILABLE', message, options);
    this.retryAfterMs = retryAfterMs;
  }
}
