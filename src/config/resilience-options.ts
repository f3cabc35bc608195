import type { UpstreamConfig } from './schema.js';

/**
 * An upstream's resilience settings in the option names of `conduit/resilience` (`retry`,
 * `circuitBreaker`, `bulkhead`, `rateLimiter`), ready to hand to the HTTP client. Kept structural so
 * config does not import the policies themselves.
 */
export interface UpstreamResilienceOptions {
  retry?: {
    maxAttempts: number;
    baseDelayMs: number;
    maxDelayMs: number;
    multiplier: number;
    jitter: 'full' | 'equal' | 'decorrelated' | 'none';
    maxElapsedMs?: number;
  };
  breaker?: {
    model:
      | { kind: 'consecutive'; threshold: number }
      | { kind: 'count'; size: number; failureRateThreshold: number; minimumCalls?: number }
      | { kind: 'time'; windowMs: number; failureRateThreshold: number; minimumCalls?: number };
    slowCallMs?: number;
    recoveryMs: number;
    halfOpenMaxConcurrent: number;
  };
  bulkhead?: { maxConcurrent: number; maxQueue: number };
  rateLimit?: { ratePerSec: number; burst?: number };
}

const DEFAULT_FAILURE_THRESHOLD = 5;

/** Maps `upstreams.<name>.{retry,breaker,bulkhead,rateLimit}` to resilience option names. */
export function resilienceOptionsFor(upstream: UpstreamConfig): UpstreamResilienceOptions {
  const out: UpstreamResilienceOptions = {};
  const { retry, breaker, bulkhead, rateLimit } = upstream;
  if (retry) {
    out.retry = {
      maxAttempts: retry.maxAttempts,
      baseDelayMs: retry.baseDelay,
      maxDelayMs: retry.maxDelay,
      multiplier: retry.multiplier,
      jitter: retry.jitter,
      ...(retry.maxElapsed !== undefined ? { maxElapsedMs: retry.maxElapsed } : {}),
    };
  }
  if (breaker) {
    const w = breaker.window;
    const minimum = w?.minimumCalls !== undefined ? { minimumCalls: w.minimumCalls } : {};
    out.breaker = {
      model: !w
        ? { kind: 'consecutive', threshold: breaker.failureThreshold ?? DEFAULT_FAILURE_THRESHOLD }
        : w.type === 'count'
          ? { kind: 'count', size: w.size, failureRateThreshold: w.failureRate, ...minimum }
          : { kind: 'time', windowMs: w.size, failureRateThreshold: w.failureRate, ...minimum },
      ...(breaker.slowCall !== undefined ? { slowCallMs: breaker.slowCall } : {}),
      recoveryMs: breaker.recoveryTimeout,
      halfOpenMaxConcurrent: breaker.halfOpenMaxCalls,
    };
  }
  if (bulkhead) out.bulkhead = { maxConcurrent: bulkhead.maxConcurrent, maxQueue: bulkhead.maxQueue };
  if (rateLimit)
    out.rateLimit = {
      ratePerSec: rateLimit.perSecond,
      ...(rateLimit.burst !== undefined ? { burst: rateLimit.burst } : {}),
    };
  return out;
}
