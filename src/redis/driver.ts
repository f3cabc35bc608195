/**
 * The few Redis operations the cache and the change feed need, behind one seam with one file per
 * client library (`node-redis-driver.ts`, `ioredis-driver.ts`). Every command takes exactly one key
 * (but `mget`, which the drivers split by hash slot), which keeps the cache Redis Cluster safe without
 * hash tags: no command ever needs two keys of different slots.
 */
export interface RedisDriver {
  get(key: string): Promise<string | null>;
  /**
   * Plain reads of several keys in one round trip (MGET), answers in the order of `keys`. On a Cluster
   * the driver sends one MGET per hash slot. Optional: without it the cache sends one GET per key.
   */
  mget?(keys: string[]): Promise<(string | null)[]>;
  /** SET key value PX ttl. */
  set(key: string, value: string, ttlMs: number): Promise<void>;
  del(key: string): Promise<void>;
  incr(key: string): Promise<number>;
  /**
   * Tag counter for a write (atomic; one key): if `key` is missing, SET it to `initial`; make it live at
   * least `ttlMs` (PEXPIRE when its PTTL is shorter or unset). Returns its value.
   */
  touchCounter(key: string, initial: number, ttlMs: number): Promise<number>;
  /** Tag counter invalidation (atomic; one key): INCR if it exists, else SET `initial`; then as `touchCounter`. */
  bumpCounter(key: string, initial: number, ttlMs: number): Promise<number>;
  /**
   * A fill's first read (atomic; one key): GET `key`; when it is missing, SET it to `marker` PX `ttlMs`
   * and answer null.
   */
  getOrClaim(key: string, marker: string, ttlMs: number): Promise<string | null>;
  /**
   * A fill's write (atomic; one key): SET `key` `value` PX `ttlMs` only if `key` still holds a string of
   * `bytes` bytes that starts with `head`; true when written.
   */
  setIfUnchanged(key: string, head: string, bytes: number, value: string, ttlMs: number): Promise<boolean>;
  /** SET key value NX PX ttl; true when this call took the key. */
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>;
  /** Deletes `key` only if it still holds `value` (atomic; one key). */
  deleteIfEquals(key: string, value: string): Promise<void>;
  /**
   * Runs a Lua script on one key (EVAL with one KEYS entry) and returns its reply: for atomic
   * read-modify-write of callers' own (token buckets of the gateway's quotas).
   */
  evalOnKey?(script: string, key: string, args: readonly string[]): Promise<unknown>;
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
  /**
   * Whether the command connection is up now, as the client last saw it (no round trip): what
   * readiness probes report. Optional: drivers without it are judged by their failures.
   */
  connected?(): boolean;
  /** Closes connections this driver created (a client passed in by the caller is left open). */
  close(): Promise<void>;
}

/** Wraps one Redis round trip (e.g. in a timeout and a circuit breaker). */
export type RoundTrip = <T>(fn: () => Promise<T>) => Promise<T>;

/** The identity round trip, for callers that time nothing. */
export const directRoundTrip: RoundTrip = (fn) => fn();

/** Lua for `touchCounter` (KEYS[1]; ARGV initial, ttlMs). Values stay strings: Lua would print big numbers in exponent form. */
export const TOUCH_COUNTER_SCRIPT = `local v = redis.call('get', KEYS[1])
if not v then redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2]) return ARGV[1] end
if redis.call('pttl', KEYS[1]) < tonumber(ARGV[2]) then redis.call('pexpire', KEYS[1], ARGV[2]) end
return v`;

/** Lua for `bumpCounter` (KEYS[1]; ARGV initial, ttlMs). */
export const BUMP_COUNTER_SCRIPT = `if redis.call('exists', KEYS[1]) == 0 then
  redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2]) return ARGV[1] end
local n = redis.call('incr', KEYS[1])
if redis.call('pttl', KEYS[1]) < tonumber(ARGV[2]) then redis.call('pexpire', KEYS[1], ARGV[2]) end
return n`;

/** Lua for `getOrClaim` (KEYS[1]; ARGV marker, ttlMs); `false` is a nil reply. */
export const GET_OR_CLAIM_SCRIPT = `local v = redis.call('get', KEYS[1])
if v then return v end
redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2])
return false`;

/** Lua for `setIfUnchanged` (KEYS[1]; ARGV head, bytes, value, ttlMs): compares without copying the value. */
export const SET_IF_UNCHANGED_SCRIPT = `if redis.call('strlen', KEYS[1]) ~= tonumber(ARGV[2]) then return 0 end
if redis.call('getrange', KEYS[1], 0, string.len(ARGV[1]) - 1) ~= ARGV[1] then return 0 end
redis.call('set', KEYS[1], ARGV[3], 'PX', ARGV[4])
return 1`;

export interface SubscriptionHandlers {
  onMessage(message: string): void;
  onDown(): void;
  onUp(): void;
}
