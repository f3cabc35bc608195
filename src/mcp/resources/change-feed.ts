import { ConfigError } from '../../core/index.js';

/**
 * One resource that changed: `uri` is the MCP resource URI (e.g. `assignments://42`), `event` what
 * happened (e.g. a webhook event type), `source` who noticed (e.g. `webhook:github`), `at` epoch ms;
 * `traceparent` the span that caused it (a webhook delivery), when traces are on, so the notification
 * on every instance links to it.
 */
export type ResourceChange = {
  uri: string;
  event?: string;
  source: string;
  at: number;
  traceparent?: string;
};

/**
 * Where the gateway hears that resources changed. Webhooks (or anything else) `publish`; the resource
 * layer `subscribe`s to notify MCP clients; the `recent_changes` tool pages through `since`.
 * A Redis-backed feed also carries changes between gateway instances.
 */
export interface ChangeFeed {
  /** Records the change and delivers it to every listener (and, Redis-backed, to other instances). */
  publish(change: ResourceChange): Promise<void>;
  /** Calls `listener` for every change from now on; returns the unsubscribe function. */
  subscribe(listener: (c: ResourceChange) => void): () => void;
  /**
   * Changes recorded after `cursor` (all retained ones when undefined), oldest first, at most `limit`;
   * `cursor` in the answer is where the next call continues. Only the most recent changes are kept.
   */
  since(cursor: string | undefined, limit: number): { changes: ResourceChange[]; cursor: string };
  /** Stops delivery and releases connections. Idempotent. */
  close(): Promise<void>;
}

/** Options of {@link createMemoryChangeFeed}. */
export interface MemoryChangeFeedOptions {
  /** How many recent changes `since` can return (ring buffer size). Default 1000. */
  capacity?: number;
}

/**
 * The local half of every feed: a bounded ring of recent changes with sequence numbers and a set of
 * listeners. The Redis feed reuses it to record changes arriving from other instances.
 */
export class ChangeLog {
  private readonly ring: (ResourceChange | undefined)[];
  private readonly capacity: number;
  /** Sequence number of the next change; the change with seq `s` sits at `ring[s % capacity]`. */
  private next = 0;
  private readonly listeners = new Set<(c: ResourceChange) => void>();
  private readonly onListenerError: (err: unknown) => void;

  constructor(capacity: number, onListenerError: (err: unknown) => void = () => {}) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new ConfigError(`change feed capacity must be a positive integer, got ${capacity}`);
    this.capacity = capacity;
    this.ring = new Array(capacity);
    this.onListenerError = onListenerError;
  }

  /** Records a change and calls every listener (a throwing listener does not stop the others). */
  record(change: ResourceChange): void {
    this.ring[this.next % this.capacity] = change;
    this.next++;
    for (const l of this.listeners) {
      try {
        l(change);
      } catch (err) {
        this.onListenerError(err);
      }
    }
  }

  subscribe(listener: (c: ResourceChange) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  since(cursor: string | undefined, limit: number): { changes: ResourceChange[]; cursor: string } {
    const oldest = Math.max(0, this.next - this.capacity);
    let from = oldest;
    if (cursor !== undefined && cursor !== '') {
      const n = Number(cursor);
      // A cursor from before a restart (or garbage) restarts at the oldest retained change.
      if (Number.isSafeInteger(n) && n >= 0 && n <= this.next) from = Math.max(n, oldest);
    }
    const max = Math.max(0, Math.floor(limit));
    const end = Math.min(this.next, from + max);
    const changes: ResourceChange[] = [];
    for (let s = from; s < end; s++) changes.push(this.ring[s % this.capacity] as ResourceChange);
    return { changes, cursor: String(end) };
  }

  clear(): void {
    this.listeners.clear();
  }
}

/** A change feed for one process: changes reach this instance's listeners only. */
export function createMemoryChangeFeed(options: MemoryChangeFeedOptions = {}): ChangeFeed {
  const log = new ChangeLog(options.capacity ?? 1000);
  let closed = false;
  return {
    async publish(change) {
      if (!closed) log.record(change);
    },
    subscribe: (listener) => log.subscribe(listener),
    since: (cursor, limit) => log.since(cursor, limit),
    async close() {
      closed = true;
      log.clear();
    },
  };
}
