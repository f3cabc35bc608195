import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createCache } from '../../src/cache/index.js';
import { ManualClock } from '../../src/core/index.js';
import { type RunningGateway, startGateway } from '../../src/mcp/index.js';
import { startRedis, type RedisHandle } from '../helpers/redis-server.js';
import { connectV2, textOf } from './helpers/clients.js';
import { startUpstream, type Upstream } from './helpers/upstream.js';
import type { TestConfigInput } from '../helpers/gateway-config.js';
import { testConfig } from '../helpers/gateway-config.js';

interface Result {
  isError?: boolean;
  structuredContent?: Record<string, unknown>;
  content: { type: string; text?: string }[];
  _meta?: Record<string, unknown>;
}

function cachedConfig(baseUrl: string, redisUrl?: string): TestConfigInput {
  return {
    server: { name: 'cache-test' },
    cache: {
      prefix: `t${Math.random().toString(36).slice(2, 8)}`,
      ...(redisUrl ? { redis: { url: redisUrl } } : {}),
    },
    upstreams: { assignments: { baseUrl, retry: { maxAttempts: 1 }, timeouts: { total: 5000 } } },
    tools: [
      {
        name: 'get_assignment',
        upstream: 'assignments',
        method: 'GET',
        path: '/assignments/{id}',
        input: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
        cache: { ttl: 1000, key: 'assignment:{id}', tags: ['assignments'], staleIfError: 60_000 },
      },
      {
        name: 'list_user_assignments',
        upstream: 'assignments',
        method: 'GET',
        path: '/users/{userId}/assignments',
        input: { type: 'object', properties: { userId: { type: 'string' } }, required: ['userId'] },
        cache: {
          ttl: 1000,
          key: 'user-assignments:{userId}',
          tags: ['user:{userId}'],
          staleWhileRevalidate: 60_000,
        },
      },
      {
        name: 'update_assignment',
        upstream: 'assignments',
        method: 'PUT',
        path: '/assignments/{id}',
        input: {
          type: 'object',
          properties: { id: { type: 'string' }, title: { type: 'string' }, userId: { type: 'string' } },
          required: ['id', 'userId'],
        },
        params: { userId: 'body' },
        invalidates: { keys: ['assignment:{id}'], tags: ['user:{userId}'] },
      },
    ],
  };
}

const cacheMeta = (r: Result) => r._meta?.['conduit/cache'];

describe('cached tools (memory cache, manual clock)', () => {
  let upstream: Upstream;
  let gateway: RunningGateway;
  let clock: ManualClock;
  let client: Awaited<ReturnType<typeof connectV2>>;
  const call = (name: string, args: Record<string, unknown>) =>
    client.callTool({ name, arguments: args }) as Promise<Result>;

  beforeAll(async () => {
    upstream = await startUpstream();
  });
  afterAll(async () => {
    await upstream?.close();
  });
  beforeEach(async () => {
    upstream.setFault({ kind: 'none' });
    clock = new ManualClock(Date.now());
    gateway = await startGateway(testConfig(cachedConfig(upstream.url)), {
      transport: 'http',
      clock,
      progressIntervalMs: 0,
    });
    client = await connectV2(gateway.url!, 'legacy');
    return async () => {
      await client.close();
      await gateway.close();
    };
  });

  it('answers a miss from the upstream, then a hit from L1, and says which', async () => {
    const before = upstream.count('/assignments/1');
    const miss = await call('get_assignment', { id: '1' });
    expect(cacheMeta(miss)).toEqual({ source: 'upstream', stale: false, ttlMs: 1000, cacheScope: 'public' });
    const hit = await call('get_assignment', { id: '1' });
    expect(cacheMeta(hit)).toEqual({
      source: 'cache',
      layer: 'l1',
      stale: false,
      ttlMs: 1000,
      cacheScope: 'public',
    });
    expect(hit.structuredContent).toEqual(miss.structuredContent);
    expect(upstream.count('/assignments/1')).toBe(before + 1);
    // Another key is its own entry.
    expect(cacheMeta(await call('get_assignment', { id: '2' }))).toMatchObject({ source: 'upstream' });
  });

  it('an update invalidates the entry and the user list it names', async () => {
    await call('get_assignment', { id: '2' });
    await call('list_user_assignments', { userId: 'u1' });
    expect(cacheMeta(await call('list_user_assignments', { userId: 'u1' }))).toMatchObject({
      source: 'cache',
    });
    const updated = await call('update_assignment', { id: '2', userId: 'u1', title: 'Renamed' });
    expect(updated.isError).toBeFalsy();
    const fresh = await call('get_assignment', { id: '2' });
    expect(cacheMeta(fresh)).toMatchObject({ source: 'upstream' });
    expect(fresh.structuredContent).toMatchObject({ title: 'Renamed' });
    const list = await call('list_user_assignments', { userId: 'u1' });
    expect(cacheMeta(list)).toMatchObject({ source: 'upstream' });
    expect(JSON.stringify(list.structuredContent)).toContain('Renamed');
  });

  it('a failed update invalidates nothing', async () => {
    await call('get_assignment', { id: '1' });
    upstream.setFault({ kind: 'status', status: 500 });
    expect((await call('update_assignment', { id: '1', userId: 'u1', title: 'x' })).isError).toBe(true);
    upstream.setFault({ kind: 'none' });
    expect(cacheMeta(await call('get_assignment', { id: '1' }))).toMatchObject({ source: 'cache' });
  });

  it('serves stale data when the upstream fails after the TTL, and says it is stale', async () => {
    const first = await call('get_assignment', { id: '1' });
    await clock.advanceAsync(2000);
    upstream.setFault({ kind: 'status', status: 503 });
    const stale = await call('get_assignment', { id: '1' });
    expect(stale.isError).toBeFalsy();
    // Past its freshness already: a client may not keep it (2026-07-28 ttlMs 0).
    expect(cacheMeta(stale)).toMatchObject({ source: 'cache', stale: true, ttlMs: 0, cacheScope: 'public' });
    expect(stale.structuredContent).toEqual(first.structuredContent);
    expect(textOf(stale)).toContain('stale');
  });

  it('without stale data an upstream failure is a tool error', async () => {
    upstream.setFault({ kind: 'status', status: 503 });
    const r = await call('get_assignment', { id: '2' });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toContain('HTTP 503');
  });

  it('stale-while-revalidate answers at once and refreshes in the background', async () => {
    await call('list_user_assignments', { userId: 'u1' });
    await clock.advanceAsync(2000);
    const refreshed = upstream.nextRequest();
    const r = await call('list_user_assignments', { userId: 'u1' });
    expect(cacheMeta(r)).toMatchObject({ source: 'cache', stale: true });
    expect((await refreshed).url).toBe('/users/u1/assignments');
  });

  it('on a 2026-07-28 client too, the refresh outlives the request its stale answer ended', async () => {
    // Each 2026-07-28 request ends its own signal once answered: the refresh it started must not hang on it.
    const modern = await connectV2(gateway.url!, 'modern');
    try {
      const get = async () =>
        (await modern.callTool({ name: 'list_user_assignments', arguments: { userId: 'u1' } })) as Result;
      await get();
      await clock.advanceAsync(2000);
      upstream.setFault({ kind: 'hang' });
      const refreshed = upstream.nextRequest();
      expect(cacheMeta(await get())).toMatchObject({ source: 'cache', stale: true });
      expect((await refreshed).url).toBe('/users/u1/assignments');
      upstream.setFault({ kind: 'none' });
      upstream.release({ items: [{ id: '1', title: 'Refreshed', userId: 'u1', done: false }] });
      // Stale until the refresh lands in L1, then its answer from the cache.
      let r = await get();
      while ((cacheMeta(r) as { stale?: boolean }).stale === true) r = await get();
      expect(cacheMeta(r)).toMatchObject({ source: 'cache', stale: false });
      expect(JSON.stringify(r.structuredContent)).toContain('Refreshed');
    } finally {
      await modern.close();
    }
  });
});

describe('cached tools across two instances sharing Redis', () => {
  let redis: RedisHandle;
  let upstream: Upstream;
  beforeAll(async () => {
    [redis, upstream] = await Promise.all([startRedis(), startUpstream()]);
  });
  afterAll(async () => {
    await upstream?.close();
    await redis?.stop();
  });

  it('the second instance answers from L2, and an update on one invalidates both', async () => {
    const config = cachedConfig(upstream.url, redis.url);
    const a = await startGateway(testConfig(config), { transport: 'http' });
    // Instance b's cache built here (same prefix and Redis as config.cache) so the test can wait for
    // its bus events; the gateway closes it.
    const cacheB = createCache({ prefix: config.cache!.prefix!, l2: { url: redis.url } });
    await cacheB.ready(); // subscribed to the bus before a publishes anything
    const b = await startGateway(testConfig(config), { transport: 'http', cache: cacheB });
    const ca = await connectV2(a.url!, 'legacy');
    const cb = await connectV2(b.url!, 'modern');
    try {
      const before = upstream.count('/assignments/1');
      const miss = (await ca.callTool({ name: 'get_assignment', arguments: { id: '1' } })) as Result;
      expect(cacheMeta(miss)).toMatchObject({ source: 'upstream' });
      const l2 = (await cb.callTool({ name: 'get_assignment', arguments: { id: '1' } })) as Result;
      expect(cacheMeta(l2)).toEqual({
        source: 'cache',
        layer: 'l2',
        stale: false,
        ttlMs: 1000,
        cacheScope: 'public',
      });
      expect(upstream.count('/assignments/1')).toBe(before + 1);
      // Pub/sub is asynchronous: b evicts its L1 copy when a's 'del' message arrives, so wait for it
      // rather than hope it lands before the next call.
      const evicted = new Promise<void>((resolve) => {
        const off = cacheB.on('busMessage', (e) => {
          if (e.type === 'del') {
            off();
            resolve();
          }
        });
      });
      await ca.callTool({ name: 'update_assignment', arguments: { id: '1', userId: 'u1', title: 'Via A' } });
      await evicted;
      const after = (await cb.callTool({ name: 'get_assignment', arguments: { id: '1' } })) as Result;
      expect(cacheMeta(after)).toMatchObject({ source: 'upstream' });
      expect(after.structuredContent).toMatchObject({ title: 'Via A' });
    } finally {
      await Promise.allSettled([ca.close(), cb.close()]);
      await Promise.all([a.close(), b.close()]);
    }
  });
});
