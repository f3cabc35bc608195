import type { IoredisClient, IoredisOptions } from './client-types.js';
import type { RedisDriver } from './driver.js';
import { createIoredisDriver } from './ioredis-driver.js';
import { createNodeRedisUrlDriver } from './node-redis-url-driver.js';

/** How to reach Redis; the first that applies picks the client (see {@link openRedisDriver}). */
export interface RedisConnectOptions {
  /** A driver you built: used as is. */
  driver?: RedisDriver | undefined;
  /** An ioredis `Redis` or `Cluster` you own (the driver leaves it open). */
  redis?: IoredisClient | undefined;
  /** Redis Cluster seed URLs; the driver owns an ioredis `Cluster`. */
  cluster?: readonly string[] | undefined;
  /** ioredis options (Sentinel `sentinels` + `name`, db, TLS); selects ioredis. */
  options?: IoredisOptions | undefined;
  /** A standalone Redis URL. */
  url?: string | undefined;
}

/**
 * The driver for a Redis: a bare URL gets node-redis (`@redis/client`), which answered L2 hits faster
 * than ioredis in `bench/cache`; a Cluster, ioredis options or an ioredis client get ioredis. Each
 * client is an optional peer dependency, loaded here on first use (`MissingDependencyError` names
 * the one to install). With none of them, ioredis's own default (127.0.0.1:6379).
 */
export function openRedisDriver(o: RedisConnectOptions): RedisDriver {
  if (o.driver) return o.driver;
  if (o.url && !o.redis && !o.options && !o.cluster?.length) return createNodeRedisUrlDriver(o.url);
  return createIoredisDriver({
    redis: o.redis,
    url: o.url,
    options: o.options,
    ...(o.cluster?.length ? { cluster: o.cluster } : {}),
  });
}
