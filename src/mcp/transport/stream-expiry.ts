import type { ServerResponse } from 'node:http';
import type { Clock } from '../../core/index.js';

/** Longest delay a timer holds (2^31 - 1 ms, about 24.8 days); Node fires a longer one at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Ends a long-lived answer — a 2025-era session's standalone SSE stream, a 2026-07-28
 * `subscriptions/listen` stream — when the access token that opened it expires: the token is checked
 * once, when the stream opens, so without this an expired (or revoked, once its lifetime is over)
 * token would keep hearing notifications for as long as the connection lasts. The client reconnects
 * with its current token, as it does after any dropped stream. Tokens that live longer than a timer
 * holds are left to the session's idle timeout.
 */
export function endAtExpiry(res: ServerResponse, expiresAtMs: number, clock: Clock): void {
  const delay = expiresAtMs - clock.now();
  if (delay > MAX_TIMER_MS) return;
  const timer = clock.setTimeout(() => res.destroy(), Math.max(0, delay));
  res.once('close', () => clock.clearTimeout(timer));
}
