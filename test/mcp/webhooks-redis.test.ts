import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCache } from '../../src/cache/index.js';
import { type RunningGateway, startGateway } from '../../src/mcp/index.js';
import { type RedisHandle, startRedis } from '../helpers/redis-server.js';
import { assignmentUpdated } from '../helpers/standard-webhook.js';
import { connectV2 } from './helpers/clients.js';
import { startUpstream, type Upstream } from './helpers/upstream.js';
import { connectStdio, resourcesConfig } from './resources-helpers.js';
import { testConfig } from '../helpers/gateway-config.js';

const KEY = Buffer.from('two-instances-webhook-key-012345');

const signed = (eventId: string, id: string) => assignmentUpdated(eventId, id, KEY);

type CallResult = { _meta?: Record<string, unknown> };
const source = (r: unknown) =>
  ((r as CallResult)._meta?.['conduit/cache'] as { source?: string; layer?: string } | undefined) ?? {};

describe('a webhook received by one of two gateways sharing Redis', () => {
  let redis: RedisHandle;
  let upstream: Upstream;
  let a: RunningGateway;
  let b: RunningGateway;
  let bCache: ReturnType<typeof createCache>;

  beforeAll(async () => {
    [redis, upstream] = await Promise.all([startRedis(), startUpstream()]);
    const config = resourcesConfig(upstream.url, { cache: { prefix: 'wh', redis: { url: redis.url } } });
    config.tools.find((t) => t.name === 'get_assignment')!.cache = { ttl: 60_000, key: 'assignment:{id}' };
    config.webhooks = {
      endpoints: [
        {
          path: '/webhooks/assignments',
          scheme: 'standard',
          secrets: [`whsec_${KEY.toString('base64')}`],
          events: {
            'assignment.updated': {
              invalidate: { keys: ['assignment:{data.id}'] },
              notify: ['assignments://{data.id}'],
            },
          },
        },
      ],
    };
    // B's cache built here, to see when the eviction broadcast reaches it.
    bCache = createCache({ prefix: 'wh', l2: { url: redis.url } });
    [a, b] = await Promise.all([
      startGateway(testConfig(config), { transport: 'http' }),
      startGateway(testConfig(config), { transport: 'http', cache: bCache }),
    ]);
    await bCache.ready(); // subscribed to the invalidation bus
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await upstream?.close();
    await redis?.stop();
  });

  it('evicts both L1 copies, notifies clients subscribed on the other instance (both protocol eras), and is de-duplicated across instances', async () => {
    const onA = await connectV2(a.url!, 'legacy');
    const onB = await connectV2(b.url!, 'legacy');
    const subscriber = await connectStdio(b.gateway, 'v2-legacy');
    const modern = await connectStdio(b.gateway, 'v2-modern');
    try {
      const get = (c: typeof onA) => c.callTool({ name: 'get_assignment', arguments: { id: '1' } });
      expect(source(await get(onA)).source).toBe('upstream');
      expect(source(await get(onB))).toMatchObject({ source: 'cache', layer: 'l2' }); // A filled Redis
      expect(source(await get(onB))).toMatchObject({ source: 'cache', layer: 'l1' });
      expect(source(await get(onA))).toMatchObject({ source: 'cache', layer: 'l1' });
      await subscriber.subscribe('assignments://1');
      await modern.subscribe('assignments://1');

      const evictedOnB = new Promise<void>((resolve) => {
        const off = bCache.on('busMessage', (m) => {
          if (m.type === 'del') {
            off();
            resolve();
          }
        });
      });
      const base = a.url!.replace(/\/mcp$/, '');
      const d = signed('evt_shared', '1');
      const res = await request(`${base}/webhooks/assignments`, { method: 'POST', ...d });
      expect(res.statusCode).toBe(200);
      await res.body.text();

      await Promise.all([
        subscriber.inbox.next('assignments://1'),
        modern.inbox.next('assignments://1'),
        evictedOnB,
      ]);
      expect(subscriber.inbox.uris).toEqual(['assignments://1']);
      expect(modern.inbox.uris).toEqual(['assignments://1']);
      const before = upstream.count('/assignments/1');
      expect(source(await get(onB)).source).toBe('upstream');
      expect(source(await get(onA)).source).toBe('cache'); // B refilled Redis: A reads it from L2
      expect(upstream.count('/assignments/1')).toBe(before + 1);

      // The sender retries the same event at the other instance: already processed, nothing evicted.
      const baseB = b.url!.replace(/\/mcp$/, '');
      const again = await request(`${baseB}/webhooks/assignments`, {
        method: 'POST',
        ...signed('evt_shared', '1'),
      });
      expect(await again.body.json()).toMatchObject({ duplicate: true });
      expect(source(await get(onB))).toMatchObject({ source: 'cache', layer: 'l1' });
    } finally {
      await Promise.all([onA.close(), onB.close(), subscriber.close(), modern.close()]);
    }
  });
});
