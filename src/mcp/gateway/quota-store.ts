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

/** One take from a bucket: allowed, or refused with when the next token comes. */
export type Take = { ok: true } | { ok: false; retryAfterMs: number };

/** A token bucket per key: `capacity` tokens, `capacity` more each minute. */
export interface QuotaStore {
  take(key: string, perMinute: number): Promise<Take>;
  close(): Promise<void>;
}

/**
 * Buckets in this process's memory: the project's own token bucket (resilience `rateLimiter`), one
 * per key, the least recently used dropped past `maxKeys`.
 */
export class MemoryQuotaStore implements QuotaStore {
  private readonly buckets: LruMap<string, RateLimiter>;

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
    if (bucket.tryTake()) return { ok: true };
    return { ok: false, retryAfterMs: Math.max(1, Math.ceil(bucket.waitMs())) };
  }

  async close(): Promise<void> {}
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
 * Quotas counted in Redis, failing open to this instance's memory while Redis cannot be reached
 * (behind a short timeout and a breaker, so an outage costs no waiting per call); the switch is
 * logged once each way.
 */
export class RedisQuotaStore implements QuotaStore {
  private readonly fallback: MemoryQuotaStore;
  private readonly breaker: CircuitBreaker;
  private readonly policy;
  private degraded = false;

  constructor(
    private readonly driver: RedisDriver,
    private readonly prefix: string,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {
    this.fallback = new MemoryQuotaStore(clock);
    this.breaker = circuitBreaker({ name: 'quota-redis', recoveryMs: 5000, clock });
    this.policy = wrap(this.breaker, timeout({ ms: 250, clock }));
  }

  async take(key: string, perMinute: number): Promise<Take> {
    const evalOnKey = this.driver.evalOnKey;
    if (!evalOnKey) return this.fallback.takeNow(key, perMinute);
    try {
      const reply = (await this.policy.execute(() =>
        evalOnKey.call(this.driver, TOKEN_BUCKET_SCRIPT, `${this.prefix}${key}`, [
          String(perMinute),
          String(perMinute / 60_000),
          String(this.clock.now()),
          '120000',
        ]),
      )) as [number, number];
      if (this.degraded) {
        this.degraded = false;
        this.logger.info({ event: 'quota.redis_back' }, 'quotas are counted in Redis again');
      }
      return Number(reply[0]) === 1
        ? { ok: true }
        : { ok: false, retryAfterMs: Math.max(1, Number(reply[1])) };
    } catch (err) {
      if (!this.degraded) {
        this.degraded = true;
        this.logger.warn(
          { event: 'quota.redis_down', err: errorForLog(err) },
          "Redis is unreachable: quotas are counted in this instance's memory until it is back",
        );
      }
      return this.fallback.takeNow(key, perMinute);
    }
  }

  close(): Promise<void> {
    return this.driver.close();
  }
}
