import { AbortedError, ConfigError } from '../core/index.js';
import {
  type ComposablePolicy,
  type ExecContext,
  type ExecuteOptions,
  abortedError,
  executeRoot,
  type Operation,
  RUN,
} from './context.js';
import { BulkheadRejectedError } from './errors.js';

/** Options of `bulkhead`. */
export interface BulkheadOptions {
  /** Executions allowed at once. */
  maxConcurrent: number;
  /** Calls allowed to wait for a slot (FIFO). Default 0: reject at once when full. */
  maxQueue?: number;
}

/** A bulkhead policy. */
export interface BulkheadPolicy extends ComposablePolicy {
  readonly running: number;
  readonly queued: number;
  /** Rejects every queued call with `AbortedError`; running calls finish normally. */
  dispose(): void;
}

interface Waiter {
  start: () => void;
  cancel: (err: unknown) => void;
  cancelled: boolean;
}

/**
 * Caps concurrent executions at `maxConcurrent`; up to `maxQueue` more wait in FIFO order; anything
 * beyond is rejected with `BulkheadRejectedError`. A queued call whose signal aborts leaves the queue
 * at once and rejects with `AbortedError`.
 */
export function bulkhead(options: BulkheadOptions): BulkheadPolicy {
  const maxConcurrent = options.maxConcurrent;
  const maxQueue = options.maxQueue ?? 0;
  if (!(Number.isInteger(maxConcurrent) && maxConcurrent >= 1))
    throw new ConfigError(`bulkhead: maxConcurrent must be an integer >= 1 (got ${maxConcurrent})`);
  if (!(Number.isInteger(maxQueue) && maxQueue >= 0))
    throw new ConfigError(`bulkhead: maxQueue must be an integer >= 0 (got ${maxQueue})`);
  let running = 0;
  let queued = 0;
  let queue: Waiter[] = [];
  let head = 0;

  const next = () => {
    running--;
    while (head < queue.length) {
      const w = queue[head++]!;
      if (w.cancelled) continue;
      queued--;
      running++;
      w.start();
      break;
    }
    if (head === queue.length) {
      queue = [];
      head = 0;
    }
  };

  const runNow = <T>(ctx: ExecContext, fn: Operation<T>): Promise<T> => {
    let p: Promise<T>;
    try {
      p = Promise.resolve(fn(ctx));
    } catch (err) {
      next();
      return Promise.reject(err);
    }
    return p.finally(next);
  };

  function run<T>(ctx: ExecContext, fn: Operation<T>): Promise<T> {
    if (running < maxConcurrent) {
      running++;
      return runNow(ctx, fn);
    }
    if (queued >= maxQueue) return Promise.reject(new BulkheadRejectedError(maxConcurrent, maxQueue));
    if (ctx.isAborted()) return Promise.reject(abortedError(ctx.abortReason()));
    queued++;
    return new Promise<T>((resolve, reject) => {
      const signal = ctx.waitSignal();
      const waiter: Waiter = {
        cancelled: false,
        cancel: (err) => {
          signal?.removeEventListener('abort', onAbort);
          waiter.cancelled = true;
          queued--;
          reject(err);
        },
        start: () => {
          signal?.removeEventListener('abort', onAbort);
          runNow(ctx, fn).then(resolve, reject);
        },
      };
      const onAbort = () => waiter.cancel(abortedError(signal?.reason));
      signal?.addEventListener('abort', onAbort, { once: true });
      queue.push(waiter);
    });
  }

  const policy: BulkheadPolicy = {
    get running() {
      return running;
    },
    get queued() {
      return queued;
    },
    [RUN]: run,
    dispose() {
      const err = new AbortedError('the bulkhead was disposed while this call was queued');
      const waiting = queue.slice(head);
      queue = [];
      head = 0;
      for (const w of waiting) if (!w.cancelled) w.cancel(err);
    },
    execute<T>(fn: Operation<T>, opts?: ExecuteOptions): Promise<T> {
      return executeRoot(policy, fn, opts);
    },
  };
  return policy;
}
