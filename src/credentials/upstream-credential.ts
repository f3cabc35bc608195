import type { Context } from '@opentelemetry/api';
import type { IssuedToken } from './issued-token.js';

/**
 * The caller of a tool, as far as upstream credentials need to know: who (the verified subject, for
 * cache keys) and the access token they presented (for token exchange and forwarding). Built by the
 * gateway from its verified principal; never built from anything a client merely claims.
 */
export interface CallerCredential {
  /** A stable id of the verified caller (issuer and subject). */
  readonly subject: string;
  /** The caller's validated access token: a secret. */
  readonly token: string;
  /** Epoch ms when the caller's token expires, when known. */
  readonly expiresAt?: number | undefined;
}

/** What one upstream call sends: the header to add and the token it carries (to report a refusal). */
export interface Authorization {
  readonly header: string;
  readonly value: string;
  /** @internal The token behind `value`. */
  readonly token: IssuedToken;
}

/**
 * How the gateway authenticates to one upstream when the credential is not static: a token it keeps
 * fresh, a token exchanged per caller, or the caller's own token.
 */
export interface UpstreamCredential {
  /** `auth.type` as configured: `oauth2`, `token-exchange` or `forward`. */
  readonly type: 'oauth2' | 'token-exchange' | 'forward';
  /** True when what is sent depends on the caller: answers are then private to the caller. */
  readonly perCaller: boolean;
  /**
   * The header for this call; waits for a token only when none usable is held. `trace`: the parent of
   * the token fetch's spans, when this call starts one.
   */
  authorize(
    caller: CallerCredential | undefined,
    signal?: AbortSignal,
    trace?: Context,
  ): Promise<Authorization>;
  /**
   * The upstream answered 401 to `auth`: drop its token so the next `authorize` gets another one.
   * Returns false when there is no other one to get (a forwarded caller token).
   */
  rejected(auth: Authorization): boolean;
  close(): Promise<void>;
}

export function bearer(token: IssuedToken): Authorization {
  return { header: 'authorization', value: `Bearer ${token.value}`, token };
}
