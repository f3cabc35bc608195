import { ConduitError } from '../core/index.js';

/**
 * The circuit breaker rejected the call without running it (open, isolated, or half-open with every
 * probe slot taken). `retryAt` (epoch ms) and `retryAfterMs` say when a call may be admitted again.
 */
export class CircuitOpenError extends ConduitError {
  declare readonly code: 'CIRCUIT_OPEN';
  /** Epoch ms at which the breaker may admit a call again (a probe, when it was open). */
  readonly retryAt: number;
  /** `retryAt` minus the time of rejection, never negative. */
  readonly retryAfterMs: number;
  /** The breaker's state when it rejected: 'open', 'half-open' or 'isolated'. */
  readonly state: string;
  /** Name of the breaker, when it was given one. */
  readonly breaker: string | undefined;

  constructor(init: { retryAt: number; now: number; state: string; breaker?: string | undefined }) {
    const after = Math.max(0, init.retryAt - init.now);
    const who = init.breaker ? `Circuit breaker "${init.breaker}"` : 'Circuit breaker';
    const why =
      init.state === 'isolated'
        ? 'is isolated (forced open); call reset() to admit calls again'
        : init.state === 'half-open'
          ? 'is half-open and every probe slot is taken; retry after the probe completes'
          : `is open after repeated failures; retry in ${after} ms`;
    super('CIRCUIT_OPEN', `${who} ${why}`);
    this.retryAt = init.retryAt;
    this.retryAfterMs = after;
    this.state = init.state;
    this.breaker = init.breaker;
  }

  override toJSON(): Record<string, unknown> {
    // Infinity (isolated) is not JSON: report it as null.
    const finite = Number.isFinite(this.retryAfterMs);
    return {
      ...super.toJSON(),
      state: this.state,
      retryAfterMs: finite ? this.retryAfterMs : null,
      retryAt: finite ? new Date(this.retryAt).toISOString() : null,
    };
  }
}

/**
 * An operation ran past its time limit. `phase` says which limit: 'attempt' for the resilience
 * `timeout` policy; the HTTP client uses 'connect', 'headers', 'body' and 'total'.
 */
export class TimeoutError extends ConduitError {
  declare readonly code: 'TIMEOUT';
  readonly timeoutMs: number;
  readonly phase: string;

  constructor(message: string | undefined, init: { timeoutMs: number; phase?: string; cause?: unknown }) {
    const phase = init.phase ?? 'attempt';
    super(
      'TIMEOUT',
      message ??
        `Operation timed out after ${init.timeoutMs} ms (phase: ${phase}); raise the timeout if the operation is expected to take longer`,
      init.cause === undefined ? undefined : { cause: init.cause },
    );
    this.timeoutMs = init.timeoutMs;
    this.phase = phase;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), timeoutMs: this.timeoutMs, phase: this.phase };
  }
}

/** The bulkhead had every execution slot and every queue slot taken. */
export class BulkheadRejectedError extends ConduitError {
  declare readonly code: 'BULKHEAD_REJECTED';
  readonly maxConcurrent: number;
  readonly maxQueue: number;

  constructor(maxConcurrent: number, maxQueue: number) {
    super(
      'BULKHEAD_REJECTED',
      `Bulkhead is full (${maxConcurrent} running, ${maxQueue} queued); raise maxConcurrent/maxQueue or shed load upstream`,
    );
    this.maxConcurrent = maxConcurrent;
    this.maxQueue = maxQueue;
  }
}

/** A retry was needed but the retry budget had no tokens left; `cause` holds the last failure. */
export class RetryBudgetExhaustedError extends ConduitError {
  declare readonly code: 'RETRY_BUDGET_EXHAUSTED';
  constructor(options?: { cause?: unknown }) {
    super(
      'RETRY_BUDGET_EXHAUSTED',
      'Retry budget exhausted: retries already make up the allowed share of calls; the dependency is failing too often to retry',
      options,
    );
  }
}

/** The rate limiter would have had to wait longer than `maxWaitMs` for a token. */
export class RateLimitExceededError extends ConduitError {
  declare readonly code: 'RATE_LIMIT_EXCEEDED';
  readonly waitMs: number;
  readonly retryAfterMs: number;

  constructor(waitMs: number, maxWaitMs: number) {
    super(
      'RATE_LIMIT_EXCEEDED',
      `Rate limit reached: the next token is ${Math.ceil(waitMs)} ms away, more than maxWaitMs (${maxWaitMs} ms); slow down or raise ratePerSec/burst`,
    );
    this.waitMs = waitMs;
    this.retryAfterMs = Math.ceil(waitMs);
  }
}
