import { createCache, type TieredCache } from '../../../src/cache/index.js';
import { type RunningGateway, startGateway } from '../../../src/mcp/index.js';
import { type TestConfigInput, testConfig } from '../../helpers/gateway-config.js';

/** One gateway instance of a test cluster, with its own cache object so tests can watch its bus. */
export interface Instance {
  readonly gateway: RunningGateway;
  readonly cache: TieredCache;
  readonly url: string;
  /** Resolves when this instance's cache has received `n` more bus messages from peers. */
  busMessages(n: number): Promise<void>;
}

/** Config for the cluster: the assignments API with a cached read and an invalidating update. */
export function clusterConfig(upstreamUrl: string, redisUrl: string, prefix: string): TestConfigInput {
  return {
    server: { name: 'scale-gateway', version: '1.0.0', http: { stateless: true } },
    cache: { prefix, redis: { url: redisUrl } },
    upstreams: { assignments: { baseUrl: upstreamUrl, timeouts: { total: 5000 } } },
    tools: [
      {
        name: 'get_assignment',
        upstream: 'assignments',
        method: 'GET',
        path: '/assignments/{id}',
        input: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
        cache: { ttl: 60_000, key: 'assignment:{id}', tags: ['assignments'] },
      },
      {
        name: 'update_assignment',
        upstream: 'assignments',
        method: 'PUT',
        path: '/assignments/{id}',
        input: {
          type: 'object',
          properties: { id: { type: 'string' }, title: { type: 'string' } },
          required: ['id'],
        },
        invalidates: { keys: ['assignment:{id}'] },
      },
    ],
  };
}

/** Starts one stateless HTTP gateway over a cache on the shared Redis (L2 + bus). */
export async function startInstance(config: TestConfigInput): Promise<Instance> {
  const cache = createCache({
    prefix: config.cache?.prefix ?? 'conduit',
    l2: { url: config.cache!.redis!.url },
  });
  await cache.ready();
  let received = 0;
  const waiters: { at: number; resolve: () => void }[] = [];
  cache.on('busMessage', () => {
    received++;
    for (let i = waiters.length - 1; i >= 0; i--) {
      if (received >= waiters[i]!.at) waiters.splice(i, 1)[0]!.resolve();
    }
  });
  const gateway = await startGateway(testConfig(config), { transport: 'http', cache });
  return {
    gateway,
    cache,
    url: gateway.url!,
    busMessages(n) {
      const at = received + n;
      return new Promise((resolve) => waiters.push({ at, resolve }));
    },
  };
}

/** Closes an instance: the gateway, then the cache it was given. */
export async function closeInstance(i: Instance): Promise<void> {
  await i.gateway.close();
  await i.cache.close();
}
