/** The states of a circuit breaker. 'isolated' is open by hand (`isolate()`) until `reset()`. */
export type BreakerState = 'closed' | 'open' | 'half-open' | 'isolated';

/**
 * The part of a breaker's state that instances share: which state it is in and when it may probe.
 * Failure counts stay per instance (they are hot-path data); transitions are what gets shared.
 */
export interface SharedBreakerState {
  state: BreakerState;
  /** Epoch ms of the last transition to open/isolated. */
  openedAt: number | undefined;
  /** Epoch ms from which an open breaker admits a probe. */
  nextAttemptAt: number | undefined;
  /** Reopens since the breaker last closed; drives the growing recovery timeout. */
  reopenCount: number;
  /** Increases on every transition; a store keeps the highest version. */
  version: number;
  /**
   * The writing breaker's `instanceId`. Breaks ties between two instances that reached the same
   * `version` independently: the record with the greater (version, writer) wins everywhere, so every
   * instance and the store converge on one record. Absent sorts before any writer.
   */
  writer?: string;
}

/**
 * Total order on records: true when `a` supersedes `b` (higher version, or the same version and a
 * greater writer id). Stores keep, and breakers adopt, only records that supersede what they hold.
 */
export function supersedes(a: SharedBreakerState, b: SharedBreakerState | undefined): boolean {
  if (b === undefined) return true;
  if (a.version !== b.version) return a.version > b.version;
  return (a.writer ?? '') > (b.writer ?? '');
}

/**
 * Where a breaker keeps its shared state. The breaker reads `get()` once at creation, writes every
 * transition with `set()` and adopts transitions made elsewhere through `subscribe()`. The hot path
 * never touches the store: a remote implementation (Redis: a hash plus pub/sub) keeps a local copy,
 * writes asynchronously and reports its own errors (a rejected `set` is logged, never thrown to callers;
 * a `set` that throws synchronously is treated the same way). A store keeps the record that
 * `supersedes` all others it saw (a compare-and-set on (version, writer)) and publishes what it keeps.
 */
export interface BreakerStateStore {
  get(): SharedBreakerState | undefined;
  set(record: SharedBreakerState): void | Promise<void>;
  subscribe(listener: (record: SharedBreakerState) => void): () => void;
}

/**
 * In-process store. One instance per breaker by default; pass the same instance to several
 * breakers to make them share state (what a Redis store does across processes).
 */
export class MemoryBreakerStateStore implements BreakerStateStore {
  private record: SharedBreakerState | undefined;
  private readonly listeners = new Set<(record: SharedBreakerState) => void>();

  get(): SharedBreakerState | undefined {
    return this.record;
  }

  set(record: SharedBreakerState): void {
    // A losing write still publishes the kept record, so its writer learns at once that it lost.
    if (supersedes(record, this.record)) this.record = { ...record };
    const kept = this.record!;
    for (const l of this.listeners) l(kept);
  }

  subscribe(listener: (record: SharedBreakerState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
