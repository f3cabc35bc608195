import type { Cluster, ClusterOptions, Redis, RedisOptions } from 'ioredis';
import { requireOptional } from '../core/index.js';
import { parseClusterSeeds } from './cluster.js';
import { reconnectDelayMs } from './reconnect.js';

type IoredisModule = typeof import('ioredis');
type NodeRedisModule = typeof import('@redis/client');

/**
 * ioredis, loaded on first use: it is an optional peer dependency (Cluster, Sentinel, ioredis
 * options, the webhook de-dup store and shared breakers). Throws `MissingDependencyError` naming it.
 */
export function loadIoredis(feature: string): IoredisModule {
  return requireOptional<IoredisModule>('ioredis', feature);
}

/** node-redis core (`@redis/client`), loaded on first use: the client of a standalone Redis URL. */
export function loadNodeRedis(feature: string): NodeRedisModule {
  return requireOptional<NodeRedisModule>('@redis/client', feature);
}

/** Connection habits shared by every ioredis client Conduit creates. */
const IOREDIS_DEFAULTS: RedisOptions = {
  enableAutoPipelining: true,
  maxRetriesPerRequest: 1,
  retryStrategy: reconnectDelayMs,
};

/**
 * An ioredis client with Conduit's connection habits (auto-pipelining, one retry per command, the
 * shared reconnect policy); `options` win over them. Connection errors surface through failed
 * commands, so the client gets an empty `error` listener (ioredis would print every reconnect failure).
 */
export function createIoredisClient(
  target: { url?: string | undefined; options?: RedisOptions | undefined },
  feature: string,
): Redis {
  const { Redis } = loadIoredis(feature);
  const options = { ...IOREDIS_DEFAULTS, ...target.options };
  const client = target.url ? new Redis(target.url, options) : new Redis(options);
  client.on('error', () => {});
  return client;
}

/**
 * An ioredis `Cluster` from seed URLs (see `parseClusterSeeds`), with the same habits per node and the
 * shared reconnect policy for the cluster itself. No unhandled `error` events: failures surface
 * through commands.
 */
export function createClusterClient(
  urls: readonly string[],
  options: ClusterOptions = {},
  feature = 'a Redis Cluster',
): Cluster {
  const seeds = parseClusterSeeds(urls);
  const { Cluster } = loadIoredis(feature);
  const cluster = new Cluster(seeds.nodes, {
    enableAutoPipelining: true,
    clusterRetryStrategy: reconnectDelayMs,
    ...options,
    redisOptions: {
      maxRetriesPerRequest: 1,
      retryStrategy: reconnectDelayMs,
      ...seeds.redisOptions,
      ...options.redisOptions,
    },
  });
  cluster.on('error', () => {});
  return cluster;
}
