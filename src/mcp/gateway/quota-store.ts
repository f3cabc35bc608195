import { type Clock, errorForLog, type Logger, LruMap } from '../../core/index.js';
import type { RedisDriver } from '../../redis/index.js';
import {
  circuitBreaker,
  type CircuitBreaker,
  rateLimiter,
  type RateLimiter,
  timeout,
  wrap,
} from '../../resilience/index.js';
import { ConcurrencyLeases } from './quota-leases.js';

/**
 * One take from a bucket: allowed, or refused with when the next token comes. `refund` gives the
 * token back (a later limit refused the call); it settles once given back or given up on, and never
 * rejects.
 */
export type Take = { ok: true; refund(): Promise<void> | void } | { ok: false; retryAfterMs: number };

/**
 * One call admitted under a concurrency cap, or refused. `release` frees its slot; it settles once
 * the slot is free (or the store gave up on freeing it), and never rejects.
 */
export type Hold = { ok: true; release(): Promise<void> | void } | { ok: false; running: number };

/**
 * Per key: a token bucket (`capacity` tokens, `capacity` more each minute) and a count of calls
 * running at once.
 */
export interface QuotaStore {
  take(key: string, perMinute: number): Promise<Take>;
  /** Admits one more running call under `key` unless `max` already run. */
  hold(key: string, max: number): Promise<Hold>;
  /** Whether a shared store (Redis) is reachable now; absent for a store of this process. */
  connected?(): boolean;
  close(): Promise<void>;
}

/**
 * Buckets in this process's memory: the project's own token bucket (resilience `rateLimiter`), one
 * per key, the least recently used dropped past `maxKeys`.
 */
export class MemoryQuotaStore implements QuotaStore {
  private readonly buckets: LruMap<string, RateLimiter>;
  private readonly running = new Map<string, number>();

  constructor(
    private readonly clock: Clock,
    maxKeys = 10_000,
  ) {
    this.buckets = new LruMap(maxKeys);
  }

  async take(key: string, perMinute: number): Promise<Take> {
    return this.takeNow(key, perMinute);
  }

  takeNow(key: string, perMinute: number): Take {
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = rateLimiter({ ratePerSec: perMinute / 60, burst: perMinute, clock: this.clock });
      this.buckets.set(key, bucket);
    }
    if (bucket.tryTake()) return { ok: true, refund: once(() => bucket.refund()) };
    return { ok: false, retryAfterMs: Math.max(1, Math.ceil(bucket.waitMs())) };
  }

  async hold(key: string, max: number): Promise<Hold> {
    return this.holdNow(key, max);
  }

  holdNow(key: string, max: number): Hold {
    const n = this.running.get(key) ?? 0;
    if (n >= max) return { ok: false, running: n };
    this.running.set(key, n + 1);
    let held = true;
    return {
      ok: true,
      release: () => {
        if (!held) return;
        held = false;
        const left = (this.running.get(key) ?? 1) - 1;
        if (left <= 0) this.running.delete(key);
        else this.running.set(key, left);
      },
    };
  }

  async close(): Promise<void> {}
}

/** `fn` on its first call only: a token or slot is given back once. */
function once<T>(fn: () => T): () => T | undefined {
  let done = false;
  return () => {
    if (done) return undefined;
    done = true;
    return fn();
  };
}

/**
 * The same token bucket in Redis (one hash per key, refilled from the caller's clock), so every
 * instance counts against one quota. Atomic: the whole read-refill-take runs as one Lua script.
 */
export const TOKEN_BUCKET_SCRIPT = `local cap = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local b = redis.call('HMGET', KEYS[1], 't', 'ts')
local tokens = tonumber(b[1])
local ts = tonumber(b[2])
if tokens == nil or ts == nil then tokens = cap ts = now end
if now > ts then tokens = math.min(cap, tokens + (now - ts) * rate) ts = now end
local wait = 0
local ok = 0
if tokens >= 1 then tokens = tokens - 1 ok = 1 else wait = math.ceil((1 - tokens) / rate) end
redis.call('HSET', KEYS[1], 't', tostring(tokens), 'ts', tostring(ts))
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return {ok, wait}`;

/**
 * Gives one token back to a bucket, refilled to now first and never past its capacity. A bucket
 * that expired is full already. ARGV: capacity, rate a ms, now, the key's TTL.
 */
export const TOKEN_REFUND_SCRIPT = `local cap = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local b = redis.call('HMGET', KEYS[1], 't', 'ts')
local tokens = tonumber(b[1])
local ts = tonumber(b[2])
if tokens == nil or ts == nil then return 0 end
if now > ts then tokens = tokens + (now - ts) * rate ts = now end
tokens = math.min(cap, tokens + 1)
redis.call('HSET', KEYS[1], 't', tostring(tokens), 'ts', tostring(ts))
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1`;

const BUCKET_TTL_MS = '120000';

/** How long a lease lasts unrenewed, and how often a running call renews it. */
export interface LeaseTimes {
  /** A crashed instance's slots come free this long after its last renewal. Default 30 s. */
  leaseMs: number;
  /** Default a third of `leaseMs`, so two renewals can be lost before a live call's slot lapses. */
  renewMs: number;
}

/**
 * Quotas counted in Redis, failing open to this instance's memory while Redis cannot be reached
 * (behind a short timeout and a breaker, so an outage costs no waiting per call); the switch is
 * logged once each way. Concurrency caps are leases in a sorted set per key
 * ({@link ConcurrencyLeases}), so every instance counts against one cap.
 */
export class RedisQuotaStore implements QuotaStore {
  private readonly fallback: MemoryQuotaStore;
  private readonly breaker: CircuitBreaker;
  private readonly policy;
  private readonly leases: ConcurrencyLeases;
  private degraded = false;

  constructor(
    private readonly driver: RedisDriver,
    private readonly prefix: string,
    private readonly clock: Clock,
    private readonly logger: Logger,
    times: Partial<LeaseTimes> = {},
  ) {
    this.fallback = new MemoryQuotaStore(clock);
    this.breaker = circuitBreaker({ name: 'quota-redis', recoveryMs: 5000, clock });
    this.policy = wrap(this.breaker, timeout({ ms: 250, clock }));
    const leaseMs = times.leaseMs ?? 30_000;
    this.leases = new ConcurrencyLeases(
      (script, key, args) => this.evalOnKey(script, key, args),
      clock,
      logger,
      { leaseMs, renewMs: times.renewMs ?? Math.max(1, Math.floor(leaseMs / 3)) },
    );
  }

  async take(key: string, perMinute: number): Promise<Take> {
    const bucket = `${this.prefix}${key}`;
    const args = () => [
      String(perMinute),
      String(perMinute / 60_000),
      String(this.clock.now()),
      BUCKET_TTL_MS,
    ];
    try {
      const reply = (await this.evalOnKey(TOKEN_BUCKET_SCRIPT, bucket, args())) as [number, number];
      this.up();
      return Number(reply[0]) === 1
        ? { ok: true, refund: once(() => this.refund(bucket, args())) }
        : { ok: false, retryAfterMs: Math.max(1, Number(reply[1])) };
    } catch (err) {
      this.down(err);
      return this.fallback.takeNow(key, perMinute);
    }
  }

  async hold(key: string, max: number): Promise<Hold> {
    try {
      const hold = await this.leases.acquire(`${this.prefix}c:${key}`, max);
      this.up();
      return hold;
    } catch (err) {
      this.down(err);
      return this.fallback.holdNow(key, max);
    }
  }

  /** When Redis cannot be asked, the token stays taken: the quota errs on refusing, not admitting. */
  private refund(bucket: string, args: string[]): Promise<void> {
    return this.evalOnKey(TOKEN_REFUND_SCRIPT, bucket, args).then(
      () => undefined,
      (err: unknown) => this.logger.debug({ err: errorForLog(err) }, 'quota token not given back'),
    );
  }

  /** The driver's connection when it tells it, else whether the last call reached Redis. */
  connected(): boolean {
    return this.driver.connected ? this.driver.connected() : !this.degraded;
  }

  close(): Promise<void> {
    this.leases.stopRenewing();
    return this.driver.close();
  }

  private evalOnKey(script: string, key: string, args: readonly string[]): Promise<unknown> {
    const evalOnKey = this.driver.evalOnKey;
    if (!evalOnKey) return Promise.reject(new Error('this Redis driver cannot run scripts'));
    return this.policy.execute(() => evalOnKey.call(this.driver, script, key, args));
  }

  private up(): void {
    if (!this.degraded) return;
    this.degraded = false;
    this.logger.info({ event: 'quota.redis_back' }, 'quotas are counted in Redis again');
  }

  private down(err: unknown): void {
    if (this.degraded) return;
    this.degraded = true;
    this.logger.warn(
      { event: 'quota.redis_down', err: errorForLog(err) },
      "Redis is unreachable: quotas are counted in this instance's memory until it is back",
    );
  }
}
