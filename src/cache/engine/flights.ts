import type { CacheResult, Factory, GetOrSetOptions } from './types.js';

/** One fill in progress; concurrent misses on its key share it. */
export interface Flight {
  promise: Promise<CacheResult<unknown>>;
  /** The tags its value will be written with (to detach it when one is invalidated). */
  tags: readonly string[] | undefined;
}

/** A refresh to start once the key's current fill is over. */
export interface PendingRefresh {
  factory: Factory<unknown>;
  options: GetOrSetOptions | undefined;
}

/** In-flight fills, one per key per process, and the refreshes queued behind them. */
export class Flights {
  private readonly inflight = new Map<string, Flight>();
  private readonly refreshAfter = new Map<string, PendingRefresh>();

  get(key: string): Flight | undefined {
    return this.inflight.get(key);
  }

  has(key: string): boolean {
    return this.inflight.has(key);
  }

  /** Registers `run()` as the key's fill; when it settles, the slot is freed and the queued refresh returned. */
  start(
    key: string,
    tags: readonly string[] | undefined,
    run: () => Promise<CacheResult<unknown>>,
    onDone: (next: PendingRefresh | undefined) => void,
  ): Flight {
    const flight: Flight = { promise: undefined as unknown as Promise<CacheResult<unknown>>, tags };
    flight.promise = run().finally(() => {
      if (this.inflight.get(key) === flight) this.inflight.delete(key);
      const next = this.refreshAfter.get(key);
      if (next) this.refreshAfter.delete(key);
      onDone(next);
    });
    this.inflight.set(key, flight);
    return flight;
  }

  /** Queues a refresh of `key` behind its current fill (which still occupies the single-flight slot). */
  refreshAfterCurrent(key: string, refresh: PendingRefresh): void {
    this.refreshAfter.set(key, refresh);
  }

  /**
   * An invalidation overtook these fills: later misses must start their own instead of joining one
   * that may bring back the old value. The detached fills still answer the callers they have.
   */
  detach(key: string): void {
    this.inflight.delete(key);
    this.refreshAfter.delete(key);
  }

  detachWhere(pred: (key: string, flight: Flight) => boolean): void {
    for (const [key, f] of this.inflight) if (pred(key, f)) this.detach(key);
  }

  clear(): void {
    this.inflight.clear();
  }
}
