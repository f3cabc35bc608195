/**
 * Internal: every Redis connection Conduit creates — which client for which target, the one
 * reconnect policy, Redis Cluster seeds, the driver seam the cache and the change feed run on, the
 * pub/sub channel primitive, and the commands + subscriber pair of the shared breakers. Both clients
 * are optional peer dependencies loaded on first use (`@redis/client` for a standalone URL, `ioredis`
 * for Cluster, Sentinel, ioredis options, the webhook de-dup store and the shared breakers).
 * Used by cache, webhooks and mcp; sits on core, and on resilience for the breaker store's shapes.
 */
export type { RedisDriver, RoundTrip, SubscriptionHandlers } from './driver.js';
export { directRoundTrip, BUMP_COUNTER_SCRIPT, TOUCH_COUNTER_SCRIPT } from './driver.js';
export { createIoredisDriver, type IoredisDriverOptions } from './ioredis-driver.js';
export { createNodeRedisDriver, type NodeRedisClientLike } from './node-redis-driver.js';
export { createNodeRedisUrlDriver } from './node-redis-url-driver.js';
export { openRedisDriver, type RedisConnectOptions } from './open-driver.js';
export { openRedisChannel, type RedisChannel, type RedisChannelOptions } from './channel.js';
export { parseClusterSeeds, type ClusterSeeds } from './cluster.js';
export { createClusterClient, createIoredisClient } from './clients.js';
export type { IoredisClient, IoredisOptions } from './client-types.js';
export { reconnectDelayMs } from './reconnect.js';
export { openRedisPubSubPair, type RedisPubSubPair } from './pubsub-pair.js';
export { type RedisTarget, redisTargetOf } from './target.js';
