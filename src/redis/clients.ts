import type { Cluster, ClusterOptions, Redis, RedisOptions } from 'ioredis';
import type { IoredisClient, IoredisOptions } from './client-types.js';
import { parseClusterSeeds } from './cluster.js';
import { loadIoredis } from './load.js';
import { reconnectDelayMs } from './reconnect.js';

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
 * `C` is the caller's view of the client (ioredis `Redis` inside Conduit).
 */
export function createIoredisClient<C = IoredisClient>(
  target: { url?: string | undefined; options?: IoredisOptions | undefined },
  feature: string,
): C {
  const { Redis } = loadIoredis(feature);
  const options: RedisOptions = { ...IOREDIS_DEFAULTS, ...(target.options as RedisOptions) };
  const client: Redis = target.url ? new Redis(target.url, options) : new Redis(options);
  client.on('error', () => {});
  return client as C;
}

/**
 * An ioredis `Cluster` from seed URLs (see `parseClusterSeeds`), with the same habits per node and the
 * shared reconnect policy for the cluster itself; `options` are ioredis `ClusterOptions`. No unhandled
 * `error` events: failures surface through commands. `C` as for {@link createIoredisClient}.
 */
export function createClusterClient<C = IoredisClient>(
  urls: readonly string[],
  options: IoredisOptions = {},
  feature = 'A Redis Cluster',
): C {
  const seeds = parseClusterSeeds(urls);
  const { Cluster } = loadIoredis(feature);
  const o = options as ClusterOptions;
  const cluster: Cluster = new Cluster(seeds.nodes, {
    enableAutoPipelining: true,
    clusterRetryStrategy: reconnectDelayMs,
    ...o,
    redisOptions: {
      maxRetriesPerRequest: 1,
      retryStrategy: reconnectDelayMs,
      ...(seeds.redisOptions as RedisOptions),
      ...o.redisOptions,
    },
  });
  cluster.on('error', () => {});
  return cluster as C;
}
