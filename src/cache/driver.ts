/**
 * The few Redis operations the cache needs, behind one seam so the client library is one file
 * (`ioredis-driver.ts`). Every command takes exactly one key, which keeps the cache Redis Cluster
 * safe without hash tags: no command ever needs two keys in one slot.
 */
export interface RedisDriver {
  get(key: string): Promise<string | null>;
  /** SET key value PX ttl. */
  set(key: string, value: string, ttlMs: number): Promise<void>;
  del(key: string): Promise<void>;
  incr(key: string): Promise<number>;
  /** SET key value NX PX ttl; true when this call took the key. */
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>;
  /** Deletes `key` only if it still holds `value` (atomic; one key). */
  deleteIfEquals(key: string, value: string): Promise<void>;
  /**
   * SCAN MATCH glob COUNT count over every master, calling `onKeys` per batch (never KEYS). Each SCAN
   * round trip runs inside `roundTrip` (the L2 layer's timeout and breaker); when it or `onKeys`
   * throws, the loop stops and the error propagates.
   */
  scan(
    match: string,
    count: number,
    onKeys: (keys: string[]) => Promise<void>,
    roundTrip?: RoundTrip,
  ): Promise<void>;
  publish(channel: string, message: string): Promise<void>;
  /**
   * Subscribes on a dedicated connection. `onDown` fires when that connection drops (messages may be
   * lost from then on); `onUp` fires once it is subscribed again.
   */
  subscribe(channel: string, handlers: SubscriptionHandlers): Promise<void>;
  /** Closes connections this driver created (a client passed in by the caller is left open). */
  close(): Promise<void>;
}

/** Wraps one Redis round trip (e.g. in a timeout and a circuit breaker). */
export type RoundTrip = <T>(fn: () => Promise<T>) => Promise<T>;

/** The identity round trip, for callers that time nothing. */
export const directRoundTrip: RoundTrip = (fn) => fn();

export interface SubscriptionHandlers {
  onMessage(message: string): void;
  onDown(): void;
  onUp(): void;
}
