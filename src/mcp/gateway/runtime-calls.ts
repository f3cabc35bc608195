import type { ToolHandler } from './call-tracker.js';

/**
 * The calls running on one runtime (one config's tools and clients): a reload retires the old
 * runtime and closes its upstream clients only once these are done.
 */
export class RuntimeCalls {
  private count = 0;
  private waiters: (() => void)[] = [];

  /** Calls running on this runtime now. */
  get inFlight(): number {
    return this.count;
  }

  /** The handler, counted on this runtime. */
  track(handler: ToolHandler): ToolHandler {
    return async (args, ctx) => {
      this.count++;
      try {
        return await handler(args, ctx);
      } finally {
        if (--this.count === 0) this.wake();
      }
    };
  }

  /** Resolves once no call runs on this runtime (at once when none does). */
  idle(): Promise<void> {
    if (this.count === 0) return Promise.resolve();
    return new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  private wake(): void {
    const waiters = this.waiters.splice(0);
    for (const w of waiters) w();
  }
}
