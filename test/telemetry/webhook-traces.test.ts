import { SpanKind } from '@opentelemetry/api';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningGateway, startGateway } from '../../src/mcp/index.js';
import { type RedisHandle, startRedis } from '../helpers/redis-server.js';
import { assignmentUpdated } from '../helpers/standard-webhook.js';
import { testConfig } from '../helpers/gateway-config.js';
import { connectStdio, resourcesConfig } from '../mcp/resources-helpers.js';
import { startUpstream, type Upstream } from '../mcp/helpers/upstream.js';
import { idOf, memoryTracing, parentOf } from './memory-tracing.js';

const KEY = Buffer.from('traced-webhook-key-0123456789abc');
const SENDER_TRACE = '5bf92f3577b34da6a3ce929d0e0e4736';
const SENDER_SPAN = '10f067aa0ba902b7';

describe('a webhook delivery traced across two gateways sharing Redis', () => {
  let redis: RedisHandle;
  let upstream: Upstream;
  let a: RunningGateway;
  let b: RunningGateway;
  const traceA = memoryTracing('gateway-a');
  const traceB = memoryTracing('gateway-b');

  beforeAll(async () => {
    [redis, upstream] = await Promise.all([startRedis(), startUpstream()]);
    const config = resourcesConfig(upstream.url, { cache: { prefix: 'twh', redis: { url: redis.url } } });
    config.tools.find((t) => t.name === 'get_assignment')!.cache = {
      ttl: 60_000,
      key: 'assignment:{id}',
      tags: ['assignment:{id}'],
    };
    config.webhooks = {
      endpoints: [
        {
          name: 'assignments',
          path: '/webhooks/assignments',
          scheme: 'standard',
          secrets: [`whsec_${KEY.toString('base64')}`],
          events: {
            'assignment.updated': {
              invalidate: { tags: ['assignment:{data.id}'] },
              notify: ['assignments://{data.id}'],
            },
          },
        },
      ],
    };
    [a, b] = await Promise.all([
      startGateway(testConfig(config), { transport: 'http', tracer: traceA.tracing.tracer }),
      startGateway(testConfig(config), { transport: 'http', tracer: traceB.tracing.tracer }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await Promise.all([traceA.tracing.close(), traceB.tracing.close()]);
    await upstream?.close();
    await redis?.stop();
  });

  it('the delivery is a server span (sender as parent, invalidation as event); the notification on each instance links to it', async () => {
    const subscriber = await connectStdio(b.gateway, 'v2-legacy');
    try {
      await subscriber.subscribe('assignments://1');
      const base = a.url!.replace(/\/mcp$/, '');
      const d = assignmentUpdated('evt_traced', '1', KEY);
      const res = await request(`${base}/webhooks/assignments`, {
        method: 'POST',
        body: d.body,
        headers: { ...d.headers, traceparent: `00-${SENDER_TRACE}-${SENDER_SPAN}-01` },
      });
      expect(res.statusCode).toBe(200);
      await res.body.text();
      await subscriber.inbox.next('assignments://1');
    } finally {
      await subscriber.close();
    }
    const delivery = await traceA.exporter.waitFor('webhook assignments');
    const notifiedOnB = await traceB.exporter.waitFor('notifications/resources/updated');
    const notifiedOnA = await traceA.exporter.waitFor('notifications/resources/updated');

    expect(delivery.kind).toBe(SpanKind.SERVER);
    expect(delivery.spanContext().traceId).toBe(SENDER_TRACE);
    expect(parentOf(delivery)).toBe(SENDER_SPAN);
    expect(delivery.attributes).toMatchObject({
      'conduit.webhook.endpoint': 'assignments',
      'conduit.webhook.outcome': 'accepted',
      'http.response.status_code': 200,
    });
    expect(delivery.events.find((e) => e.name === 'conduit.cache.invalidate')?.attributes).toEqual({
      'conduit.cache.tags': ['assignment:1'],
    });
    for (const n of [notifiedOnA, notifiedOnB]) {
      expect(n.attributes).toMatchObject({
        'mcp.method.name': 'notifications/resources/updated',
        'mcp.resource.uri': 'assignments://1',
        'conduit.change.source': 'webhook',
      });
      expect(n.links.map((l) => [l.context.traceId, l.context.spanId])).toEqual([
        [SENDER_TRACE, idOf(delivery)],
      ]);
    }
    // B's span was made from the message that came over Redis: B never saw the delivery itself.
    expect(traceB.byName('webhook assignments')).toEqual([]);
  });
});
