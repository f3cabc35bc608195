/**
 * How long a failed factory stays throttled: `throttleMs`, shortened to the error's own `retryAfterMs`
 * when it carries one (a finite, non-negative number), since a call then may succeed again.
 */
export function latchMs(err: unknown, throttleMs: number): number {
  const hint =
    typeof err === 'object' && err !== null ? (err as { retryAfterMs?: unknown }).retryAfterMs : undefined;
  return typeof hint === 'number' && Number.isFinite(hint) && hint >= 0
    ? Math.min(throttleMs, hint)
    : throttleMs;
}
