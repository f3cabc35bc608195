import { ConduitError, type PrincipalKind } from '../core/index.js';

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

/** Where a caller of this kind gets more scopes: its issuer, or the config that fixes them. */
function whereScopesCome(kind: PrincipalKind | undefined, them: string): string {
  if (kind === 'static')
    return `an operator can add ${them} to the scopes of its server.http.authTokens entry`;
  if (kind === 'operator') return `an operator can add ${them} to server.operator.scopes`;
  return `get a token with ${them}`;
}

/**
 * A call the `policy` section does not allow this caller: answered as a tool error (or a resource
 * read error). `neededScopes` lists the scopes an allow rule asks for, when a token with more scopes
 * would have been allowed (step-up).
 */
export class PolicyDeniedError extends ConduitError {
  declare readonly code: 'POLICY_DENIED';
  readonly target: string;
  readonly neededScopes: readonly string[];
  constructor(
    kind: 'tool' | 'resource',
    target: string,
    who: { sub?: string | undefined; id: string; kind?: PrincipalKind },
    neededScopes: readonly string[],
  ) {
    const need =
      neededScopes.length > 0
        ? ` It needs the scope${neededScopes.length > 1 ? 's' : ''} ${neededScopes.join(', ')}: ${whereScopesCome(who.kind, neededScopes.length > 1 ? 'them' : 'it')}.`
        : ' Ask the operator to allow it in the policy section if this caller needs it.';
    super(
      'POLICY_DENIED',
      `The policy does not allow ${who.sub ?? who.id} to ${kind === 'tool' ? 'call tool' : 'read resource'} "${target}".${need}`,
    );
    this.target = target;
    this.neededScopes = neededScopes;
  }
}

/** A call over a `limits` quota of its caller: answered as a tool error with `retryAfterMs`. */
export class QuotaExceededError extends ConduitError {
  declare readonly code: 'QUOTA_EXCEEDED';
  readonly retryAfterMs: number;
  constructor(what: string, retryAfterMs: number) {
    super(
      'QUOTA_EXCEEDED',
      `${what}; retry after ${Math.ceil(retryAfterMs / 100) / 10} s (retryAfterMs in the error's _meta).`,
    );
    this.retryAfterMs = retryAfterMs;
  }
}
