/** How a retry delay is randomised. See https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/ */
export type Jitter = 'none' | 'full' | 'equal' | 'decorrelated';

/** Exponential backoff settings. */
export interface BackoffOptions {
  /** Delay before the first retry, before jitter. Default 100 ms. */
  baseDelayMs?: number;
  /** Growth per retry. Default 2. */
  multiplier?: number;
  /** Upper bound of any single delay (also caps a server's Retry-After). Default 30 000 ms. */
  maxDelayMs?: number;
  /** Default 'full'. */
  jitter?: Jitter;
}

/**
 * The delay before retry number `retry` (1 for the first retry), given the previous delay (for
 * decorrelated jitter) and a random source in [0, 1).
 *
 * - none: min(max, base·mult^(n-1))
 * - full: uniform in [0, that]
 * - equal: that/2 + uniform in [0, that/2]
 * - decorrelated: uniform in [base, min(max, max(prev, base)·3)]
 */
export function backoffDelay(
  retry: number,
  prevDelayMs: number,
  o: Required<BackoffOptions>,
  random: () => number,
): number {
  if (o.jitter === 'decorrelated') {
    const prev = Math.max(prevDelayMs, o.baseDelayMs);
    const hi = Math.min(o.maxDelayMs, prev * 3);
    const lo = Math.min(o.baseDelayMs, hi);
    return lo + random() * (hi - lo);
  }
  const exp = Math.min(o.maxDelayMs, o.baseDelayMs * o.multiplier ** (retry - 1));
  switch (o.jitter) {
    case 'none':
      return exp;
    case 'full':
      return random() * exp;
    case 'equal':
      return exp / 2 + random() * (exp / 2);
  }
}
