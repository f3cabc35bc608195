import type { Clock } from '../../core/index.js';
import { CacheClosedError, CacheFactoryTimeoutError } from '../errors.js';
import type { Factory, FactoryContext } from './types.js';

/**
 * Runs factories under their time limit, and owns everything a caller may be left waiting on (factory
 * timers, lock-poll delays, callers of a shared fill) so that `close()` can end all of it at once.
 */
export class FactoryRunner {
  private readonly waits = new Set<() => void>();
  /** Rejecters of callers waiting on a fill; `close()` calls them. */
  private readonly callers = new Set<() => void>();

  constructor(private readonly clock: Clock) {}

  /** Calls `factory`; past `timeoutMs` its signal aborts and the call rejects with `CacheFactoryTimeoutError`. */
  run(
    key: string,
    factory: Factory<unknown>,
    timeoutMs: number | undefined,
    background = false,
  ): Promise<unknown> {
    const ctx = new FactoryCall(key, background);
    if (timeoutMs === undefined) {
      return new Promise((resolve) => resolve(factory(ctx)));
    }
    return new Promise((resolve, reject) => {
      const fire = () => {
        this.waits.delete(cancel);
        const err = new CacheFactoryTimeoutError(timeoutMs);
        ctx.abort(err);
        reject(err);
      };
      const timer = this.clock.setTimeout(fire, timeoutMs);
      // close() cancels the timer so a closed cache leaves nothing scheduled.
      const cancel = () => {
        this.waits.delete(cancel);
        this.clock.clearTimeout(timer);
      };
      this.waits.add(cancel);
      new Promise((r) => r(factory(ctx))).then(
        (v) => {
          cancel();
          resolve(v);
        },
        (e) => {
          cancel();
          reject(e);
        },
      );
    });
  }

  /** Resolves after `ms`, or at once when the runner is closed. */
  delay(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        this.waits.delete(wake);
        this.clock.clearTimeout(timer);
        resolve();
      };
      const timer = this.clock.setTimeout(wake, ms);
      this.waits.add(wake);
    });
  }

  /** Settles like `p`, or rejects with `CacheClosedError` if the runner is closed first. */
  untilClosed<T>(p: Promise<T>): Promise<T> {
    // A Set of rejecters, not Promise.race against one long-lived promise (that leaks a reaction per call).
    return new Promise<T>((resolve, reject) => {
      const abort = () => {
        this.callers.delete(abort);
        reject(new CacheClosedError());
      };
      this.callers.add(abort);
      p.then(
        (v) => {
          this.callers.delete(abort);
          resolve(v);
        },
        (err) => {
          this.callers.delete(abort);
          reject(err);
        },
      );
    });
  }

  /** Rejects waiting callers with `CacheClosedError`, cancels factory timers and wakes delays. */
  close(): void {
    for (const abort of [...this.callers]) abort();
    for (const wake of [...this.waits]) wake();
  }
}

/**
 * A factory's context whose AbortController is made only when the factory reads `signal`: most
 * factories (the gateway's among them) never do, and the controller is the costliest part of a fill.
 */
class FactoryCall implements FactoryContext {
  private controller: AbortController | undefined = undefined;
  private aborted = false;
  private reason: unknown = undefined;

  constructor(
    readonly key: string,
    readonly background: boolean,
  ) {}

  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.aborted) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }

  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.controller?.abort(reason);
  }
}
