import type { TestConfigInput, ToolInput, UpstreamInput } from '../../helpers/gateway-config.js';

const idInput = { type: 'object' as const, properties: { id: { type: 'string' } }, required: ['id'] };

/** The chaos tools: an uncached read, a cached read (stale-if-error), and an invalidating update. */
export function chaosConfig(
  upstream: UpstreamInput,
  extra: { redisUrl?: string; prefix?: string; tools?: ToolInput[]; cacheTtl?: number } = {},
): TestConfigInput {
  return {
    server: { name: 'chaos-gateway', version: '1.0.0', http: { stateless: true }, shutdownTimeout: 2000 },
    cache: {
      prefix: extra.prefix ?? 'chaos',
      ...(extra.redisUrl ? { redis: { url: extra.redisUrl } } : {}),
    },
    upstreams: { api: upstream },
    tools: [
      { name: 'get_item', upstream: 'api', method: 'GET', path: '/items/{id}', input: idInput },
      {
        name: 'get_item_cached',
        upstream: 'api',
        method: 'GET',
        path: '/items/{id}',
        input: idInput,
        cache: { ttl: extra.cacheTtl ?? 200, key: 'item:{id}', staleIfError: 60_000 },
      },
      {
        name: 'update_item',
        upstream: 'api',
        method: 'PUT',
        path: '/items/{id}',
        input: idInput,
        invalidates: { keys: ['item:{id}'] },
      },
      ...(extra.tools ?? []),
    ],
  };
}
