import { requireOptional } from '../core/index.js';

type IoredisModule = typeof import('ioredis');
type NodeRedisModule = typeof import('@redis/client');

// Kept out of the module's index: their types name the optional packages themselves.

/**
 * ioredis, loaded on first use: an optional peer dependency (Cluster, Sentinel, ioredis options,
 * the webhook de-dup store, shared breakers). Throws `MissingDependencyError` naming it.
 */
export function loadIoredis(feature: string): IoredisModule {
  return requireOptional<IoredisModule>('ioredis', feature);
}

/** node-redis core (`@redis/client`), loaded on first use: the client of a standalone Redis URL. */
export function loadNodeRedis(feature: string): NodeRedisModule {
  return requireOptional<NodeRedisModule>('@redis/client', feature);
}
