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

/**
 * A queued call. One object per waiter (no closures but the abort listener, made only when the call
 * has a signal), so a queue of ten thousand costs ten thousand small objects and their promises.
 */
class Waiter<T> {
  cancelled = false;
  onAbort: (() => void) | undefined = undefined;

  constructor(
    readonly ctx: ExecContext,
    readonly fn: Operation<T>,
    readonly resolve: (v: T) => void,
    readonly reject: (e: unknown) => void,
    readonly signal: AbortSignal | undefined,
  ) {}

  /** Leaves the queue's accounting and unhooks from the signal (the caller settles). */
  unhook(): void {
    if (this.onAbort) this.signal?.removeEventListener('abort', this.onAbort);
  }
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
  let queue: Waiter<never>[] = [];
  let head = 0;

  const next = () => {
    running--;
    while (head < queue.length) {
      const w = queue[head]!;
      queue[head++] = undefined as unknown as Waiter<never>; // let a started waiter go
      if (w.cancelled) continue;
      queued--;
      running++;
      w.unhook();
      start(w.ctx, w.fn, w.resolve, w.reject);
      break;
    }
    if (head === queue.length) {
      queue = [];
      head = 0;
    }
  };

  /** Runs `fn` in a slot taken by the caller and settles through `resolve`/`reject` (one reaction). */
  const start = <T>(
    ctx: ExecContext,
    fn: Operation<T>,
    resolve: (v: T) => void,
    reject: (e: unknown) => void,
  ): void => {
    let r: T | PromiseLike<T>;
    try {
      r = fn(ctx);
    } catch (err) {
      next();
      reject(err);
      return;
    }
    if (r !== null && typeof r === 'object' && typeof (r as PromiseLike<T>).then === 'function') {
      (r as PromiseLike<T>).then(
        (v) => {
          next();
          resolve(v);
        },
        (e) => {
          next();
          reject(e);
        },
      );
    } else {
      next();
      resolve(r as T);
    }
  };

  const runNow = <T>(ctx: ExecContext, fn: Operation<T>): Promise<T> =>
    new Promise<T>((resolve, reject) => start(ctx, fn, resolve, reject));

  const cancel = (w: Waiter<never>, err: unknown) => {
    w.unhook();
    w.cancelled = true;
    queued--;
    w.reject(err);
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
      const w = new Waiter<T>(ctx, fn, resolve, reject, signal) as unknown as Waiter<never>;
      if (signal) {
        w.onAbort = () => cancel(w, abortedError(signal.reason));
        signal.addEventListener('abort', w.onAbort, { once: true });
      }
      queue.push(w);
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
      for (const w of waiting) if (w && !w.cancelled) cancel(w, err);
    },
    execute<T>(fn: Operation<T>, opts?: ExecuteOptions): Promise<T> {
      return executeRoot(policy, fn, opts);
    },
  };
  return policy;
}
