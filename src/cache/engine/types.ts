import type { Clock, Logger } from '../../core/index.js';
import type { BreakerOptions } from '../../resilience/index.js';
import type { IoredisClient, IoredisOptions, RedisDriver } from '../../redis/index.js';
import type { L1Options } from '../tiers/l1.js';

/** Where a value came from. */
export type CacheSource = 'l1' | 'l2' | 'factory';

/** A value with its provenance, from `getOrSetWithMeta`. */
export interface CacheResult<T> {
  value: T;
  source: CacheSource;
  /** True when served past its fresh TTL (stale-while-revalidate or stale-if-error). */
  stale: boolean;
}

/** Per-entry write options. */
export interface SetOptions {
  /** Fresh lifetime of the entry (L2 and L1). Default: the cache's `ttlMs`. */
  ttlMs?: number;
  /** Cap on the L1 copy's lifetime. Default: `l1.ttlMs`, else the entry's own lifetime. */
  l1TtlMs?: number;
  /** Tags for `invalidateTags`. */
  tags?: readonly string[];
  /** How long past `ttlMs` the entry is kept for stale-while-revalidate. */
  staleWhileRevalidateMs?: number;
  /** How long past `ttlMs` the entry is kept for stale-if-error. */
  staleIfErrorMs?: number;
}

/** What a factory receives. */
export interface FactoryContext {
  key: string;
  /** Aborts when `timeoutMs` elapses (the result is then not used). Made on first read. */
  readonly signal: AbortSignal;
  /**
   * No caller waits for this fill: a refresh behind a stale answer (stale-while-revalidate). Whoever
   * triggered it has been answered, so its cancellation must not end the refresh.
   */
  readonly background: boolean;
}

/** Options of `delete`, `invalidateTags` and `invalidatePattern`. */
export interface InvalidateOptions {
  /**
   * Reject with `CacheInvalidationError` when Redis (L2 or the bus) failed, so the change reached this
   * instance only: for callers that retry, such as webhooks. Default false (degrade silently).
   */
  strict?: boolean;
}

/** `getOrSet` options. */
export interface GetOrSetOptions extends SetOptions {
  /** Factory time limit; past it the caller gets stale-if-error or `CacheFactoryTimeoutError`. */
  timeoutMs?: number;
  /** Use the distributed lock for this call (default: the cache's `lock` setting). */
  lock?: boolean;
}

/** Distributed lock around the factory across instances (Redis SET NX PX). */
export interface LockOptions {
  /** Lock lifetime; should exceed the slowest factory. Default 10 000. */
  ttlMs?: number;
  /** Longest wait for another instance's result before calling the factory anyway. Default 3000. */
  waitMs?: number;
  /** How often a waiter re-reads L2. Default 20. */
  pollMs?: number;
}

/** L2 (Redis) options. */
export interface L2Options {
  /**
   * An ioredis `Redis` or `Cluster` you own (not closed by `close()`).
   *
   * Which client the cache builds: `url` alone (standalone Redis) gets node-redis v5, the faster L2 in
   * `bench/cache`; `redis` (an ioredis client) or `options` (ioredis options: Sentinel, db, TLS...)
   * gets ioredis; `driver` wins over all of them.
   */
  redis?: IoredisClient;
  /**
   * Or a URL (`redis://…`); the cache creates and owns the client: node-redis when neither `redis` nor
   * `options` is given (lazy connect, fail fast while down, reconnect forever with a 500 ms cap),
   * else ioredis. The password in it is never logged.
   */
  url?: string;
  /**
   * Or Redis Cluster seed URLs (`redis://host:port`, a few masters are enough); the cache creates and
   * owns an ioredis `Cluster`. Every command takes one key, so no hash tags are needed.
   */
  cluster?: readonly string[];
  /** ioredis options for a created client (Sentinel: `sentinels`, `name`); giving them selects ioredis. */
  options?: IoredisOptions;
  /** Or any driver (see `driver.ts`), e.g. node-redis behind the same seam. */
  driver?: RedisDriver;
  /** Default entry TTL when the cache-level `ttlMs` is not given. */
  ttlMs?: number;
  /** Per-call timeout. Default 250 ms. */
  timeoutMs?: number;
  /**
   * Options of the resilience circuit breaker around every Redis call. Default: opens after 5
   * consecutive failures, probes again after 1 s.
   */
  breaker?: Omit<BreakerOptions, 'clock' | 'logger'>;
}

/** `createCache` options. */
export interface CacheOptions {
  /** Namespace for every Redis key and the bus channel, e.g. `gw1:github`. Default `conduit`. */
  prefix?: string;
  /** Default fresh TTL. Default 60 000. */
  ttlMs?: number;
  /** Randomly shortens each TTL by up to this fraction (0..1) to spread expiries. Default 0. */
  jitter?: number;
  staleWhileRevalidateMs?: number;
  staleIfErrorMs?: number;
  /**
   * After a factory failure served stale, do not call that factory again for this long. Default 5000.
   * Shortened to the error's `retryAfterMs` when it has one (an open breaker's time to its next probe).
   */
  staleIfErrorThrottleMs?: number;
  /** Cache a factory's `undefined` ("not found") for this long; off when unset. */
  negativeTtlMs?: number;
  l1?: L1Options;
  l2?: L2Options;
  /** Cross-instance L1 invalidation over Redis pub/sub. Default true when L2 is set. */
  bus?: boolean;
  /** Distributed factory lock; off unless given (`true` for defaults). */
  lock?: boolean | LockOptions;
  /** Local cache lifetime of tag version counters. Default 1000. */
  tagVersionTtlMs?: number;
  /** Most tag version counters cached locally (LRU). Default 10 000. */
  maxTagVersions?: number;
  logger?: Logger;
  /**
   * Time source for TTLs. Default: the system clock read at most once per millisecond and every 64
   * reads (`coarseSystemClock`), so an entry may be served about 1 ms past its TTL.
   */
  clock?: Clock;
}

/** A value's producer, called on a miss. */
export type Factory<T> = (ctx: FactoryContext) => T | PromiseLike<T>;
