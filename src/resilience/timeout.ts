import { type Clock, ConfigError, systemClock } from '../core/index.js';
import {
  type ComposablePolicy,
  ExecContext,
  type ExecuteOptions,
  executeRoot,
  type Operation,
  RUN,
} from './context.js';
import { type DeadlineEntry, DeadlineQueue } from './deadline-queue.js';
import { TimeoutError } from './errors.js';

/** Options of `timeout`. */
export interface TimeoutOptions {
  ms: number;
  /** Reported on the `TimeoutError`. Default 'attempt'. */
  phase?: string;
  clock?: Clock;
}

/** A timeout policy. */
export interface TimeoutPolicy extends ComposablePolicy {
  readonly ms: number;
  /** Deadlines currently armed (calls in flight). */
  readonly pending: number;
  /** Cancels pending deadlines (their calls are no longer limited) and clears the shared timer. */
  dispose(): void;
}

/**
 * Limits each execution to `ms`. When the limit passes, `ctx.signal` aborts (cooperative
 * cancellation) and the call rejects with `TimeoutError` at once, even if the operation ignores the
 * signal. All calls of one policy share a single clock timer (see DeadlineQueue), and the
 * AbortController exists only if the operation reads `ctx.signal`.
 */
export function timeout(msOrOptions: number | TimeoutOptions): TimeoutPolicy {
  const o = typeof msOrOptions === 'number' ? { ms: msOrOptions } : msOrOptions;
  const ms = o.ms;
  const phase = o.phase ?? 'attempt';
  const clock = o.clock ?? systemClock;
  if (!(typeof ms === 'number' && ms > 0 && Number.isFinite(ms)))
    throw new ConfigError(`timeout: ms must be a finite number > 0 (got ${String(ms)})`);
  const queue = new DeadlineQueue(clock);

  function run<T>(parent: ExecContext, fn: Operation<T>): Promise<T> {
    const call = new TimeoutCall<T>(
      new ExecContext(parent, 0, undefined, true),
      clock.now() + ms,
      ms,
      phase,
      queue,
    );
    const promise = new Promise<T>((resolve, reject) => {
      call.resolve = resolve;
      call.reject = reject;
    });
    queue.push(call);
    let r: T | PromiseLike<T>;
    try {
      r = fn(call.ctx);
    } catch (err) {
      call.settle();
      call.reject(err);
      return promise;
    }
    if (r !== null && typeof r === 'object' && typeof (r as PromiseLike<T>).then === 'function') {
      (r as PromiseLike<T>).then(
        (v) => {
          call.settle();
          call.resolve(v);
        },
        (e) => {
          call.settle();
          call.reject(e);
        },
      );
    } else {
      call.settle();
      call.resolve(r as T);
    }
    return promise;
  }

  const policy: TimeoutPolicy = {
    ms,
    get pending() {
      return queue.size;
    },
    [RUN]: run,
    execute<T>(fn: Operation<T>, opts?: ExecuteOptions): Promise<T> {
      return executeRoot(policy, fn, opts);
    },
    dispose() {
      queue.dispose();
    },
  };
  return policy;
}

/** One timed call: its own deadline entry (no closure for the timer callback) and its settle functions. */
class TimeoutCall<T> implements DeadlineEntry {
  done = false;
  resolve!: (v: T) => void;
  reject!: (e: unknown) => void;

  constructor(
    readonly ctx: ExecContext,
    public at: number,
    private readonly ms: number,
    private readonly phase: string,
    private readonly queue: DeadlineQueue,
  ) {}

  fire(): void {
    const err = new TimeoutError(undefined, { timeoutMs: this.ms, phase: this.phase });
    this.ctx.abort(err);
    this.reject(err);
  }

  /** The operation ended (either way): cancel the deadline, unlink from the caller's signal. */
  settle(): void {
    this.queue.cancel(this);
    this.ctx.release();
  }
}
