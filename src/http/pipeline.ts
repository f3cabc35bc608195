import type { Clock, Logger } from '../core/index.js';
import {
  type BreakerOptions,
  type BreakerSnapshot,
  bulkhead,
  type CircuitBreaker,
  circuitBreaker,
  type Policy,
  type RateLimiter,
  rateLimiter,
  type RetryOptions,
  type RetryPolicy,
  retry,
  wrap,
} from '../resilience/index.js';
import type { Call } from './call.js';
import type { HttpResponse } from './response.js';
import {
  DEFAULT_RETRY_STATUSES,
  isBreakerFailure,
  isBreakerNeutral,
  isRetryableError,
} from './retry-rules.js';

/** Retry settings for HTTP: backoff from `conduit-mcp/resilience`, plus which statuses are retried. */
export interface HttpRetryOptions
  extends Omit<
    RetryOptions,
    'retryOn' | 'retryOnResult' | 'getRetryAfterMs' | 'maxElapsedMs' | 'clock' | 'logger'
  > {
  /** Statuses worth another attempt. Default 408, 425, 429, 500, 502, 503, 504. */
  statuses?: readonly number[];
}

/**
 * Breaker settings; failures are 5xx, 408, network errors, timeouts and a success that is not valid
 * JSON where JSON was expected (other 4xx are not; a 429 counts neither way).
 */
export type HttpBreakerOptions = Omit<
  BreakerOptions,
  'isFailure' | 'isNeutral' | 'isResultFailure' | 'clock' | 'fallback'
> & {
  /**
   * A success whose body is not the JSON the call expected (`expectJson`) counts as a failure.
   * Default true; false lets such answers through the breaker as successes (the call still fails
   * with `InvalidJsonError` when the body is read as JSON).
   */
  countInvalidJson?: boolean;
};

/** The resilience part of `HttpClientOptions`. */
export interface ResilienceOptions {
  /** Retry of safe calls (default 3 attempts, exponential backoff with full jitter); `false` disables. */
  retry?: false | HttpRetryOptions;
  /**
   * One circuit breaker for the upstream origin, shared by every request of this client (default:
   * open after 5 consecutive failures, probe after 30 s). Pass a `CircuitBreaker` to share one between
   * clients of the same origin; `false` disables.
   */
  breaker?: false | HttpBreakerOptions | CircuitBreaker;
  /** Concurrent calls to the upstream, beyond which calls queue or are rejected. Default: none. */
  bulkhead?: { maxConcurrent: number; maxQueue?: number };
  /**
   * Client-side token bucket per upstream, so the client stays under a published limit. A call waits
   * for a token up to `maxWaitMs` (default: the total timeout), else fails with `RateLimitedError`.
   */
  rateLimit?: { ratePerSec: number; burst?: number; maxWaitMs?: number } | RateLimiter;
  /**
   * After a 429 with Retry-After, calls to this upstream are not sent until that time: they fail at
   * once with `UpstreamRateLimitedError` (code `UPSTREAM_RATE_LIMITED`, `held: true`, `retryAfterMs` = the
   * time left), and the breaker counts none of it. `maxMs` caps how long one answer may hold (an
   * upstream's Retry-After is not trusted beyond it). Default `{ maxMs: 300_000 }`; `false` sends
   * every call regardless.
   */
  retryAfterHold?: false | { maxMs?: number };
}

/** The composed policies of one client, for the hot path. */
export interface HttpPipeline {
  execute(
    call: Call,
    attempt: (call: Call, attempt: number) => Promise<HttpResponse>,
    retryable: boolean,
    signal: AbortSignal | undefined,
  ): Promise<HttpResponse>;
  /** True when a policy can make a call wait in a queue (bulkhead queue, rate-limit wait). */
  readonly queues: boolean;
  breakerSnapshot(): BreakerSnapshot | undefined;
  /** The breaker instance (own or given), for observers such as metrics. */
  readonly breaker: CircuitBreaker | undefined;
  dispose(): void;
}

/**
 * Builds bulkhead → retry → rate limit → breaker around each attempt. Retry policies are cached per
 * total deadline (its `maxElapsedMs`), so a retry never waits past the deadline; calls that may not be
 * retried (POST/PATCH without Idempotency-Key) skip the retry layer entirely.
 */
export function buildPipeline(
  options: ResilienceOptions,
  ctx: { upstream: string; clock: Clock; logger: Logger; totalMs: number },
): HttpPipeline {
  const { clock, logger } = ctx;
  let breaker: CircuitBreaker | undefined;
  let ownsBreaker = false;
  if (options.breaker !== false) {
    const b = options.breaker;
    if (b !== undefined && typeof (b as CircuitBreaker).snapshot === 'function')
      breaker = b as CircuitBreaker;
    else {
      const { countInvalidJson: _c, ...own } = (b ?? {}) as HttpBreakerOptions;
      breaker = circuitBreaker({
        name: ctx.upstream,
        ...own,
        isFailure: isBreakerFailure,
        isNeutral: isBreakerNeutral,
        clock,
        logger: (b as HttpBreakerOptions | undefined)?.logger ?? logger,
      });
      ownsBreaker = true;
    }
  }
  let limiter: RateLimiter | undefined;
  const rl = options.rateLimit;
  if (rl !== undefined) {
    limiter =
      typeof (rl as RateLimiter).tryTake === 'function'
        ? (rl as RateLimiter)
        : rateLimiter({
            ratePerSec: (rl as { ratePerSec: number }).ratePerSec,
            ...((rl as { burst?: number }).burst !== undefined
              ? { burst: (rl as { burst: number }).burst }
              : {}),
            maxWaitMs:
              (rl as { maxWaitMs?: number }).maxWaitMs ?? (ctx.totalMs > 0 ? ctx.totalMs : undefined),
            clock,
          });
  }
  const bh = options.bulkhead ? bulkhead({ ...options.bulkhead }) : undefined;

  const ro = options.retry === false ? undefined : (options.retry ?? {});
  const statuses = new Set(ro?.statuses ?? DEFAULT_RETRY_STATUSES);
  const retryOn = (err: unknown) => isRetryableError(err, statuses);
  const retries = new Map<number, RetryPolicy>();
  const retryFor = (totalMs: number): RetryPolicy => {
    let p = retries.get(totalMs);
    if (p === undefined) {
      const { statuses: _s, ...backoff } = ro!;
      p = retry({
        ...backoff,
        retryOn,
        // Only HttpStatusError carries retryAfterMs, and only for 429/503.
        getRetryAfterMs: (e) => (e as { retryAfterMs?: number }).retryAfterMs,
        ...(totalMs > 0 ? { maxElapsedMs: totalMs } : {}),
        clock,
      });
      if (retries.size > 32) retries.clear();
      retries.set(totalMs, p);
    }
    return p;
  };

  const inner: Policy[] = [];
  if (limiter) inner.push(limiter);
  if (breaker) inner.push(breaker);
  const innerPolicy: Policy | undefined =
    inner.length === 0 ? undefined : inner.length === 1 ? inner[0] : wrap(...inner);
  // Composed chains, built once per retry policy and reused by every call.
  const chains = new Map<RetryPolicy | undefined, Policy | undefined>();
  const chainFor = (r: RetryPolicy | undefined): Policy | undefined => {
    if (chains.has(r)) return chains.get(r);
    const parts: Policy[] = [];
    if (bh) parts.push(bh);
    if (r) parts.push(r);
    if (innerPolicy) parts.push(innerPolicy);
    const c = parts.length === 0 ? undefined : parts.length === 1 ? parts[0] : wrap(...parts);
    if (chains.size > 33) chains.clear();
    chains.set(r, c);
    return c;
  };

  // The chains almost every call uses, resolved once.
  const plainChain = chainFor(undefined);
  const defaultRetryChain = ro !== undefined ? chainFor(retryFor(ctx.totalMs)) : plainChain;

  return {
    queues: (bh !== undefined && (options.bulkhead?.maxQueue ?? 0) > 0) || limiter !== undefined,
    execute(call, attempt, retryable, signal) {
      const chain = !retryable
        ? plainChain
        : call.totalMs === ctx.totalMs
          ? defaultRetryChain
          : chainFor(ro !== undefined ? retryFor(call.totalMs) : undefined);
      if (chain === undefined) return attempt(call, 1);
      return chain.execute((pc) => attempt(call, pc.attempt), signal ? { signal } : undefined);
    },
    breakerSnapshot: () => breaker?.snapshot(),
    breaker,
    dispose() {
      if (ownsBreaker) breaker?.dispose();
    },
  };
}
