import { once } from 'node:events';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestConfigInput } from '../helpers/gateway-config.js';
import { type RedisHandle, startRedis } from '../helpers/redis-server.js';
import { connectV2 } from '../mcp/helpers/clients.js';
import { closeInstance, type Instance, startInstance } from '../scale/helpers/cluster.js';

/**
 * An items API whose GETs the test holds: each GET reads the item when it arrives (as a real upstream
 * reads its database) and answers only when released, so an update can land in between.
 */
async function startSlowItems() {
  const items = new Map([['1', { id: '1', title: 'v1' }]]);
  const held: { res: ServerResponse; body: string }[] = [];
  const arrivals: (() => void)[] = [];
  let holding = true;
  const server = createServer(async (req, res) => {
    for await (const _ of req) {
      // drain
    }
    const id = (req.url ?? '').split('/')[2] ?? '';
    const item = items.get(id);
    if (!item) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{}');
      return;
    }
    if (req.method === 'PUT') {
      item.title = 'v2';
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(item));
      return;
    }
    if (!holding) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(item));
      return;
    }
    held.push({ res, body: JSON.stringify(item) });
    for (const w of arrivals.splice(0)) w();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    /** Resolves once `n` GETs are being held. */
    async heldGets(n: number) {
      while (held.length < n) await new Promise<void>((r) => arrivals.push(r));
    },
    /** Answers every held GET with what it read on arrival; later GETs are answered at once. */
    releaseAll() {
      holding = false;
      for (const h of held.splice(0))
        h.res.writeHead(200, { 'content-type': 'application/json' }).end(h.body);
    },
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

type Upstream = Awaited<ReturnType<typeof startSlowItems>>;

function config(upstreamUrl: string, redisUrl: string): TestConfigInput {
  return {
    server: { name: 'race-gateway', version: '1.0.0', http: { stateless: true } },
    cache: { prefix: 'gwrace', redis: { url: redisUrl } },
    upstreams: { items: { baseUrl: upstreamUrl, timeouts: { total: 10_000 } } },
    tools: [
      {
        name: 'get_item',
        upstream: 'items',
        method: 'GET',
        path: '/items/{id}',
        input: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
        cache: { ttl: 60_000, key: 'item:{id}', tags: ['item:{id}'] },
      },
      {
        name: 'update_item',
        upstream: 'items',
        method: 'PUT',
        path: '/items/{id}',
        input: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
        invalidates: { tags: ['item:{id}'] },
      },
    ],
  };
}

interface Result {
  isError?: boolean;
  structuredContent?: { title?: string };
}

let redis: RedisHandle;
let upstream: Upstream;
let instances: Instance[];

beforeAll(async () => {
  [redis, upstream] = await Promise.all([startRedis(), startSlowItems()]);
  const c = config(upstream.url, redis.url);
  instances = [await startInstance(c), await startInstance(c)];
});

afterAll(async () => {
  await Promise.allSettled((instances ?? []).map(closeInstance));
  await upstream?.close();
  await redis?.stop();
});

describe('two gateway instances on one Redis, a slow upstream', () => {
  it('gets in flight during an update do not bring the old version back: every read after it is new', async () => {
    const [a, b] = await Promise.all(instances.map((i) => connectV2(i.url, 'modern')));
    try {
      const get = (client: typeof a) =>
        client!.callTool({ name: 'get_item', arguments: { id: '1' } }) as Promise<Result>;
      // A read on each instance reaches the upstream and is held there, having read v1.
      const inFlight = [get(b!), get(a!)];
      await upstream.heldGets(2);
      const updated = (await a!.callTool({ name: 'update_item', arguments: { id: '1' } })) as Result;
      expect(updated.isError).toBeFalsy();
      upstream.releaseAll();
      // The overtaken reads may answer their own callers with what they read.
      for (const r of await Promise.all(inFlight)) expect(r.structuredContent?.title).toBe('v1');
      // Every read after the update, on either instance, repeatedly: the new version.
      for (let i = 0; i < 3; i++) {
        for (const client of [a!, b!]) {
          const r = await get(client);
          expect(r.structuredContent?.title).toBe('v2');
        }
      }
    } finally {
      await Promise.all([a?.close(), b?.close()]);
    }
  });
});
