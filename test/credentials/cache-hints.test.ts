import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningGateway, startGateway } from '../../src/mcp/index.js';
import { testConfig } from '../helpers/gateway-config.js';
import { startRecordingUpstream } from '../helpers/token-endpoint.js';
import { connectV1, connectV2 } from '../mcp/helpers/clients.js';

describe('2026-07-28 caching fields from the tool cache policy', () => {
  let api: Awaited<ReturnType<typeof startRecordingUpstream>>;
  let gw: RunningGateway;
  beforeAll(async () => {
    api = await startRecordingUpstream(() => true);
    gw = await startGateway(
      testConfig({
        upstreams: { api: { baseUrl: api.url, auth: { type: 'bearer', token: 'static-token-1234' } } },
        tools: [
          {
            name: 'get_item',
            upstream: 'api',
            path: '/items/{id}',
            input: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
            cache: { ttl: '90s' },
          },
          {
            name: 'get_mine',
            upstream: 'api',
            path: '/mine/{id}',
            input: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
            cache: { ttl: '45s', scope: 'private' },
          },
          {
            name: 'get_live',
            upstream: 'api',
            path: '/live/{id}',
            input: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
          },
        ],
        resources: {
          templates: [
            { uriTemplate: 'items://{id}', name: 'item', tool: 'get_item' },
            { uriTemplate: 'live://{id}', name: 'live', tool: 'get_live' },
            { uriTemplate: 'mine://{id}', name: 'mine', tool: 'get_mine' },
          ],
        },
      }),
      { transport: 'http' },
    );
  });
  afterAll(async () => {
    await gw?.close();
    await api?.close();
  });

  it('a read of a cached tool carries its ttl and scope on 2026-07-28; an uncached one the safe defaults', async () => {
    const client = await connectV2(gw.url!, 'modern');
    try {
      const cached = (await client.readResource({ uri: 'items://1' })) as Record<string, unknown>;
      expect(cached).toMatchObject({ ttlMs: 90_000, cacheScope: 'public' });
      const live = (await client.readResource({ uri: 'live://1' })) as Record<string, unknown>;
      expect(live).toMatchObject({ ttlMs: 0, cacheScope: 'private' });
      // A private tool's answer is the caller's: a shared cache in front of the gateway may not keep it.
      const mine = (await client.readResource({ uri: 'mine://1' })) as Record<string, unknown>;
      expect(mine).toMatchObject({ ttlMs: 45_000, cacheScope: 'private' });
    } finally {
      await client.close();
    }
  });

  it('2025-era clients read the same resources unchanged', async () => {
    for (const client of [await connectV1(gw.url!), await connectV2(gw.url!, 'legacy')]) {
      try {
        const { contents } = await client.readResource({ uri: 'items://2' });
        expect(JSON.parse((contents[0] as { text: string }).text)).toMatchObject({ path: '/items/2' });
      } finally {
        await client.close();
      }
    }
  });
});

describe('2026-07-28 caching fields and the policy', () => {
  let api: Awaited<ReturnType<typeof startRecordingUpstream>>;
  let gw: RunningGateway;
  const input = { type: 'object' as const, properties: { id: { type: 'string' } }, required: ['id'] };
  beforeAll(async () => {
    api = await startRecordingUpstream(() => true);
    gw = await startGateway(
      testConfig({
        server: {
          http: {
            authTokens: [{ token: 'admin-hints-token-0123', sub: 'ada', claims: { groups: ['admin'] } }],
          },
        },
        upstreams: { api: { baseUrl: api.url, auth: { type: 'bearer', token: 'static-token-1234' } } },
        tools: [
          { name: 'get_item', upstream: 'api', path: '/items/{id}', input, cache: { ttl: '90s' } },
          { name: 'get_report', upstream: 'api', path: '/reports/{id}', input, cache: { ttl: '90s' } },
        ],
        resources: {
          templates: [
            { uriTemplate: 'items://{id}', name: 'item', tool: 'get_item' },
            { uriTemplate: 'audit://{id}', name: 'audit', tool: 'get_item' },
            { uriTemplate: 'reports://{id}', name: 'report', tool: 'get_report' },
          ],
        },
        policy: {
          default: 'allow',
          rules: [
            { tools: ['get_report'], when: { groups: ['admin'] } },
            { resources: ['audit'], when: { groups: ['admin'] } },
          ],
        },
      }),
      { transport: 'http' },
    );
  });
  afterAll(async () => {
    await gw?.close();
    await api?.close();
  });

  it('an answer only some callers may see is hinted private, even where the gateway shares it', async () => {
    const client = await connectV2(gw.url!, 'modern', { authorization: 'Bearer admin-hints-token-0123' });
    try {
      // Open to every caller: a shared cache may keep it.
      expect(await client.readResource({ uri: 'items://1' })).toMatchObject({ cacheScope: 'public' });
      const open = await client.callTool({ name: 'get_item', arguments: { id: '1' } });
      expect((open._meta as Record<string, { cacheScope?: string }>)['conduit/cache']?.cacheScope).toBe(
        'public',
      );
      // Kept to admins by the policy: a shared cache would hand it to the others.
      const kept = await client.callTool({ name: 'get_report', arguments: { id: '1' } });
      expect(kept.isError).toBeFalsy();
      expect((kept._meta as Record<string, { cacheScope?: string }>)['conduit/cache']).toMatchObject({
        cacheScope: 'private',
        ttlMs: 90_000,
      });
      expect(await client.readResource({ uri: 'reports://1' })).toMatchObject({
        cacheScope: 'private',
        ttlMs: 90_000,
      });
      // A resource rule narrows a read of an open tool.
      expect(await client.readResource({ uri: 'audit://1' })).toMatchObject({ cacheScope: 'private' });
    } finally {
      await client.close();
    }
  });
});
