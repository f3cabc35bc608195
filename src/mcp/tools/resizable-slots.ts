import { BulkheadRejectedError } from '../../resilience/index.js';
import { AbortedError } from '../../core/index.js';

/**
 * Up to `max` calls at once, up to `maxQueue` more waiting in FIFO order, the rest refused
 * (`BULKHEAD_REJECTED`); both bounds may change while calls run (a reload), and calls already
 * running count against the new ones. A waiting call whose signal aborts leaves the queue.
 */
export class ResizableSlots {
  private running = 0;
  /** Insertion-ordered: the first entry is the longest waiting; deleting one is O(1). */
  private readonly waiting = new Set<() => void>();

  constructor(
    private max: number,
    private maxQueue: number,
  ) {}

  /** Calls running now. */
  get inUse(): number {
    return this.running;
  }

  /** Calls waiting for a slot. */
  get queued(): number {
    return this.waiting.size;
  }

  /** New bounds: waiting calls start as far as the new `max` allows. */
  resize(max: number, maxQueue: number): void {
    this.max = max;
    this.maxQueue = maxQueue;
    this.admit();
  }

  async run<T>(fn: () => Promise<T>, signal: AbortSignal): Promise<T> {
    if (!this.tryEnter()) await this.wait(signal);
    try {
      return await fn();
    } finally {
      this.leave();
    }
  }

  /** Takes a slot when one is free and no call waits for one; false otherwise (`run` would queue). */
  tryEnter(): boolean {
    if (this.running >= this.max || this.waiting.size > 0) return false;
    this.running++;
    return true;
  }

  /** Gives back a slot (taken by `tryEnter`), starting the longest waiting call if one may start. */
  leave(): void {
    this.running--;
    this.admit();
  }

  /** Refuses every waiting call (shutdown); running calls finish. */
  dispose(): void {
    this.maxQueue = 0;
    this.max = 0;
    for (const start of [...this.waiting]) start();
  }

  private wait(signal: AbortSignal): Promise<void> {
    if (this.waiting.size >= this.maxQueue)
      return Promise.reject(new BulkheadRejectedError(this.max, this.maxQueue));
    if (signal.aborted) return Promise.reject(aborted(signal.reason));
    return new Promise<void>((resolve, reject) => {
      const start = () => {
        this.waiting.delete(start);
        signal.removeEventListener('abort', onAbort);
        if (this.max === 0) return reject(new AbortedError('the gateway is shutting down'));
        this.running++;
        resolve();
      };
      const onAbort = () => {
        this.waiting.delete(start);
        reject(aborted(signal.reason));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiting.add(start);
    });
  }

  private admit(): void {
    while (this.running < this.max && this.waiting.size > 0) this.waiting.values().next().value!();
  }
}

function aborted(reason: unknown): AbortedError {
  return reason instanceof AbortedError
    ? reason
    : new AbortedError('The operation was aborted by its caller', { cause: reason, explained: false });
}
