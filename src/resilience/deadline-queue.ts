import type { Clock, TimerHandle } from '../core/index.js';

const KEEP_ALIVE = { keepAlive: true } as const;

/** A registered deadline; `cancel` it when the guarded work ends. */
export interface DeadlineEntry {
  at: number;
  done: boolean;
  /** Called once when the deadline passes (a method, so an entry object needs no closure). */
  fire(): void;
}

/**
 * Many deadlines behind ONE clock timer. Entries are kept in deadline order (a policy with a fixed
 * timeout appends in order, so this is a FIFO); the timer is armed for the earliest live deadline.
 * Cancelling is O(1) (a flag); cancelled heads are dropped at once so sequential calls keep the queue
 * empty. A deadline fires exactly when its clock timer fires (no coarser than the clock's own timers).
 *
 * The guarantee when the queue becomes empty (the last guarded call ended):
 * - it holds no entry any more (no call's context, promise or callback is referenced);
 * - its one timer may stay scheduled until the earliest deadline it was armed for (at most the
 *   policy's timeout after that call started); that timer never keeps the process alive (it is
 *   unref'd here even if a custom clock forgot) and references only this empty queue;
 * - when that timer fires it finds nothing due and does not re-arm: nothing is scheduled afterwards;
 * - `dispose()` clears it at once.
 * Clearing it eagerly on every drain would cost a clearTimeout + setTimeout per sequential call,
 * which is exactly the per-call timer this queue exists to avoid.
 */
export class DeadlineQueue {
  private items: DeadlineEntry[] = [];
  private head = 0;
  private live = 0;
  private timer: TimerHandle | undefined = undefined;
  private timerAt = Number.POSITIVE_INFINITY;

  /**
   * `keepAlive`: the timer holds the event loop (awaited waits, as a rate limiter's), and it is
   * cleared as soon as the queue empties, so a queue with nothing left to wait for never holds it.
   */
  constructor(
    private readonly clock: Clock,
    private readonly keepAlive = false,
  ) {}

  /** Number of deadlines not yet fired or cancelled. */
  get size(): number {
    return this.live;
  }

  /** True while the clock timer is scheduled (tests and diagnostics). */
  get timerScheduled(): boolean {
    return this.timer !== undefined;
  }

  /** Registers a deadline that calls `fire` when it passes. */
  add(at: number, fire: () => void): DeadlineEntry {
    return this.push({ at, fire, done: false });
  }

  /** Registers an entry object (its `at` and `fire()`); returns it. */
  push<E extends DeadlineEntry>(entry: E): E {
    const at = entry.at;
    const items = this.items;
    const n = items.length;
    if (n === this.head || items[n - 1]!.at <= at) items.push(entry);
    else this.insertSorted(entry);
    this.live++;
    if (at < this.timerAt) this.arm(at);
    return entry;
  }

  cancel(entry: DeadlineEntry): void {
    if (entry.done) return;
    entry.done = true;
    this.live--;
    const items = this.items;
    if (items[this.head] === entry) {
      let h = this.head + 1;
      while (h < items.length && items[h]!.done) h++;
      this.head = h;
      if (h === items.length) {
        items.length = 0;
        this.head = 0;
        if (this.keepAlive) this.disarm();
      }
    } else if (items.length - this.head > 256 && this.live * 4 < items.length - this.head) this.compact();
  }

  /** The live entries, in deadline order, taken out of the queue (not fired); the timer is cleared. */
  drain(): DeadlineEntry[] {
    const live = this.items.slice(this.head).filter((e) => !e.done);
    this.dispose();
    return live;
  }

  /** Cancels every deadline without firing it and clears the timer. */
  dispose(): void {
    for (let i = this.head; i < this.items.length; i++) this.items[i]!.done = true;
    this.items = [];
    this.head = 0;
    this.live = 0;
    this.disarm();
  }

  private insertSorted(entry: DeadlineEntry): void {
    // Only when the clock stepped backwards or deadlines vary: binary search from the head.
    const items = this.items;
    let lo = this.head;
    let hi = items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (items[mid]!.at <= entry.at) lo = mid + 1;
      else hi = mid;
    }
    items.splice(lo, 0, entry);
  }

  private compact(): void {
    this.items = this.items.slice(this.head).filter((e) => !e.done);
    this.head = 0;
  }

  private arm(at: number): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timerAt = at;
    if (this.keepAlive) {
      this.timer = this.clock.setTimeout(this.tick, at - this.clock.now(), KEEP_ALIVE);
      return;
    }
    const t = this.clock.setTimeout(this.tick, at - this.clock.now());
    // Belt and braces: the Clock contract says unref'd, but a custom clock may forget. Once per arm,
    // not per call.
    (t as { unref?: () => void } | undefined)?.unref?.();
    this.timer = t;
  }

  private disarm(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
  }

  private readonly tick = (): void => {
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
    const now = this.clock.now();
    // Re-read this.items each turn: a fired callback may add, cancel or dispose.
    while (this.head < this.items.length) {
      const e = this.items[this.head]!;
      if (e.done) {
        this.head++;
        continue;
      }
      if (e.at > now) break;
      e.done = true;
      this.live--;
      this.head++;
      e.fire();
    }
    if (this.head >= this.items.length) {
      this.items.length = 0;
      this.head = 0;
    } else if (this.timer === undefined) this.arm(this.items[this.head]!.at);
  };
}
