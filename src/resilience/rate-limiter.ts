import { type Clock, ConfigError, systemClock } from '../core/index.js';
import {
  type ComposablePolicy,
  type ExecContext,
  type ExecuteOptions,
  executeRoot,
  type Operation,
  RUN,
} from './context.js';
import { RateLimitExceededError } from './errors.js';
import { PendingWaits, trackedSleep } from './sleep.js';

/** Options of `rateLimiter`. */
export interface RateLimiterOptions {
  /** Sustained rate: tokens added per second. */
  ratePerSec: number;
  /** Bucket size: how many calls may go at once after a quiet spell. Default max(1, ratePerSec). */
  burst?: number;
  /** `execute` waits at most this long for a token, else rejects `RateLimitExceededError`. Default no limit. */
  maxWaitMs?: number;
  clock?: Clock;
}

/** A token-bucket rate limiter. */
export interface RateLimiter extends ComposablePolicy {
  /** Takes `n` tokens if available now; false (and nothing taken) otherwise. */
  tryTake(n?: number): boolean;
  /** Milliseconds until `n` tokens are available (0 when they are now), counting queued reservations. */
  waitMs(n?: number): number;
  /** Reserves a token and waits for it (FIFO by reservation); aborting refunds it. */
  acquire(options?: { signal?: AbortSignal }): Promise<void>;
  /** Tokens available now (negative while calls are waiting for reserved tokens). */
  readonly tokens: number;
  /** Cancels every pending wait (those calls reject with `AbortedError`, their tokens are refunded). */
  dispose(): void;
}

/**
 * Token bucket: `burst` tokens at most, refilled continuously at `ratePerSec`. `execute` takes a
 * token, waiting for one when the bucket is empty; waiting callers reserve tokens in order, so they
 * are served FIFO. No timer runs while nobody waits.
 */
export function rateLimiter(options: RateLimiterOptions): RateLimiter {
  const rate = options.ratePerSec;
  if (!(rate > 0 && Number.isFinite(rate)))
    throw new ConfigError(`rateLimiter: ratePerSec must be a finite number > 0 (got ${rate})`);
  const burst = options.burst ?? Math.max(1, rate);
  if (!(burst >= 1)) throw new ConfigError(`rateLimiter: burst must be >= 1 (got ${burst})`);
  const maxWaitMs = options.maxWaitMs ?? Number.POSITIVE_INFINITY;
  const clock = options.clock ?? systemClock;
  const waits = new PendingWaits();
  let tokens = burst;
  let last = clock.now();

  const refill = () => {
    const now = clock.now();
    if (now > last) {
      tokens = Math.min(burst, tokens + ((now - last) * rate) / 1000);
    }
    last = now;
  };
  const waitFor = (n: number) => (tokens >= n ? 0 : ((n - tokens) * 1000) / rate);

  async function acquireFrom(signal: AbortSignal | undefined): Promise<void> {
    refill();
    if (tokens >= 1) {
      tokens -= 1;
      return;
    }
    const wait = waitFor(1);
    if (wait > maxWaitMs) throw new RateLimitExceededError(wait, maxWaitMs);
    tokens -= 1;
    try {
      await trackedSleep(Math.ceil(wait), signal, clock, waits);
    } catch (err) {
      tokens += 1;
      throw err;
    }
  }

  function run<T>(ctx: ExecContext, fn: Operation<T>): Promise<T> {
    refill();
    if (tokens >= 1) {
      tokens -= 1;
      try {
        return Promise.resolve(fn(ctx));
      } catch (err) {
        return Promise.reject(err);
      }
    }
    return acquireFrom(ctx.waitSignal()).then(() => fn(ctx));
  }

  const limiter: RateLimiter = {
    get tokens() {
      refill();
      return tokens;
    },
    tryTake(n = 1) {
      refill();
      if (tokens < n) return false;
      tokens -= n;
      return true;
    },
    waitMs(n = 1) {
      refill();
      return waitFor(n);
    },
    acquire(o) {
      return acquireFrom(o?.signal);
    },
    [RUN]: run,
    dispose() {
      waits.dispose('the rate limiter');
    },
    execute<T>(fn: Operation<T>, opts?: ExecuteOptions): Promise<T> {
      return executeRoot(limiter, fn, opts);
    },
  };
  return limiter;
}
