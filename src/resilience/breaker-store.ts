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
  /** Increases on every transition; a store keeps the highest version (last writer wins on ties). */
  version: number;
}

/**
 * Where a breaker keeps its shared state. The breaker reads `get()` once at creation, writes every
 * transition with `set()` and adopts transitions made elsewhere through `subscribe()`. The hot path
 * never touches the store: a remote implementation (Redis: a hash plus pub/sub) keeps a local copy,
 * writes asynchronously and reports its own errors (a rejected `set` is logged, never thrown to callers).
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
    if (this.record && record.version < this.record.version) return;
    this.record = { ...record };
    for (const l of this.listeners) l(this.record);
  }

  subscribe(listener: (record: SharedBreakerState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
