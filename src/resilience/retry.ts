import {
  type Clock,
  ConfigError,
  isAbortError,
  type Logger,
  noopLogger,
  systemClock,
} from '../core/index.js';
import { type BackoffOptions, backoffDelay, type Jitter } from './backoff.js';
import {
  type ComposablePolicy,
  ExecContext,
  type ExecuteOptions,
  executeRoot,
  type Operation,
  RUN,
  abortedError,
} from './context.js';
import { RetryBudgetExhaustedError } from './errors.js';
import { guardHook } from './guard-hook.js';
import { parseRetryAfter } from './retry-after.js';
import type { RetryBudget } from './retry-budget.js';
import { PendingWaits, trackedSleep } from './sleep.js';

/** Passed to `onRetry` before each wait. */
export interface RetryEvent {
  /** The attempt that just failed (1 = the first try). */
  attempt: number;
  /** How long the policy waits before the next attempt. */
  delayMs: number;
  /** The error of the failed attempt, if it threw. */
  error?: unknown;
  /** The result of the failed attempt, if `retryOnResult` rejected it. */
  result?: unknown;
  /** True when the delay came from the error's/result's Retry-After. */
  fromRetryAfter: boolean;
}

/** Why the policy stopped retrying. */
export type GiveUpReason =
  | 'not-retryable'
  | 'max-attempts'
  | 'max-elapsed'
  | 'budget'
  | 'aborted'
  /** The server's Retry-After exceeds `maxDelayMs`; retrying earlier would ignore it. */
  | 'retry-after-too-long';

/** Passed to `onGiveUp` when the last outcome is a failure and no retry follows. */
export interface GiveUpEvent {
  attempt: number;
  reason: GiveUpReason;
  error?: unknown;
  result?: unknown;
}

/** Options of `retry`. */
export interface RetryOptions extends BackoffOptions {
  /** Total attempts including the first. Default 3. */
  maxAttempts?: number;
  /**
   * A deadline from the start of `execute`: no retry starts after it, and the wait before the last
   * attempt is cut to end at it. Default: none.
   */
  maxElapsedMs?: number;
  /** Whether a thrown error is worth another attempt. Default: every error except aborts and config errors. */
  retryOn?: (error: unknown, attempt: number) => boolean;
  /** Whether a returned result is a failure worth another attempt (e.g. status 503). Default: never. */
  retryOnResult?: (result: unknown, attempt: number) => boolean;
  /**
   * The server-requested delay carried by an error or a result, in ms. Default: its `retryAfterMs`
   * (number), else its `retryAfter` (raw header, parsed with `parseRetryAfter`). It is never cut
   * short: when it exceeds `maxDelayMs` (reason `'retry-after-too-long'`) or the time left before the
   * deadline (reason `'max-elapsed'`), the policy gives up at once with that outcome.
   */
  getRetryAfterMs?: (errorOrResult: unknown) => number | undefined;
  /** Shared retry budget; when it is exhausted the last outcome is returned/thrown as is. */
  budget?: RetryBudget;
  /** With `'error'`, an exhausted budget throws `RetryBudgetExhaustedError` (cause: the last error). Default `'last-outcome'`. */
  onBudgetExhausted?: 'last-outcome' | 'error';
  onRetry?: (event: RetryEvent) => void;
  onGiveUp?: (event: GiveUpEvent) => void;
  /** Random source in [0, 1) for jitter; inject for deterministic tests. Default Math.random. */
  random?: () => number;
  clock?: Clock;
  logger?: Logger;
}

/** A retry policy. */
export interface RetryPolicy extends ComposablePolicy {
  readonly options: Readonly<Required<BackoffOptions>> & { readonly maxAttempts: number };
  /** Calls currently waiting before a retry. */
  readonly waiting: number;
  /** Cancels every pending wait (those calls reject with `AbortedError`); later retries are not waited for. */
  dispose(): void;
}

/** The default Retry-After reader: `retryAfterMs` (number) or `retryAfter` (header string). */
export function defaultGetRetryAfterMs(value: unknown, nowMs: number): number | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as { retryAfterMs?: unknown; retryAfter?: unknown };
  if (typeof v.retryAfterMs === 'number')
    return Number.isFinite(v.retryAfterMs) && v.retryAfterMs >= 0 ? v.retryAfterMs : undefined;
  if (typeof v.retryAfter === 'string' || Array.isArray(v.retryAfter))
    return parseRetryAfter(v.retryAfter as string | string[], nowMs);
  return undefined;
}

const defaultRetryOn = (err: unknown) => !isAbortError(err) && !(err instanceof ConfigError);

/**
 * Retries a failing operation with exponential backoff and jitter, honouring Retry-After, a
 * deadline, a shared budget and cancellation. The operation sees the attempt number in `ctx.attempt`.
 */
export function retry(options: RetryOptions = {}): RetryPolicy {
  const maxAttempts = options.maxAttempts ?? 3;
  const backoff: Required<BackoffOptions> = {
    baseDelayMs: options.baseDelayMs ?? 100,
    multiplier: options.multiplier ?? 2,
    maxDelayMs: options.maxDelayMs ?? 30_000,
    jitter: options.jitter ?? ('full' as Jitter),
  };
  if (!(Number.isInteger(maxAttempts) && maxAttempts >= 1))
    throw new ConfigError(
      `retry: maxAttempts must be an integer >= 1 (got ${maxAttempts}); 1 means no retries`,
    );
  if (!(backoff.baseDelayMs >= 0))
    throw new ConfigError(`retry: baseDelayMs must be >= 0 (got ${backoff.baseDelayMs})`);
  if (!(backoff.multiplier >= 1))
    throw new ConfigError(`retry: multiplier must be >= 1 (got ${backoff.multiplier})`);
  if (!(backoff.maxDelayMs >= 0))
    throw new ConfigError(`retry: maxDelayMs must be >= 0 (got ${backoff.maxDelayMs})`);
  if (!['none', 'full', 'equal', 'decorrelated'].includes(backoff.jitter))
    throw new ConfigError(
      `retry: jitter must be one of none, full, equal, decorrelated (got ${backoff.jitter})`,
    );
  const maxElapsedMs = options.maxElapsedMs;
  if (maxElapsedMs !== undefined && !(maxElapsedMs >= 0))
    throw new ConfigError(`retry: maxElapsedMs must be >= 0 (got ${maxElapsedMs})`);
  const retryOn = options.retryOn ?? defaultRetryOn;
  const retryOnResult = options.retryOnResult;
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? noopLogger;
  const random = options.random ?? Math.random;
  const getRetryAfter = options.getRetryAfterMs ?? ((v: unknown) => defaultGetRetryAfterMs(v, clock.now()));
  const budget = options.budget;
  const budgetError = options.onBudgetExhausted === 'error';
  // A throwing hook is logged and ignored: the real outcome stands and retrying goes on.
  const onRetry = guardHook(options.onRetry, 'retry.onRetry', logger);
  const onGiveUp = guardHook(options.onGiveUp, 'retry.onGiveUp', logger);

  const waits = new PendingWaits();

  async function run<T>(parent: ExecContext, fn: Operation<T>): Promise<T> {
    budget?.recordCall();
    const ctx = new ExecContext(parent, 1, undefined, false);
    let deadline = Number.POSITIVE_INFINITY;
    if (maxElapsedMs !== undefined) deadline = clock.now() + maxElapsedMs;
    let prevDelay = 0;
    for (let attempt = 1; ; attempt++) {
      ctx.setAttempt(attempt);
      let failed: { error: unknown } | { result: T };
      try {
        const result = await fn(ctx);
        if (retryOnResult === undefined || !retryOnResult(result, attempt)) return result;
        failed = { result };
      } catch (error) {
        if (ctx.isAborted()) {
          onGiveUp?.({ attempt, reason: 'aborted', error });
          throw error;
        }
        if (!retryOn(error, attempt)) {
          onGiveUp?.({ attempt, reason: 'not-retryable', error });
          throw error;
        }
        failed = { error };
      }
      const outcome = 'error' in failed ? failed.error : failed.result;
      const giveUp = (reason: GiveUpReason): T => {
        onGiveUp?.({ attempt, reason, ...failed });
        if ('error' in failed) {
          if (reason === 'budget' && budgetError)
            throw new RetryBudgetExhaustedError({ cause: failed.error });
          throw failed.error;
        }
        return failed.result;
      };
      if (attempt >= maxAttempts) return giveUp('max-attempts');
      const now = clock.now();
      if (now >= deadline) return giveUp('max-elapsed');
      let delay = backoffDelay(attempt, prevDelay, backoff, random);
      prevDelay = delay;
      let fromRetryAfter = false;
      const ra = getRetryAfter(outcome);
      if (ra !== undefined && ra >= 0 && Number.isFinite(ra)) {
        // Never retry before the server's time: if it asks for more than we may wait, give up now
        // with its own answer (which carries retryAfterMs) rather than waiting and failing later.
        if (ra > backoff.maxDelayMs) return giveUp('retry-after-too-long');
        if (ra > deadline - now) return giveUp('max-elapsed');
        delay = ra;
        fromRetryAfter = true;
      }
      delay = Math.min(delay, deadline - now);
      if (budget && !budget.tryRetry()) return giveUp('budget');
      onRetry?.({ attempt, delayMs: delay, fromRetryAfter, ...failed });
      logger.debug({ attempt, delayMs: Math.round(delay), fromRetryAfter }, 'retrying');
      if (delay > 0) {
        try {
          await trackedSleep(delay, parent.waitSignal(), clock, waits);
        } catch (abortErr) {
          onGiveUp?.({ attempt, reason: 'aborted', ...failed });
          throw abortErr;
        }
      }
      if (ctx.isAborted()) {
        onGiveUp?.({ attempt, reason: 'aborted', ...failed });
        throw abortedError(ctx.abortReason());
      }
    }
  }

  const policy: RetryPolicy = {
    options: { ...backoff, maxAttempts },
    [RUN]: run,
    get waiting() {
      return waits.size;
    },
    dispose() {
      waits.dispose('the retry policy');
    },
    execute<T>(fn: Operation<T>, opts?: ExecuteOptions): Promise<T> {
      return executeRoot(policy, fn, opts);
    },
  };
  return policy;
}
