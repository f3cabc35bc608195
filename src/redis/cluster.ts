import { ConfigError } from '../core/index.js';

/** Seed nodes and per-node connection options of a Redis Cluster, from `redis://` seed URLs. */
export interface ClusterSeeds {
  nodes: { host: string; port: number }[];
  /** Credentials and TLS shared by every node (the cluster's nodes all take the same ones). */
  redisOptions: { username?: string; password?: string; tls?: object };
}

/**
 * Parses Redis Cluster seed URLs (`redis://[user:password@]host:port`, `rediss://` for TLS). A few
 * masters are enough: the client discovers the rest with `CLUSTER SLOTS`. Credentials are taken from
 * the first URL that has them. Errors name the URL by position and host, never its password.
 */
export function parseClusterSeeds(urls: readonly string[]): ClusterSeeds {
  if (urls.length === 0)
    throw new ConfigError('Redis Cluster: give at least one seed URL such as redis://10.0.0.1:6379');
  const nodes: ClusterSeeds['nodes'] = [];
  const redisOptions: ClusterSeeds['redisOptions'] = {};
  let tls: boolean | undefined;
  urls.forEach((text, i) => {
    let u: URL;
    try {
      u = new URL(text);
    } catch {
      throw new ConfigError(`Redis Cluster seed ${i} is not a URL; expected redis://host:port`);
    }
    if (u.protocol !== 'redis:' && u.protocol !== 'rediss:')
      throw new ConfigError(`Redis Cluster seed ${i} (${u.host}): expected a redis:// or rediss:// URL`);
    if (u.pathname !== '' && u.pathname !== '/')
      throw new ConfigError(
        `Redis Cluster seed ${i} (${u.host}): a cluster has only database 0; remove the path ${u.pathname}`,
      );
    const secure = u.protocol === 'rediss:';
    if (tls !== undefined && tls !== secure)
      throw new ConfigError('Redis Cluster seeds mix redis:// and rediss://; use one scheme for every node');
    tls = secure;
    const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
    nodes.push({ host, port: u.port ? Number(u.port) : 6379 });
    if (u.password && redisOptions.password === undefined) {
      redisOptions.password = decodeURIComponent(u.password);
      if (u.username) redisOptions.username = decodeURIComponent(u.username);
    }
  });
  if (tls) redisOptions.tls = {};
  return { nodes, redisOptions };
}
