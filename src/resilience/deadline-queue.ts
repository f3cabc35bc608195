import type { Clock, TimerHandle } from '../core/index.js';

/** @internal A registered deadline; `cancel` it when the guarded work ends. */
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
 * empty. The timer is not cleared when the queue drains: it fires once more at the old deadline,
 * finds nothing due and stops — one timer per `timeoutMs` window instead of a setTimeout per call.
 * A deadline fires exactly when its clock timer fires (no coarser than the clock's own timers).
 * `dispose()` clears everything at once.
 * @internal
 */
export class DeadlineQueue {
  private items: DeadlineEntry[] = [];
  private head = 0;
  private live = 0;
  private timer: TimerHandle | undefined = undefined;
  private timerAt = Number.POSITIVE_INFINITY;

  constructor(private readonly clock: Clock) {}

  /** Number of deadlines not yet fired or cancelled. */
  get size(): number {
    return this.live;
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
      }
    } else if (items.length - this.head > 256 && this.live * 4 < items.length - this.head) this.compact();
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
    this.timer = this.clock.setTimeout(this.tick, at - this.clock.now());
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
