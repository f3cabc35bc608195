import { type Clock, ConfigError, systemClock } from '../core/index.js';
import { AbortedError } from '../core/index.js';
import {
  type ComposablePolicy,
  abortedError,
  type ExecContext,
  type ExecuteOptions,
  executeRoot,
  type Operation,
  RUN,
} from './context.js';
import { type DeadlineEntry, DeadlineQueue } from './deadline-queue.js';
import { RateLimitExceededError } from './errors.js';

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
  /** Gives back `n` tokens a `tryTake` took for a call that then did not go; never past `burst`. */
  refund(n?: number): void;
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
  // Every waiting call behind one clock timer (armed for the earliest), which holds the process.
  const waiting = new DeadlineQueue(clock, true);
  let disposed = false;
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
    if (signal?.aborted) throw abortedError(signal.reason);
    if (disposed) throw new AbortedError('the policy was disposed; it starts no new waits');
    tokens -= 1;
    await new Promise<void>((resolve, reject) => {
      const w = new TokenWait(clock.now() + Math.ceil(wait), resolve, reject, signal);
      waiting.push(w);
      if (signal) {
        w.onAbort = () => {
          waiting.cancel(w);
          w.fail(abortedError(signal.reason));
        };
        signal.addEventListener('abort', w.onAbort, { once: true });
      }
    });
  }

  /** One waiting call: its token is reserved; it proceeds when its deadline fires. */
  class TokenWait implements DeadlineEntry {
    done = false;
    onAbort: (() => void) | undefined = undefined;
    constructor(
      readonly at: number,
      private readonly resolve: () => void,
      private readonly reject: (e: unknown) => void,
      private readonly signal: AbortSignal | undefined,
    ) {}

    fire(): void {
      this.unhook();
      this.resolve();
    }

    /** Gives the reserved token back and rejects the call. */
    fail(err: unknown): void {
      this.unhook();
      tokens += 1;
      this.reject(err);
    }

    private unhook(): void {
      if (this.onAbort) this.signal?.removeEventListener('abort', this.onAbort);
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
    refund(n = 1) {
      refill();
      tokens = Math.min(burst, tokens + n);
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
      disposed = true;
      const err = new AbortedError('the rate limiter was disposed while this call waited');
      for (const w of waiting.drain()) (w as TokenWait).fail(err);
    },
    execute<T>(fn: Operation<T>, opts?: ExecuteOptions): Promise<T> {
      return executeRoot(limiter, fn, opts);
    },
  };
  return limiter;
}
