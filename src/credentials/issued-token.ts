/** An access token as the gateway keeps it: the value and when to stop and when to start replacing it. */
export interface IssuedToken {
  /** The access token itself: a secret, never logged. */
  readonly value: string;
  /** Epoch ms after which it is not sent any more. */
  readonly expiresAt: number;
  /** Epoch ms from which a replacement is fetched in the background while this one keeps serving. */
  readonly refreshAt: number;
}

/** Lifetime assumed when a token response has no `expires_in` (RFC 6749 makes it optional). */
export const DEFAULT_TOKEN_LIFETIME_MS = 60_000;

/**
 * The token a response describes, timed from `now`: refreshed `refreshBeforeMs` ahead of expiry,
 * but never earlier than half-way through its life, so a short-lived token is not refreshed on every call.
 */
export function issuedToken(
  value: string,
  expiresInSeconds: number | undefined,
  now: number,
  refreshBeforeMs: number,
): IssuedToken {
  const lifetime =
    expiresInSeconds === undefined || !Number.isFinite(expiresInSeconds)
      ? DEFAULT_TOKEN_LIFETIME_MS
      : Math.max(0, expiresInSeconds * 1000);
  const expiresAt = now + lifetime;
  return { value, expiresAt, refreshAt: expiresAt - Math.min(refreshBeforeMs, lifetime / 2) };
}

/** Still worth sending at `now`. */
export function usable(token: IssuedToken | undefined, now: number): token is IssuedToken {
  return token !== undefined && now < token.expiresAt;
}

/** Usable and not yet due for replacement at `now`. */
export function fresh(token: IssuedToken | undefined, now: number): token is IssuedToken {
  return token !== undefined && now < token.refreshAt && now < token.expiresAt;
}
