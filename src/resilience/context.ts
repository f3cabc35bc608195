import { AbortedError } from '../core/index.js';

/** What a policy passes to the operation it runs. */
export interface PolicyContext {
  /** Aborts when the caller aborts or the enclosing timeout fires. Created lazily on first read. */
  readonly signal: AbortSignal;
  /** 1 for the first try, 2 for the first retry, … */
  readonly attempt: number;
}

/** Options of every `execute` call. */
export interface ExecuteOptions {
  /** Aborting it rejects the call with `AbortedError` at once and stops any pending retry wait. */
  signal?: AbortSignal | undefined;
  /**
   * A second signal that aborts the call like `signal`: one shared by many calls (a shutdown, say).
   * The two are joined into one signal only if a policy waits or the operation reads `ctx.signal`,
   * so a call that does neither makes no signal of its own.
   */
  stopSignal?: AbortSignal | undefined;
  /**
   * True when the operation itself settles promptly once `signal` aborts (it listens to the signal,
   * or is cancelled by whatever aborts it): `execute` then skips its own race against the signal,
   * one listener and one promise less per call. Waits inside the policies (retry backoff, bulkhead
   * queue, rate-limit wait) still end at the abort. Default false.
   */
  operationSettlesOnAbort?: boolean | undefined;
}

/** An operation run by a policy. */
export type Operation<T> = (ctx: PolicyContext) => T | PromiseLike<T>;

/** Anything that runs an operation under some rule; every policy and `wrap(...)` is one. */
export interface Policy {
  execute<T>(fn: Operation<T>, options?: ExecuteOptions): Promise<T>;
}

// Never aborts: its controller is dropped at once. Handed out when nothing can abort a call.
const NEVER: AbortSignal = new AbortController().signal;

/**
 * The context object threaded through composed policies. The AbortController is created only when
 * the operation reads `signal` (most operations never do), which keeps the hot path free of it.
 * @internal
 */
export class ExecContext implements PolicyContext {
  private controller: AbortController | undefined = undefined;
  private reason: unknown = undefined;
  private aborted = false;
  private unlink: (() => void) | undefined = undefined;
  private released = false;

  constructor(
    readonly parent: ExecContext | undefined,
    /** 0 means "same as the parent's". */
    private attemptNo: number,
    /** The caller's signal; only the root context has one. */
    readonly callerSignal: AbortSignal | undefined,
    /** True for contexts that can abort on their own (a timeout's), and for a root with a stop signal. */
    private readonly owns: boolean,
    /** A root's second signal (`ExecuteOptions.stopSignal`). */
    readonly stopSignal: AbortSignal | undefined = undefined,
  ) {}

  get attempt(): number {
    return this.attemptNo !== 0 ? this.attemptNo : this.parent ? this.parent.attempt : 1;
  }

  /** @internal retry sets the attempt number on its own context. */
  setAttempt(n: number): void {
    this.attemptNo = n;
  }

  get signal(): AbortSignal {
    if (!this.owns) return this.parent ? this.parent.signal : (this.callerSignal ?? NEVER);
    if (this.controller) return this.controller.signal;
    const c = new AbortController();
    this.controller = c;
    if (this.aborted) {
      c.abort(this.reason);
      return c.signal;
    }
    if (this.parent === undefined) {
      this.joinRoot(c);
      return c.signal;
    }
    const ps = this.parent.signal;
    if (ps.aborted) c.abort(ps.reason);
    // After release the scope is over: no listener that nobody would remove.
    else if (ps !== NEVER && !this.released) {
      const on = () => c.abort(ps.reason);
      ps.addEventListener('abort', on, { once: true });
      this.unlink = () => ps.removeEventListener('abort', on);
    }
    return c.signal;
  }

  /**
   * The signal to listen on while waiting (retry backoff, bulkhead queue), or undefined when nothing
   * can abort this call — so waiters never pile listeners onto the shared never-aborting signal.
   */
  waitSignal(): AbortSignal | undefined {
    if (this.owns) return this.signal;
    return this.parent ? this.parent.waitSignal() : this.callerSignal;
  }

  /** True once this context or any ancestor (or the caller's signal) has aborted. */
  isAborted(): boolean {
    if (this.aborted) return true;
    if (this.parent) return this.parent.isAborted();
    return (this.callerSignal?.aborted ?? false) || (this.stopSignal?.aborted ?? false);
  }

  /** The reason of the nearest abort, for errors. */
  abortReason(): unknown {
    if (this.aborted) return this.reason;
    if (this.parent) return this.parent.abortReason();
    if (this.callerSignal?.aborted !== true && this.stopSignal?.aborted === true)
      return this.stopSignal.reason;
    return this.callerSignal?.reason;
  }

  /** Aborts this context (and the signal, if it was handed out). Idempotent. */
  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.release();
    this.controller?.abort(reason);
  }

  /** Drops the listener on the parent signal; called when the scope ends. */
  release(): void {
    this.released = true;
    if (this.unlink) {
      this.unlink();
      this.unlink = undefined;
    }
  }

  /** A root's joined signal: `c` aborts with the caller's signal or the stop signal, whichever first. */
  private joinRoot(c: AbortController): void {
    const a = this.callerSignal;
    const b = this.stopSignal;
    if (a?.aborted) c.abort(a.reason);
    else if (b?.aborted) c.abort(b.reason);
    if (c.signal.aborted || this.released) return;
    const onA = () => c.abort(a!.reason);
    const onB = () => c.abort(b!.reason);
    a?.addEventListener('abort', onA, { once: true });
    b?.addEventListener('abort', onB, { once: true });
    this.unlink = () => {
      a?.removeEventListener('abort', onA);
      b?.removeEventListener('abort', onB);
    };
  }
}

/** Shared root for calls without a caller signal: nothing about it varies, so one instance serves all. */
export const ROOT_CONTEXT = new ExecContext(undefined, 1, undefined, false);

/** The internal entry every policy implements; `wrap` chains them without re-creating contexts. */
export const RUN: unique symbol = Symbol('conduit.resilience.run');

/** @internal A policy that can run inside a composed chain. */
export interface ComposablePolicy extends Policy {
  [RUN]<T>(ctx: ExecContext, fn: Operation<T>): Promise<T>;
}

/** Makes the error for a call aborted by the caller. */
export function abortedError(reason: unknown): AbortedError {
  if (reason instanceof AbortedError) return reason;
  return new AbortedError('The operation was aborted by its caller', { cause: reason, explained: false });
}

/**
 * The public `execute` of every policy: the shared root when there is no signal, else a root that
 * carries it and a race so the caller's abort rejects at once even if the operation ignores it
 * (no race when the caller says the operation settles on the abort by itself).
 */
export function executeRoot<T>(
  policy: ComposablePolicy,
  fn: Operation<T>,
  options?: ExecuteOptions,
): Promise<T> {
  const signal = options?.signal;
  const stop = options?.stopSignal;
  if (stop !== undefined) return executeWithStop(policy, fn, signal, stop, options?.operationSettlesOnAbort);
  if (!signal) return policy[RUN](ROOT_CONTEXT, fn);
  if (signal.aborted) return Promise.reject(abortedError(signal.reason));
  const ctx = new ExecContext(undefined, 1, signal, false);
  if (options?.operationSettlesOnAbort === true) return policy[RUN](ctx, fn);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortedError(signal.reason));
    signal.addEventListener('abort', onAbort, { once: true });
    policy[RUN](ctx, fn).then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

/** `executeRoot` with a stop signal beside the caller's (see `ExecuteOptions.stopSignal`). */
function executeWithStop<T>(
  policy: ComposablePolicy,
  fn: Operation<T>,
  signal: AbortSignal | undefined,
  stop: AbortSignal,
  settlesOnAbort: boolean | undefined,
): Promise<T> {
  if (signal?.aborted) return Promise.reject(abortedError(signal.reason));
  if (stop.aborted) return Promise.reject(abortedError(stop.reason));
  const ctx = new ExecContext(undefined, 1, signal, true, stop);
  // A joined signal, if a wait or the operation made one, listens on the long-lived stop signal.
  const run = policy[RUN](ctx, fn).finally(() => ctx.release());
  if (settlesOnAbort === true) return run;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortedError(signal?.aborted ? signal.reason : stop.reason));
    signal?.addEventListener('abort', onAbort, { once: true });
    stop.addEventListener('abort', onAbort, { once: true });
    const unlink = () => {
      signal?.removeEventListener('abort', onAbort);
      stop.removeEventListener('abort', onAbort);
    };
    run.then(
      (v) => {
        unlink();
        resolve(v);
      },
      (e) => {
        unlink();
        reject(e);
      },
    );
  });
}

/** Calls `fn` and always returns a promise, turning a synchronous throw into a rejection. */
export function invoke<T>(fn: Operation<T>, ctx: PolicyContext): Promise<T> {
  try {
    return Promise.resolve(fn(ctx));
  } catch (err) {
    return Promise.reject(err);
  }
}
