import { type CacheOptions, createCache, type TieredCache } from '../../cache/index.js';
import type { Clock, Logger } from '../../core/index.js';
import type { GatewayCache } from '../tools/cache-port.js';
import type { GatewayConfig } from '../../config/index.js';

/**
 * The tiered cache described by `config.cache`: memory, plus Redis when `cache.redis.url` (one server,
 * node-redis) or `cache.redis.cluster` (a Redis Cluster, ioredis `Cluster`) is set.
 */
export function cacheFromConfig(
  config: GatewayConfig,
  logger: Logger,
  clock: Clock,
): GatewayCache & Pick<TieredCache, 'ready' | 'on'> {
  const c = config.cache ?? {};
  const l1: NonNullable<CacheOptions['l1']> = {};
  if (c.l1?.maxEntries !== undefined) l1.maxEntries = c.l1.maxEntries;
  if (c.l1?.maxBytes !== undefined) l1.maxBytes = c.l1.maxBytes;
  if (c.l1?.ttl !== undefined) l1.ttlMs = c.l1.ttl;
  const options: CacheOptions = {
    prefix: c.prefix ?? 'conduit',
    l1,
    logger: logger.child({ component: 'cache' }),
    clock,
  };
  if (c.redis?.cluster?.length) options.l2 = { cluster: c.redis.cluster };
  else if (c.redis?.url) options.l2 = { url: c.redis.url };
  return createCache(options);
}
