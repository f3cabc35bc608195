import { type Logger, noopLogger, errorForLog } from '../core/index.js';
import {
  type BreakerState,
  type BreakerStateStore,
  type SharedBreakerState,
  supersedes,
} from './breaker-store.js';

/** The Redis commands the store needs (an ioredis `Redis` or `Cluster` satisfies it). */
export interface BreakerRedisClient {
  get(key: string): Promise<string | null>;
  set(key: string, value: string): Promise<unknown>;
  publish(channel: string, message: string): Promise<unknown>;
}

/** A connection in subscriber mode (ioredis: `client.duplicate()`); it can run nothing else. */
export interface BreakerRedisSubscriber {
  subscribe(channel: string): Promise<unknown>;
  on(event: 'message', listener: (channel: string, message: string) => void): unknown;
  removeListener(event: 'message', listener: (channel: string, message: string) => void): unknown;
}

/** Options of {@link RedisBreakerStateStore}. */
export interface RedisBreakerStateStoreOptions {
  /** Commands connection (not closed by the store). */
  redis: BreakerRedisClient;
  /** A separate connection for pub/sub (not closed by the store). */
  subscriber: BreakerRedisSubscriber;
  /** Redis key of this breaker's state, e.g. `conduit:breaker:payments`; `<key>:changes` is the channel. */
  key: string;
  logger?: Logger;
}

const STATES: readonly BreakerState[] = ['closed', 'open', 'half-open', 'isolated'];

function parse(text: string): SharedBreakerState | undefined {
  try {
    const r = JSON.parse(text) as Partial<SharedBreakerState>;
    if (!STATES.includes(r.state as BreakerState) || !Number.isSafeInteger(r.version)) return undefined;
    return {
      state: r.state as BreakerState,
      openedAt: typeof r.openedAt === 'number' ? r.openedAt : undefined,
      nextAttemptAt: typeof r.nextAttemptAt === 'number' ? r.nextAttemptAt : undefined,
      reopenCount: Number.isSafeInteger(r.reopenCount) ? (r.reopenCount as number) : 0,
      version: r.version as number,
      ...(typeof r.writer === 'string' ? { writer: r.writer } : {}),
    };
  } catch {
    return undefined;
  }
}

/**
 * Shares a circuit breaker's transitions between processes through Redis, so one instance's view of
 * a dead upstream protects the others: the state is a JSON value at `key` (read once by `ready()`),
 * and every transition is written there and published on `<key>:changes`. The breaker's hot path
 * only reads the local copy. Redis errors are logged and never reach callers: without Redis each
 * breaker simply judges on its own traffic. Concurrent writers: every store keeps and adopts only a
 * record that `supersedes` what it holds ((version, writer) order), so instances converge on the same
 * record through the channel; the key itself is a plain last-write `SET` (single key, Cluster safe),
 * so a breaker created during a write race may start from the losing record until the next transition.
 */
export class RedisBreakerStateStore implements BreakerStateStore {
  private record: SharedBreakerState | undefined;
  private readonly listeners = new Set<(record: SharedBreakerState) => void>();
  private readonly channel: string;
  private readonly logger: Logger;
  private readonly onMessage = (channel: string, message: string): void => {
    if (channel !== this.channel) return;
    const r = parse(message);
    if (!r) {
      this.logger.warn({ key: this.options.key }, 'breaker store: ignoring a malformed state message');
      return;
    }
    this.adopt(r);
  };
  private closed = false;
  private up = true;

  constructor(private readonly options: RedisBreakerStateStoreOptions) {
    this.channel = `${options.key}:changes`;
    this.logger = options.logger ?? noopLogger;
    options.subscriber.on('message', this.onMessage);
  }

  /** Subscribes and loads the current state; resolves even when Redis is unreachable (logged once). */
  ready(): Promise<void> {
    return this.resync();
  }

  /**
   * Subscribes again and re-reads the key, adopting what superseded the local copy meanwhile. Call it
   * when the subscriber connection is back after a drop: messages published during the gap were lost.
   * Never rejects; a failure is logged once per outage.
   */
  async resync(): Promise<void> {
    if (this.closed) return;
    try {
      await this.options.subscriber.subscribe(this.channel);
      const text = await this.options.redis.get(this.options.key);
      this.markUp();
      const r = text === null ? undefined : parse(text);
      if (r) this.adopt(r);
    } catch (err) {
      this.markDown(err);
    }
  }

  get(): SharedBreakerState | undefined {
    return this.record;
  }

  async set(record: SharedBreakerState): Promise<void> {
    if (!supersedes(record, this.record)) {
      // A losing write: tell the writer at once which record won, as the store contract asks.
      const kept = this.record!;
      for (const l of this.listeners) l(kept);
      return;
    }
    this.record = { ...record };
    if (this.closed) return;
    const text = JSON.stringify(record);
    try {
      await this.options.redis.set(this.options.key, text);
      await this.options.redis.publish(this.channel, text);
      this.markUp();
    } catch (err) {
      this.markDown(err);
    }
  }

  subscribe(listener: (record: SharedBreakerState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Stops listening; the Redis connections stay open (they are the caller's). */
  close(): void {
    this.closed = true;
    this.options.subscriber.removeListener('message', this.onMessage);
    this.listeners.clear();
  }

  // One warn line per outage and one info line when Redis answers again: a flapping upstream during
  // an outage would otherwise log every transition's failed write.
  private markDown(err: unknown): void {
    if (!this.up) return;
    this.up = false;
    this.logger.warn(
      { err: errorForLog(err), key: this.options.key },
      'breaker store: Redis unavailable; this breaker judges on local traffic until it is back',
    );
  }

  private markUp(): void {
    if (this.up) return;
    this.up = true;
    this.logger.info({ key: this.options.key }, 'breaker store: Redis available again');
  }

  private adopt(r: SharedBreakerState): void {
    if (!supersedes(r, this.record)) return;
    this.record = r;
    for (const l of this.listeners) l(r);
  }
}
