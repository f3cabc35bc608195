/**
 * `conduit-mcp/cache` — a tiered cache for API responses: L1 in memory (an LRU over typed-array slots, bounded by entries and
 * bytes), L2 in Redis (versioned JSON envelope), cross-instance L1 invalidation over pub/sub,
 * single-flight and an optional distributed lock against stampedes, stale-while-revalidate,
 * stale-if-error, O(1) tag invalidation, glob invalidation, and a circuit breaker around Redis so a
 * Redis outage degrades to L1 + factories without caller errors.
 *
 * @example
 * const cache = createCache({ prefix: 'gw1', ttlMs: 30_000, l2: { url: 'redis://127.0.0.1:6379' } });
 * const user = await cache.getOrSet(`user:${id}`, () => api.getUser(id), { tags: [`user:${id}`] });
 * await cache.invalidateTags([`user:${id}`]);
 */
export { createCache } from './create.js';
export { TieredCache } from './tiered-cache.js';
export type {
  CacheOptions,
  CacheResult,
  CacheSource,
  SetOptions,
  GetOrSetOptions,
  InvalidateOptions,
  FactoryContext,
  LockOptions,
  L2Options,
} from './engine/types.js';
export type { L1Options } from './tiers/l1.js';
export type { CacheStats, L2State } from './stats.js';
export type { CacheEvents, CacheEventName } from './events.js';
// The driver seam of `l2.driver`: its type and the two drivers for a client you own.
export {
  type RedisDriver,
  type RoundTrip,
  type SubscriptionHandlers,
  createIoredisDriver,
  type IoredisDriverOptions,
  createNodeRedisDriver,
  type NodeRedisClientLike,
} from '../redis/index.js';
export {
  CacheClosedError,
  CacheValueError,
  CacheFactoryTimeoutError,
  CacheInvalidationError,
} from './errors.js';
export { globToRegExp } from './glob.js';
