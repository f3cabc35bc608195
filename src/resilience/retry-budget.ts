import { type Clock, ConfigError, systemClock } from '../core/index.js';

/** Options of `retryBudget`. */
export interface RetryBudgetOptions {
  /** Retries may be at most this fraction of calls within the window. Default 0.2 (20%). */
  ratio?: number;
  /** Retries always allowed per second regardless of traffic, so a quiet client can still retry. Default 10. */
  minPerSec?: number;
  /** How far back calls and retries are counted. Default 10 000 ms. */
  windowMs?: number;
  clock?: Clock;
}

/** A snapshot of a budget's window. */
export interface RetryBudgetSnapshot {
  calls: number;
  retries: number;
  /** Retries still allowed now. */
  available: number;
}

/**
 * Caps retries at `ratio` of calls (plus `minPerSec`), counted over a sliding window, so a failing
 * dependency cannot turn into a retry storm. Share one budget between the retry policies of a
 * dependency. `retry({ budget })` calls `recordCall()` once per execute and `tryRetry()` before each retry.
 */
export interface RetryBudget {
  /** Counts one logical call (a deposit of `ratio` retries). */
  recordCall(): void;
  /** Takes one retry if the budget allows it; false when exhausted. */
  tryRetry(): boolean;
  snapshot(): RetryBudgetSnapshot;
}

// The window is kept as BUCKETS time slices so old traffic drops out in steps, in O(1) per call.
const BUCKETS = 10;

/** Creates a retry budget (token accounting over a sliding window of 10 slices). */
export function retryBudget(options: RetryBudgetOptions = {}): RetryBudget {
  const ratio = options.ratio ?? 0.2;
  const minPerSec = options.minPerSec ?? 10;
  const windowMs = options.windowMs ?? 10_000;
  const clock = options.clock ?? systemClock;
  if (!(ratio >= 0))
    throw new ConfigError(`retryBudget: ratio must be >= 0 (got ${ratio}); e.g. 0.2 for 20%`);
  if (!(minPerSec >= 0)) throw new ConfigError(`retryBudget: minPerSec must be >= 0 (got ${minPerSec})`);
  if (!(windowMs > 0)) throw new ConfigError(`retryBudget: windowMs must be > 0 (got ${windowMs})`);
  const sliceMs = windowMs / BUCKETS;
  const calls = new Float64Array(BUCKETS);
  const retries = new Float64Array(BUCKETS);
  let totalCalls = 0;
  let totalRetries = 0;
  let epoch = Math.floor(clock.now() / sliceMs);
  const minAllowance = (minPerSec * windowMs) / 1000;

  const roll = () => {
    const now = Math.floor(clock.now() / sliceMs);
    if (now <= epoch) return;
    const steps = Math.min(BUCKETS, now - epoch);
    for (let i = 1; i <= steps; i++) {
      const idx = (epoch + i) % BUCKETS;
      totalCalls -= calls[idx]!;
      totalRetries -= retries[idx]!;
      calls[idx] = 0;
      retries[idx] = 0;
    }
    epoch = now;
  };
  const available = () => Math.max(0, Math.floor(minAllowance + ratio * totalCalls - totalRetries));

  return {
    recordCall() {
      roll();
      calls[epoch % BUCKETS]!++;
      totalCalls++;
    },
    tryRetry() {
      roll();
      if (totalRetries + 1 > minAllowance + ratio * totalCalls) return false;
      retries[epoch % BUCKETS]!++;
      totalRetries++;
      return true;
    },
    snapshot() {
      roll();
      return { calls: totalCalls, retries: totalRetries, available: available() };
    },
  };
}
