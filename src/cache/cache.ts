import { randomUUID } from 'node:crypto';
import { type Clock, ConfigError, type Logger, noopLogger, systemClock } from '../core/index.js';
import type { Bus, BusMessage } from './bus.js';
import type { RedisDriver } from '../redis/index.js';
import { encodeEnvelope, type StoredEntry } from './envelope.js';
import {
  CacheClosedError,
  CacheFactoryTimeoutError,
  CacheInvalidationError,
  CacheValueError,
} from './errors.js';
import { type CacheEventName, type CacheEvents, Emitter } from './events.js';
import { L1, L1Entry, type L1Options } from './l1.js';
import type { BreakerOptions } from '../resilience/index.js';
import type { L2 } from './l2.js';
import { type CacheStats, Counters, type L2State } from './stats.js';
import { COUNTER_MARGIN_MS, TagVersions } from './tags.js';

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
  /** Aborts when `timeoutMs` elapses (the result is then not used). */
  signal: AbortSignal;
}

/** `getOrSet` options. */
/** Options of `delete`, `invalidateTags` and `invalidatePattern`. */
export interface InvalidateOptions {
  /**
   * Reject with `CacheInvalidationError` when Redis (L2 or the bus) failed, so the change reached this
   * instance only: for callers that retry, such as webhooks. Default false (degrade silently).
   */
  strict?: boolean;
}

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
  redis?: import('ioredis').Redis | import('ioredis').Cluster;
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
  options?: import('ioredis').RedisOptions;
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
  clock?: Clock;
}

type Factory<T> = (ctx: FactoryContext) => T | PromiseLike<T>;

interface Flight {
  promise: Promise<CacheResult<unknown>>;
}

const RESOLVED_UNDEFINED = Promise.resolve(undefined);

/**
 * The tiered cache. See `createCache`.
 */
export class TieredCache {
  private readonly l1: L1;
  private readonly l2: L2 | undefined;
  private readonly tags: TagVersions;
  private readonly counters = new Counters();
  private readonly emitter = new Emitter();
  private readonly inflight = new Map<string, Flight>();
  private readonly refreshAfter = new Map<
    string,
    { factory: Factory<unknown>; options: GetOrSetOptions | undefined }
  >();
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly instanceId = randomUUID();
  private readonly ttlMs: number;
  private readonly l1TtlMs: number | undefined;
  private readonly jitter: number;
  private readonly swrMs: number;
  private readonly sieMs: number;
  private readonly throttleMs: number;
  private readonly negativeTtlMs: number | undefined;
  private readonly lock: Required<LockOptions> | undefined;
  private l2State: L2State;
  private busDown = false;
  /**
   * L2 reads in progress per key. A peer invalidation that lands while a read is in flight marks it
   * dirty, and a dirty read does not back-fill L1: it may carry the value the peer just replaced
   * (read from L2 before the peer's write, delivered after the peer's message).
   */
  private readonly reading = new Map<string, { dirty: boolean; n: number }>();
  private closed = false;
  /** `invalidateTags` fell back to L1-only and said so; reset when L2 is back up. */
  private tagsLocalOnlyLogged = false;
  private lockSeq = 0;
  private readonly waits = new Set<() => void>();
  /** Rejecters of callers waiting on a flight; `close()` calls them. */
  private readonly callers = new Set<() => void>();
  private readonly onClose: (() => Promise<void>)[] = [];

  constructor(options: CacheOptions, l2Factory?: (o: CacheOptions, c: TieredCache) => L2 | undefined) {
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? noopLogger;
    this.ttlMs = positive('ttlMs', options.ttlMs ?? options.l2?.ttlMs ?? 60_000);
    this.l1TtlMs = options.l1?.ttlMs === undefined ? undefined : positive('l1.ttlMs', options.l1.ttlMs);
    this.jitter = options.jitter ?? 0;
    if (!(this.jitter >= 0 && this.jitter < 1))
      throw new ConfigError(`jitter must be in [0, 1); got ${this.jitter}`);
    this.swrMs = nonNegative('staleWhileRevalidateMs', options.staleWhileRevalidateMs ?? 0);
    this.sieMs = nonNegative('staleIfErrorMs', options.staleIfErrorMs ?? 0);
    this.throttleMs = nonNegative('staleIfErrorThrottleMs', options.staleIfErrorThrottleMs ?? 5000);
    this.negativeTtlMs =
      options.negativeTtlMs === undefined ? undefined : positive('negativeTtlMs', options.negativeTtlMs);
    this.l1 = new L1(options.l1);
    this.l2 = l2Factory?.(options, this);
    this.l2State = this.l2 ? 'up' : 'disabled';
    this.tags = new TagVersions(
      this.l2,
      nonNegative('tagVersionTtlMs', options.tagVersionTtlMs ?? 1000),
      // A counter created by an invalidation lives as long as a default entry; tagged writes extend it.
      this.ttlMs + Math.max(this.swrMs, this.sieMs) + COUNTER_MARGIN_MS,
      options.maxTagVersions ?? 10_000,
    );
    const lock = options.lock;
    this.lock =
      lock && this.l2
        ? {
            ttlMs: (lock !== true && lock.ttlMs) || 10_000,
            waitMs: (lock !== true && lock.waitMs) || 3000,
            pollMs: (lock !== true && lock.pollMs) || 20,
          }
        : undefined;
  }

  // ---- wiring used by createCache ----------------------------------------------------------------

  /** @internal The breaker reported a state change. Logged once per change, not per call. */
  setL2State(state: 'up' | 'down'): void {
    if (this.l2State === state || this.l2State === 'disabled') return;
    this.l2State = state;
    if (state === 'up') this.tagsLocalOnlyLogged = false;
    if (state === 'down') {
      this.logger.warn(
        { prefix: this.l2?.channel },
        'cache: Redis L2 unavailable; serving from L1 and factories',
      );
    } else {
      this.logger.info({ prefix: this.l2?.channel }, 'cache: Redis L2 available again');
    }
    this.emitter.emit('l2State', { state });
  }

  private readyPromise: Promise<void> = Promise.resolve();

  /** @internal */
  setReady(p: Promise<void>): void {
    this.readyPromise = p;
  }

  /**
   * Resolves once the invalidation bus is subscribed (at once without L2 or bus). Never rejects: when
   * Redis is down at start it resolves and the cache runs on L1 + factories until Redis comes back.
   */
  ready(): Promise<void> {
    return this.readyPromise;
  }

  /** @internal */
  addCloseHook(fn: () => Promise<void>): void {
    this.onClose.push(fn);
  }

  /** @internal A peer's bus message (own echoes are skipped by the bus). */
  onBusMessage(m: BusMessage): void {
    this.counters.busReceived++;
    if (m.t === 'del' || m.t === 'set') {
      this.dirtyRead(m.k);
    } else {
      this.dirtyAllReads();
    }
    switch (m.t) {
      case 'del':
      case 'set':
        this.l1.delete(m.k);
        break;
      case 'tags': {
        const now = this.clock.now();
        for (const tag in m.v) this.tags.learn(tag, m.v[tag]!, now);
        break;
      }
      case 'pattern':
        this.l1.deletePattern(m.p);
        break;
      case 'clear':
        this.l1.clear();
        break;
    }
    if (this.emitter.has('busMessage')) this.emitter.emit('busMessage', { type: m.t });
  }

  /** @internal The subscription dropped: messages may be missed from now on. */
  onBusDown(): void {
    if (this.busDown) return;
    this.busDown = true;
    this.counters.busGaps++;
    this.logger.warn({}, 'cache: invalidation bus disconnected; L1 will be cleared when it is back');
    this.emitter.emit('busGap', { phase: 'down' });
  }

  /**
   * @internal Subscribed again. Pub/sub is at-most-once, so anything published during the gap is lost:
   * drop all of L1 and the cached tag counters rather than serve what a peer may have invalidated.
   */
  onBusUp(): void {
    if (!this.busDown) return;
    this.busDown = false;
    this.dirtyAllReads();
    this.l1.clear();
    this.tags.forget();
    this.logger.info({}, 'cache: invalidation bus reconnected; L1 cleared');
    this.emitter.emit('busGap', { phase: 'up' });
  }

  // ---- reads -------------------------------------------------------------------------------------

  /**
   * The cached value or `undefined`. Returns only fresh values; a cached `null`, `0`, `""` or `false` is
   * a hit. A cached "not found" (negative entry) also resolves `undefined`.
   */
  get<T = unknown>(key: string): Promise<T | undefined> {
    if (this.closed) return Promise.reject(new CacheClosedError());
    const now = this.clock.now();
    const e = this.l1.get(key, now);
    if (e !== undefined && now < e.softExpiresAt && (e.tags === undefined || this.tags.check(e.tags, now))) {
      this.counters.l1Hits++;
      if (this.emitter.hasHit) this.emitter.emit('hit', { key, tier: 'l1', stale: false });
      return e.negative ? RESOLVED_UNDEFINED : Promise.resolve(e.value as T);
    }
    return this.getSlow<T>(key, e, now);
  }

  private getSlow<T>(key: string, e: L1Entry | undefined, now: number): Promise<T | undefined> {
    if (e !== undefined && now < e.softExpiresAt && e.tags) return this.getSlowTagged<T>(key, e, now);
    return this.getFromL2<T>(key, now);
  }

  /** An L1 entry whose tag counters must be fetched before it can be served. */
  private async getSlowTagged<T>(key: string, e: L1Entry, now: number): Promise<T | undefined> {
    if (e.tags && (await this.tags.validate(e.tags, now))) {
      this.counters.l1Hits++;
      if (this.emitter.has('hit')) this.emitter.emit('hit', { key, tier: 'l1', stale: false });
      return e.value as T | undefined;
    }
    return this.getFromL2<T>(key, now);
  }

  /**
   * The L2 part of `get`, as one `.then` on the L2 read (no async layers: this is the L2 hit path).
   * An entry with tags goes through the async tag check; the read stays open (dirty-read guard) until
   * that check is done, as before.
   */
  private getFromL2<T>(key: string, now: number): Promise<T | undefined> {
    this.counters.l1Misses++;
    const l2 = this.l2;
    if (!l2) return this.l2Missed(key) as Promise<T | undefined>;
    const read = this.beginRead(key);
    return l2.get(key).then(
      (r): T | undefined | Promise<T | undefined> => {
        if (r === undefined || now >= r.hardExpiresAt) return this.l2Done<T>(key, read, undefined, now);
        if (r.tags === undefined) return this.l2Done<T>(key, read, r, now);
        return this.tags
          .validate(r.tags, now)
          .then((ok) => this.l2Done<T>(key, read, ok ? r : undefined, now));
      },
      (err) => {
        this.countL2Error('get', err);
        return this.l2Done<T>(key, read, undefined, now);
      },
    );
  }

  private l2Done<T>(
    key: string,
    read: { dirty: boolean; n: number },
    fromL2: StoredEntry | undefined,
    now: number,
  ): T | undefined {
    const clean = this.endRead(key, read);
    if (fromL2 && now < fromL2.softExpiresAt) {
      this.counters.l2Hits++;
      if (this.emitter.has('hit')) this.emitter.emit('hit', { key, tier: 'l2', stale: false });
      if (clean) this.backfill(key, fromL2, now);
      return fromL2.value as T | undefined;
    }
    this.counters.l2Misses++;
    if (this.emitter.has('miss')) this.emitter.emit('miss', { key });
    return undefined;
  }

  private l2Missed(key: string): Promise<undefined> {
    if (this.emitter.has('miss')) this.emitter.emit('miss', { key });
    return RESOLVED_UNDEFINED;
  }

  /** Like `get` but with no side effects: no recency bump, no back-fill, no stats, no events. */
  async peek<T = unknown>(key: string): Promise<T | undefined> {
    const e = await this.peekEntry(key);
    return e?.value as T | undefined;
  }

  /** True when a fresh entry (a cached "not found" included) exists; no side effects. */
  async has(key: string): Promise<boolean> {
    return (await this.peekEntry(key)) !== undefined;
  }

  private async peekEntry(key: string): Promise<StoredEntry | undefined> {
    if (this.closed) throw new CacheClosedError();
    const now = this.clock.now();
    const e = this.l1.peek(key, now);
    if (e && now < e.softExpiresAt && (!e.tags || (await this.tags.validate(e.tags, now)))) return e;
    if (!this.l2 || this.l2State === 'down') return undefined;
    try {
      const r = await this.l2.get(key);
      if (r && now < r.softExpiresAt && (!r.tags || (await this.tags.validate(r.tags, now)))) return r;
    } catch {
      // peek reports only what it can see
    }
    return undefined;
  }

  /**
   * The cached value, or the factory's, stored for next time. Concurrent misses on one key share one
   * factory call and its outcome (value or error). See `getOrSetWithMeta` for provenance.
   */
  getOrSet<T>(key: string, factory: Factory<T>, options?: GetOrSetOptions): Promise<T> {
    if (this.closed) return Promise.reject(new CacheClosedError());
    // Hot path: a fresh L1 hit allocates only the promise the async API needs.
    const now = this.clock.now();
    const e = this.l1.get(key, now);
    if (e !== undefined && now < e.softExpiresAt && (e.tags === undefined || this.tags.check(e.tags, now))) {
      this.counters.l1Hits++;
      if (this.emitter.hasHit) this.emitter.emit('hit', { key, tier: 'l1', stale: false });
      return e.negative ? (RESOLVED_UNDEFINED as Promise<T>) : Promise.resolve(e.value as T);
    }
    return this.resolveSlow(key, factory, options, e, now).then(resultValue) as Promise<T>;
  }

  /** `getOrSet` that also says where the value came from and whether it is stale. */
  getOrSetWithMeta<T>(key: string, factory: Factory<T>, options?: GetOrSetOptions): Promise<CacheResult<T>> {
    if (this.closed) return Promise.reject(new CacheClosedError());
    const now = this.clock.now();
    return this.resolveSlow(key, factory, options, this.l1.get(key, now), now) as Promise<CacheResult<T>>;
  }

  private async resolveSlow(
    key: string,
    factory: Factory<unknown>,
    options: GetOrSetOptions | undefined,
    e: L1Entry | undefined,
    now: number,
  ): Promise<CacheResult<unknown>> {
    if (e?.tags && !(await this.tags.validate(e.tags, now))) {
      this.l1.delete(key);
      e = undefined;
    }
    if (e !== undefined) {
      if (now < e.softExpiresAt) {
        this.counters.l1Hits++;
        if (this.emitter.has('hit')) this.emitter.emit('hit', { key, tier: 'l1', stale: false });
        return { value: e.value, source: 'l1', stale: false };
      }
      const stale = this.staleFromL1(key, factory, options, e, now);
      if (stale) return stale;
    }
    this.counters.l1Misses++;
    let flight = this.inflight.get(key);
    if (!flight) flight = this.startFlight(key, factory, options, e);
    try {
      const r = await this.untilClosed(flight.promise);
      if (this.l2) {
        if (r.source === 'l2') this.counters.l2Hits++;
        else this.counters.l2Misses++;
      }
      return r;
    } catch (err) {
      if (this.l2) this.counters.l2Misses++;
      throw err;
    }
  }

  /** SWR and throttled stale-if-error straight from L1; undefined when the stale entry may not serve. */
  private staleFromL1(
    key: string,
    factory: Factory<unknown>,
    options: GetOrSetOptions | undefined,
    e: L1Entry,
    now: number,
  ): CacheResult<unknown> | undefined {
    const age = now - e.softExpiresAt;
    const sie = options?.staleIfErrorMs ?? this.sieMs;
    if (now < e.failUntil && age < sie) {
      // The factory failed moments ago: serve stale without hammering it.
      return this.serveStale(key, e, 'l1', 'error');
    }
    const swr = options?.staleWhileRevalidateMs ?? this.swrMs;
    if (age < swr) {
      if (now >= e.failUntil && !this.inflight.has(key)) {
        const f = this.startFlight(key, factory, options, e);
        f.promise.catch(() => {}); // outcome is logged/counted in the flight; callers already have a value
      }
      return this.serveStale(key, e, 'l1', 'swr');
    }
    return undefined;
  }

  private serveStale(key: string, e: StoredEntry, source: CacheSource, reason: 'swr' | 'error') {
    this.counters.l1Hits++;
    this.counters.staleServed++;
    if (this.emitter.has('hit')) this.emitter.emit('hit', { key, tier: 'l1', stale: true });
    if (this.emitter.has('stale')) this.emitter.emit('stale', { key, reason });
    return { value: e.value, source, stale: true };
  }

  private startFlight(
    key: string,
    factory: Factory<unknown>,
    options: GetOrSetOptions | undefined,
    staleL1: L1Entry | undefined,
  ): Flight {
    const flight: Flight = { promise: undefined as unknown as Promise<CacheResult<unknown>> };
    flight.promise = this.fly(key, factory, options, staleL1).finally(() => {
      if (this.inflight.get(key) === flight) this.inflight.delete(key);
      const next = this.refreshAfter.get(key);
      if (next && !this.closed) {
        this.refreshAfter.delete(key);
        const l1e = this.l1.peek(key, this.clock.now());
        this.startFlight(key, next.factory, next.options, l1e).promise.catch(() => {});
      }
    });
    this.inflight.set(key, flight);
    return flight;
  }

  /** One flight per key per process: L2, then (optionally) the lock, then the factory. */
  private async fly(
    key: string,
    factory: Factory<unknown>,
    options: GetOrSetOptions | undefined,
    staleL1: L1Entry | undefined,
  ): Promise<CacheResult<unknown>> {
    const now = this.clock.now();
    let stale: StoredEntry | undefined = staleL1;
    let staleSource: CacheSource = 'l1';
    const read = this.beginRead(key);
    const fromL2 = await this.readL2(key, now);
    const clean = this.endRead(key, read);
    if (fromL2) {
      if (now < fromL2.softExpiresAt) {
        if (this.emitter.has('hit')) this.emitter.emit('hit', { key, tier: 'l2', stale: false });
        if (clean) this.backfill(key, fromL2, now);
        return { value: fromL2.value, source: 'l2', stale: false };
      }
      if (!stale || fromL2.softExpiresAt > stale.softExpiresAt) {
        stale = fromL2;
        staleSource = 'l2';
      }
      const swr = options?.staleWhileRevalidateMs ?? this.swrMs;
      if (!staleL1 && now - fromL2.softExpiresAt < swr) {
        // Stale in L2 only (new instance): serve it and refresh behind.
        if (clean) this.backfill(key, fromL2, now);
        // Refresh once this flight is over (it still occupies the key's single-flight slot).
        this.refreshAfter.set(key, { factory, options });
        this.counters.staleServed++;
        if (this.emitter.has('stale')) this.emitter.emit('stale', { key, reason: 'swr' });
        return { value: fromL2.value, source: 'l2', stale: true };
      }
    }
    if (this.emitter.has('miss')) this.emitter.emit('miss', { key });

    const useLock = this.lock && this.l2State === 'up' && (options?.lock ?? true);
    let token: string | undefined;
    if (useLock) {
      token = `${this.instanceId}:${++this.lockSeq}`;
      let got: boolean | 'failed';
      try {
        got = await this.l2!.tryLock(key, token, this.lock!.ttlMs);
      } catch (err) {
        // Redis failed or the breaker is open: nobody is known to hold the lock, so waiting would only
        // delay the caller. Call the factory at once.
        this.countL2Error('lock', err);
        got = 'failed';
      }
      if (got !== true) token = undefined;
      if (got === false && this.l2State === 'up') {
        const waited = await this.waitForPeer(key);
        if (waited) return waited;
      }
    }
    try {
      return await this.callFactory(key, factory, options, stale, staleSource);
    } finally {
      if (token) this.l2!.unlock(key, token).catch(() => {});
    }
  }

  /**
   * Another instance holds the lock: poll L2 for its result, bounded by `waitMs`. Stops early once L2 is
   * known down (the peer's result could not reach us through it anyway).
   */
  private async waitForPeer(key: string): Promise<CacheResult<unknown> | undefined> {
    const lock = this.lock!;
    const deadline = this.clock.now() + lock.waitMs;
    while (!this.closed && this.l2State === 'up' && this.clock.now() < deadline) {
      await this.delay(lock.pollMs);
      const now = this.clock.now();
      const read = this.beginRead(key);
      const r = await this.readL2(key, now);
      const clean = this.endRead(key, read);
      if (r && now < r.softExpiresAt) {
        if (clean) this.backfill(key, r, now);
        return { value: r.value, source: 'l2', stale: false };
      }
    }
    return undefined; // bounded wait over: fall back to calling the factory ourselves
  }

  private async callFactory(
    key: string,
    factory: Factory<unknown>,
    options: GetOrSetOptions | undefined,
    stale: StoredEntry | undefined,
    staleSource: CacheSource,
  ): Promise<CacheResult<unknown>> {
    this.counters.factoryCalls++;
    let value: unknown;
    try {
      value = await this.runFactory(key, factory, options?.timeoutMs);
    } catch (err) {
      this.counters.factoryErrors++;
      this.emitter.emit('factoryError', { key, error: err });
      const now = this.clock.now();
      // Throttle: no new call of a failing factory from the stale path for a while, but never past the
      // time the error says the call may succeed again (an open breaker's next probe, a Retry-After):
      // a fixed latch kept serving stale after the dependency had recovered.
      const failUntil = now + latchMs(err, this.throttleMs);
      if (stale instanceof L1Entry) stale.failUntil = failUntil;
      const sie = options?.staleIfErrorMs ?? this.sieMs;
      if (stale && now - stale.softExpiresAt < sie && now < stale.hardExpiresAt) {
        const l1e = stale instanceof L1Entry ? stale : this.backfill(key, stale, now);
        if (l1e) {
          l1e.failUntil = failUntil;
          // Make sure the throttled entry is the one L1 holds.
          if (this.l1.peek(key, now) !== l1e) this.l1.set(key, l1e, stale.size ?? 64);
        }
        this.counters.staleServed++;
        if (this.emitter.has('stale')) this.emitter.emit('stale', { key, reason: 'error' });
        this.logger.debug({ key, err: errorCode(err) }, 'cache: factory failed; serving stale value');
        return { value: stale.value, source: staleSource, stale: true };
      }
      throw err;
    }
    // Closed meanwhile: its callers were rejected; do not write into a closed cache.
    if (this.closed) return { value, source: 'factory', stale: false };
    if (value === undefined) {
      if (this.negativeTtlMs !== undefined) {
        await this.write(key, undefined, true, { ...options, ttlMs: this.negativeTtlMs });
      }
      return { value: undefined, source: 'factory', stale: false };
    }
    try {
      await this.write(key, value, false, options);
    } catch (err) {
      // Not serializable: hand the value back uncached rather than fail the caller.
      this.logger.warn(
        { key, err: errorCode(err) },
        'cache: factory value not cacheable (not JSON-serializable)',
      );
    }
    return { value, source: 'factory', stale: false };
  }

  private runFactory(
    key: string,
    factory: Factory<unknown>,
    timeoutMs: number | undefined,
  ): Promise<unknown> {
    const ac = new AbortController();
    const ctx: FactoryContext = { key, signal: ac.signal };
    if (timeoutMs === undefined) {
      return new Promise((resolve) => resolve(factory(ctx)));
    }
    return new Promise((resolve, reject) => {
      const fire = () => {
        this.waits.delete(cancel);
        const err = new CacheFactoryTimeoutError(timeoutMs);
        ac.abort(err);
        reject(err);
      };
      const timer = this.clock.setTimeout(fire, timeoutMs);
      // close() cancels the timer so a closed cache leaves nothing scheduled.
      const cancel = () => {
        this.waits.delete(cancel);
        this.clock.clearTimeout(timer);
      };
      this.waits.add(cancel);
      new Promise((r) => r(factory(ctx))).then(
        (v) => {
          cancel();
          resolve(v);
        },
        (e) => {
          cancel();
          reject(e);
        },
      );
    });
  }

  // ---- writes ------------------------------------------------------------------------------------

  /** Stores a value in both tiers and tells peers to drop their L1 copy. `undefined` is rejected. */
  async set(key: string, value: unknown, options?: SetOptions): Promise<void> {
    if (this.closed) throw new CacheClosedError();
    if (value === undefined) {
      throw new CacheValueError(
        'cache.set(key, undefined) is not allowed; use delete(key), or null for "no value"',
      );
    }
    await this.write(key, value, false, options);
  }

  private async write(key: string, value: unknown, negative: boolean, options: SetOptions | undefined) {
    const now = this.clock.now();
    let ttl = options?.ttlMs ?? this.ttlMs;
    if (!(ttl > 0)) throw new CacheValueError(`ttlMs must be > 0; got ${ttl}`);
    if (this.jitter > 0) ttl = Math.max(1, Math.round(ttl * (1 - Math.random() * this.jitter)));
    const extra = Math.max(
      options?.staleWhileRevalidateMs ?? this.swrMs,
      options?.staleIfErrorMs ?? this.sieMs,
    );
    const tagNames = options?.tags;
    const tags =
      tagNames && tagNames.length > 0 ? await this.tags.current(tagNames, now, ttl + extra) : undefined;
    const entry: StoredEntry = {
      value,
      negative,
      created: now,
      softExpiresAt: now + ttl,
      hardExpiresAt: now + ttl + extra,
      tags,
    };
    let payload: string;
    try {
      payload = encodeEnvelope(entry);
    } catch (err) {
      throw new CacheValueError(
        `The value for key "${key}" is not JSON-serializable (${errorCode(err)}); cache plain data only`,
        { cause: err },
      );
    }
    this.counters.sets++;
    this.dirtyRead(key); // a read of the old value still in flight must not overwrite this one
    this.backfill(key, entry, now, options?.l1TtlMs, Buffer.byteLength(payload));
    if (this.l2) await this.l2Call('set', () => this.l2!.set(key, payload, entry.hardExpiresAt - now));
    await this.publish({ t: 'set', k: key });
    this.emitter.emit('set', { key });
  }

  /**
   * Removes a key from both tiers and from peers' L1. With Redis failing it is removed from this
   * instance only; `strict` then rejects with `CacheInvalidationError` so the caller can retry.
   */
  async delete(key: string, options?: InvalidateOptions): Promise<void> {
    if (this.closed) throw new CacheClosedError();
    this.counters.deletes++;
    this.dirtyRead(key);
    this.l1.delete(key);
    const stored = this.l2 ? await this.l2Call('delete', () => this.l2!.delete(key)) : undefined;
    const sent = await this.publish({ t: 'del', k: key });
    this.emitter.emit('delete', { key });
    if (options?.strict) throwIfLocalOnly('delete', stored ?? sent);
  }

  /**
   * Invalidates every entry written with any of `tags`, on every instance: O(1) per tag (one INCR).
   * With Redis down it falls back to dropping matching entries from this instance's L1 only (and
   * `strict` then rejects with `CacheInvalidationError`).
   */
  async invalidateTags(tags: readonly string[], options?: InvalidateOptions): Promise<void> {
    if (this.closed) throw new CacheClosedError();
    if (tags.length === 0) return;
    const now = this.clock.now();
    let failed: unknown;
    try {
      const versions = await this.tags.bump(tags, now);
      failed = await this.publish({ t: 'tags', v: versions });
    } catch (err) {
      failed = err;
      this.countL2Error('invalidateTags', err);
      const set = new Set(tags);
      this.l1.deleteWhere((e) => e.tags !== undefined && Object.keys(e.tags).some((t) => set.has(t)));
      // Once per outage, not per call: logged again only after L2 came back up and failed anew.
      if (!this.tagsLocalOnlyLogged) {
        this.tagsLocalOnlyLogged = true;
        this.logger.warn(
          { tags: tags.length },
          'cache: Redis unavailable; tags invalidated in this instance only',
        );
      }
    }
    this.emitter.emit('invalidate', { tags: [...tags] });
    if (options?.strict) throwIfLocalOnly('invalidateTags', failed);
  }

  /**
   * Deletes keys matching a Redis glob in both tiers (SCAN with COUNT in Redis, never KEYS) and on
   * peers; `strict` as for `delete`.
   */
  async invalidatePattern(glob: string, options?: InvalidateOptions): Promise<void> {
    if (this.closed) throw new CacheClosedError();
    this.dirtyAllReads();
    this.l1.deletePattern(glob);
    const stored = this.l2
      ? await this.l2Call('invalidatePattern', () => this.l2!.deletePattern(glob))
      : undefined;
    const sent = await this.publish({ t: 'pattern', p: glob });
    this.emitter.emit('invalidate', { pattern: glob });
    if (options?.strict) throwIfLocalOnly('invalidatePattern', stored ?? sent);
  }

  /** Empties L1, every L2 key under this prefix, and peers' L1. */
  async clear(): Promise<void> {
    if (this.closed) throw new CacheClosedError();
    this.dirtyAllReads();
    this.l1.clear();
    if (this.l2) await this.l2Call('clear', () => this.l2!.deletePattern('*'));
    await this.publish({ t: 'clear' });
  }

  // ---- misc --------------------------------------------------------------------------------------

  /** Counters; see `CacheStats` for how they add up. */
  stats(): CacheStats {
    return this.counters.snapshot(this.l2 !== undefined, this.l2State, this.l1.size, this.l1.bytes);
  }

  /** Subscribes to an event; returns an unsubscribe function. */
  on<K extends CacheEventName>(event: K, fn: (e: CacheEvents[K]) => void): () => void {
    return this.emitter.on(event, fn);
  }

  /**
   * Stops timers and background work, closes connections the cache created, empties L1. Idempotent.
   * Callers still waiting in `getOrSet`/`getOrSetWithMeta` are rejected at once with
   * `CacheClosedError` (a factory may never settle, so close does not wait for it); a factory that
   * settles later has its value dropped, not cached.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const abort of [...this.callers]) abort();
    for (const wake of [...this.waits]) wake();
    // Background refreshes are not awaited: a user factory may never settle. Their late writes hit a
    // closed driver and are dropped.
    for (const fn of this.onClose) await fn().catch(() => {});
    this.l1.clear();
    this.inflight.clear();
  }

  // ---- helpers -----------------------------------------------------------------------------------

  /** Settles like `p`, or rejects with `CacheClosedError` if the cache is closed first. */
  private untilClosed<T>(p: Promise<T>): Promise<T> {
    // A Set of rejecters, not Promise.race against one long-lived promise (that leaks a reaction per call).
    return new Promise<T>((resolve, reject) => {
      const abort = () => {
        this.callers.delete(abort);
        reject(new CacheClosedError());
      };
      this.callers.add(abort);
      p.then(
        (v) => {
          this.callers.delete(abort);
          resolve(v);
        },
        (err) => {
          this.callers.delete(abort);
          reject(err);
        },
      );
    });
  }

  private backfill(
    key: string,
    e: StoredEntry,
    now: number,
    l1TtlMs = this.l1TtlMs,
    size?: number,
  ): L1Entry | undefined {
    // An L1 copy never outlives the L2 entry: its end is min(L1 TTL, L2 hard expiry).
    const l1Exp = l1TtlMs === undefined ? e.hardExpiresAt : Math.min(now + l1TtlMs, e.hardExpiresAt);
    if (l1Exp <= now) return undefined;
    const entry = new L1Entry(
      e.value,
      e.negative,
      e.created,
      e.softExpiresAt,
      e.hardExpiresAt,
      e.tags,
      l1Exp,
    );
    let bytes = size ?? e.size;
    if (bytes === undefined) {
      try {
        bytes = Buffer.byteLength(JSON.stringify(e.value) ?? '');
      } catch {
        return undefined;
      }
    }
    this.l1.set(key, entry, bytes);
    return entry;
  }

  private beginRead(key: string): { dirty: boolean; n: number } {
    let r = this.reading.get(key);
    if (r === undefined) {
      r = { dirty: false, n: 0 };
      this.reading.set(key, r);
    }
    r.n++;
    return r;
  }

  /** Ends a read; true when no peer invalidation touched the key meanwhile. */
  private endRead(key: string, r: { dirty: boolean; n: number }): boolean {
    if (--r.n === 0) this.reading.delete(key);
    return !r.dirty;
  }

  private dirtyRead(key: string): void {
    const r = this.reading.get(key);
    if (r !== undefined) r.dirty = true;
  }

  private dirtyAllReads(): void {
    for (const r of this.reading.values()) r.dirty = true;
  }

  private async readL2(key: string, now: number): Promise<StoredEntry | undefined> {
    if (!this.l2) return undefined;
    let r: StoredEntry | undefined;
    try {
      r = await this.l2.get(key);
    } catch (err) {
      this.countL2Error('get', err);
      return undefined;
    }
    if (!r || now >= r.hardExpiresAt) return undefined;
    if (r.tags && !(await this.tags.validate(r.tags, now))) return undefined;
    return r;
  }

  /** Runs an L2 call whose failure only degrades the cache; resolves with the error, if any. */
  private async l2Call(op: string, fn: () => Promise<unknown>): Promise<unknown> {
    try {
      await fn();
      return undefined;
    } catch (err) {
      this.countL2Error(op, err);
      return err ?? new Error(`${op} failed`);
    }
  }

  private countL2Error(op: string, err: unknown): void {
    if ((err as { code?: string })?.code === 'CIRCUIT_OPEN') {
      // Skipped by the open breaker: counted, not logged (the state change was).
      this.counters.l2Skipped++;
      return;
    }
    this.counters.l2Errors++;
    this.emitter.emit('l2Error', { op, error: err });
    this.logger.debug({ op, err: errorCode(err) }, 'cache: L2 call failed');
  }

  /** Tells peers through the bus; resolves with the error if it could not (peers were not told). */
  private async publish(m: BusMessage): Promise<unknown> {
    if (!this.bus) return undefined;
    try {
      await this.bus.publish(m);
      this.counters.busPublished++;
      return undefined;
    } catch (err) {
      this.countL2Error('publish', err);
      return err ?? new Error('publish failed');
    }
  }

  /** @internal The invalidation bus; none without L2 or with `bus: false`. */
  bus: Bus | undefined;

  private delay(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        this.waits.delete(wake);
        this.clock.clearTimeout(timer);
        resolve();
      };
      const timer = this.clock.setTimeout(wake, ms);
      this.waits.add(wake);
    });
  }
}

function resultValue(r: CacheResult<unknown>): unknown {
  return r.value;
}

/**
 * How long a failed factory stays throttled: `throttleMs`, shortened to the error's own `retryAfterMs`
 * when it carries one (a finite, non-negative number), since a call then may succeed again.
 */
export function latchMs(err: unknown, throttleMs: number): number {
  const hint =
    typeof err === 'object' && err !== null ? (err as { retryAfterMs?: unknown }).retryAfterMs : undefined;
  return typeof hint === 'number' && Number.isFinite(hint) && hint >= 0
    ? Math.min(throttleMs, hint)
    : throttleMs;
}

/** `strict` invalidations: an L2 or bus failure means other instances (or Redis) may still serve it. */
function throwIfLocalOnly(op: string, failure: unknown): void {
  if (failure !== undefined) throw new CacheInvalidationError(op, failure);
}

function errorCode(err: unknown): string {
  if (err && typeof err === 'object') {
    const e = err as { code?: unknown; name?: unknown };
    if (typeof e.code === 'string') return e.code;
    if (typeof e.name === 'string') return e.name;
  }
  return typeof err;
}

function positive(name: string, v: number): number {
  if (!(Number.isFinite(v) && v > 0))
    throw new ConfigError(`${name} must be a positive number of ms; got ${v}`);
  return v;
}

function nonNegative(name: string, v: number): number {
  if (!(Number.isFinite(v) && v >= 0)) throw new ConfigError(`${name} must be >= 0 ms; got ${v}`);
  return v;
}
