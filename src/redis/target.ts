/** Where a Redis is: one server (`url`) or a Redis Cluster (seed URLs). */
export type RedisTarget = { url: string } | { cluster: readonly string[] };

/** The Redis of a config's `cache.redis` as a target; undefined when it names none. */
export function redisTargetOf(
  redis: { url?: string | undefined; cluster?: readonly string[] | undefined } | undefined,
): RedisTarget | undefined {
  if (redis?.cluster && redis.cluster.length > 0) return { cluster: redis.cluster };
  if (redis?.url) return { url: redis.url };
  return undefined;
}
