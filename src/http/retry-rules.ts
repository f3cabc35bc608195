import { AbortedError } from '../core/index.js';
import { parseRetryAfter, RateLimitExceededError, TimeoutError } from '../resilience/index.js';
import {
  HttpStatusError,
  InvalidJsonError,
  NetworkError,
  RateLimitedError,
  UpstreamRateLimitedError,
} from './errors.js';

/** Statuses retried by default: timeouts, too early, too many requests and transient server errors. */
export const DEFAULT_RETRY_STATUSES: readonly number[] = [408, 425, 429, 500, 502, 503, 504];

/**
 * Worth another attempt: a retryable status, a network failure, or a connect timeout (the request
 * never reached the upstream). Never other 4xx, header/body/total timeouts, an open breaker or aborts.
 */
export function isRetryableError(err: unknown, statuses: ReadonlySet<number>): boolean {
  // A call held back by the upstream's Retry-After was never sent: its answer is the hold itself.
  if (err instanceof UpstreamRateLimitedError && err.held) return false;
  if (err instanceof HttpStatusError) return statuses.has(err.status);
  if (err instanceof NetworkError) return true;
  if (err instanceof TimeoutError) return err.phase === 'connect';
  return false;
}

/**
 * What counts against the upstream's breaker: 5xx, 408, network errors, timeouts, and a success
 * whose body is not the JSON the call expected (`InvalidJsonError`). Other 4xx mean the upstream is
 * answering (the request was wrong), and aborts say nothing about it. A 429 is not a failure: see
 * {@link isBreakerNeutral}.
 */
export function isBreakerFailure(err: unknown): boolean {
  if (err instanceof HttpStatusError) return err.status >= 500 || err.status === 408;
  if (err instanceof AbortedError) return false;
  return err instanceof NetworkError || err instanceof TimeoutError || err instanceof InvalidJsonError;
}

/**
 * Outcomes the breaker counts neither way: a 429 (the upstream is up and rate limiting; the client
 * holds calls until its Retry-After instead of opening the breaker on it).
 */
export function isBreakerNeutral(err: unknown): boolean {
  return err instanceof HttpStatusError && err.status === 429;
}

/** The delay a 429/503 asks for, in ms; undefined when absent or malformed. */
export function retryAfterMs(value: string | string[] | undefined, nowMs: number): number | undefined {
  return parseRetryAfter(value, nowMs);
}

/**
 * The error a call ends with, once the retry policy gave up: rate limiting says so whichever side
 * imposed it. The client-side token bucket's rejection becomes `RateLimitedError`; the upstream's last
 * 429 becomes `UpstreamRateLimitedError` (code `UPSTREAM_RATE_LIMITED`, still an `HttpStatusError`), so
 * callers, tool results and metrics see "slow down", and which side said it, instead of a bare
 * `HTTP_STATUS`.
 */
export function finalError(err: unknown, upstream: string, rateSetting?: string): unknown {
  if (err instanceof RateLimitExceededError)
    return new RateLimitedError(upstream, err.retryAfterMs, rateSetting);
  if (err instanceof HttpStatusError && err.status === 429 && !(err instanceof UpstreamRateLimitedError))
    return new UpstreamRateLimitedError(err);
  return err;
}
