/**
 * The ioredis shapes Conduit's public types mention, declared here instead of imported: ioredis is an
 * optional peer dependency, and a project without it must still type-check against Conduit's
 * declarations (`skipLibCheck: false` included). Values are handed to ioredis as given.
 */

/** An ioredis `Redis` or `Cluster` client you created (both have these two fields). */
export interface IoredisClient {
  readonly isCluster: boolean;
  readonly status: string;
}

/** ioredis `RedisOptions` (or, for a Cluster, `ClusterOptions`): passed through to ioredis. */
export type IoredisOptions = object;
