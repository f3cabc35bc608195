/** How a timer relates to the process's lifetime. */
export interface TimerOptions {
  /**
   * True for a wait that a caller is awaiting (a retry backoff, `sleep`, a rate-limit wait): such a
   * timer holds the event loop, as a plain `setTimeout` would, so a script awaiting it is not ended
   * mid-wait. Default false: housekeeping and guard timers (deadlines, sweeps) never keep the process
   * alive.
   */
  keepAlive?: boolean;
}

/**
 * Time source and timers behind one seam, so tests can drive time by hand. Production timers keep
 * the process alive only when someone awaits them (`keepAlive`).
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /**
   * Schedules `fn` after `ms`. Without `options.keepAlive` the timer must not keep the process alive;
   * with it, it must (clocks that have no process to hold, like `ManualClock`, ignore it).
   */
  setTimeout(fn: () => void, ms: number, options?: TimerOptions): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** Opaque timer handle. */
export type TimerHandle = unknown;

// setTimeout overflows past 2^31-1 ms (24.8 days) and fires at once; clamp instead.
const MAX_TIMER_MS = 2_147_483_647;

/**
 * The real clock: Date.now, and timers that are unref'd unless awaited (`keepAlive`). Reads globals
 * at call time so fake timers apply.
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms, options) {
    const t = setTimeout(fn, Math.min(Math.max(0, ms), MAX_TIMER_MS));
    if (options?.keepAlive !== true) t.unref?.();
    return t;
  },
  clearTimeout(handle) {
    clearTimeout(handle as ReturnType<typeof setTimeout>);
  },
};

interface ManualTimer {
  id: number;
  at: number;
  fn: () => void;
}

/**
 * A clock that only moves when told to. `advance(ms)` runs due timers in order; `advanceAsync` also
 * lets promise callbacks settle between timers, which is what async policies need.
 */
export class ManualClock implements Clock {
  private time: number;
  private seq = 0;
  private timers: ManualTimer[] = [];

  constructor(start = 0) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer = { id: ++this.seq, at: this.time + Math.max(0, ms), fn };
    this.timers.push(timer);
    return timer.id;
  }

  clearTimeout(handle: TimerHandle): void {
    this.timers = this.timers.filter((t) => t.id !== handle);
  }

  /** Number of timers still scheduled. */
  pending(): number {
    return this.timers.length;
  }

  private fire(timer: ManualTimer): void {
    this.time = timer.at;
    this.timers = this.timers.filter((t) => t !== timer);
    timer.fn();
  }

  /** Moves time forward synchronously, firing due timers in time order. */
  advance(ms: number): void {
    const target = this.time + ms;
    for (;;) {
      const next = this.nextDue(target);
      if (!next) break;
      this.fire(next);
    }
    this.time = target;
  }

  /** Like `advance`, but yields to the microtask queue before and after each timer. */
  async advanceAsync(ms: number): Promise<void> {
    const target = this.time + ms;
    await flushMicrotasks();
    for (;;) {
      const next = this.nextDue(target);
      if (!next) break;
      this.fire(next);
      await flushMicrotasks();
    }
    this.time = target;
    await flushMicrotasks();
  }

  private nextDue(target: number): ManualTimer | undefined {
    let best: ManualTimer | undefined;
    for (const t of this.timers) {
      if (t.at <= target && (!best || t.at < best.at || (t.at === best.at && t.id < best.id))) best = t;
    }
    return best;
  }
}

async function flushMicrotasks(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}
