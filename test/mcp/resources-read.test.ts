import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/index.js';
import {
  createGateway,
  createMemoryChangeFeed,
  type Gateway,
  type RunningGateway,
  type ResourceChange,
  startGateway,
} from '../../src/mcp/index.js';
import { connectV1, connectV2 } from './helpers/clients.js';
import { assignmentsConfig } from './helpers/config.js';
import { startUpstream, type Upstream } from './helpers/upstream.js';
import { connectStdio, resourcesConfig } from './resources-helpers.js';
import { testConfig } from '../helpers/gateway-config.js';

let upstream: Upstream;
let gateway: Gateway;
let http: RunningGateway;

beforeAll(async () => {
  upstream = await startUpstream();
  gateway = createGateway(testConfig(resourcesConfig(upstream.url)), { progressIntervalMs: 0 });
  http = await startGateway(testConfig(resourcesConfig(upstream.url)), { transport: 'http' });
});

afterAll(async () => {
  await http?.close();
  await gateway?.close();
  await upstream?.close();
});

const expected = { id: '1', title: 'Write tests', userId: 'u1', done: false };

describe('configured resource templates', () => {
  it('lists assignments://{id} in resources/templates/list and conduit://health in resources/list', async () => {
    const c = await connectStdio(gateway, 'v2-legacy');
    try {
      const { resourceTemplates } = await c.client!.listResourceTemplates();
      expect(resourceTemplates).toEqual([
        expect.objectContaining({
          uriTemplate: 'assignments://{id}',
          name: 'assignment',
          mimeType: 'application/json',
        }),
      ]);
      const { resources } = await c.client!.listResources();
      expect(resources.map((r) => r.uri)).toEqual(['conduit://health']);
    } finally {
      await c.close();
    }
  });

  it('reading assignments://1 calls get_assignment and returns its JSON (stdio, both eras)', async () => {
    for (const era of ['v2-modern', 'v2-legacy'] as const) {
      const c = await connectStdio(gateway, era);
      try {
        const before = upstream.count('/assignments/1');
        const { contents } = await c.client!.readResource({ uri: 'assignments://1' });
        expect(contents).toHaveLength(1);
        expect(contents[0]).toMatchObject({ uri: 'assignments://1', mimeType: 'application/json' });
        expect(JSON.parse((contents[0] as { text: string }).text)).toEqual(expected);
        expect(upstream.count('/assignments/1')).toBe(before + 1);
      } finally {
        await c.close();
      }
    }
  });

  it('reads over Streamable HTTP with the v1 and the modern v2 client', async () => {
    const v1 = await connectV1(http.url!);
    const v2 = await connectV2(http.url!, 'modern');
    try {
      for (const client of [v1, v2]) {
        const { contents } = await client.readResource({ uri: 'assignments://2' });
        expect(JSON.parse((contents[0] as { text: string }).text)).toMatchObject({
          id: '2',
          title: 'Ship it',
        });
      }
    } finally {
      await v1.close();
      await v2.close();
    }
  });

  it("an upstream 404 is a read error carrying the tool's message", async () => {
    const c = await connectStdio(gateway, 'v2-legacy');
    try {
      await expect(c.client!.readResource({ uri: 'assignments://404' })).rejects.toThrow(
        /assignments:\/\/404.*get_assignment.*404/s,
      );
    } finally {
      await c.close();
    }
  });

  it("a read the tool refuses as bad input is invalid params carrying the tool's error code (a URI of '..')", async () => {
    const c = await connectStdio(gateway, 'v2-legacy');
    try {
      for (const uri of ['assignments://..', 'assignments://%2e%2e']) {
        const err = (await c.client!.readResource({ uri }).catch((e: unknown) => e)) as {
          code?: number;
          data?: { code?: string };
        };
        expect(err.code).toBe(-32602);
        expect(err.data?.code).toBe('INVALID_PATH');
      }
    } finally {
      await c.close();
    }
  });

  it('a template naming an unknown tool is refused with a ConfigError naming it', () => {
    const config = {
      ...assignmentsConfig(upstream.url),
      resources: { templates: [{ uriTemplate: 'x://{id}', name: 'x', tool: 'nope' }] },
    };
    expect(() => createGateway(testConfig(config))).toThrow(ConfigError);
    expect(() => createGateway(testConfig(config))).toThrow(/resources\.templates\[0\].*"nope"/);
  });

  it('without a resources or webhooks section nothing extra is served', async () => {
    const plain = createGateway(testConfig(assignmentsConfig(upstream.url)));
    try {
      const server = plain.createServer();
      expect(server.server.getCapabilities().resources).toBeUndefined();
      expect(plain.toolNames).not.toContain('recent_changes');
    } finally {
      await plain.close();
    }
  });
});

describe('conduit://health', () => {
  it('has every upstream with its breaker snapshot, cache stats (null without cache) and extra sections', async () => {
    gateway.health.set('webhooks', () => ({ accepted: 3, rejected: { signature: 1 } }));
    const c = await connectStdio(gateway, 'v2-legacy');
    try {
      const { contents } = await c.client!.readResource({ uri: 'conduit://health' });
      expect(contents[0]).toMatchObject({ uri: 'conduit://health', mimeType: 'application/json' });
      const health = JSON.parse((contents[0] as { text: string }).text);
      expect(Object.keys(health.upstreams)).toEqual(['assignments']);
      expect(health.upstreams.assignments.breaker).toMatchObject({ state: 'closed' });
      expect(health.cache).toBeNull();
      expect(health.webhooks).toEqual({ accepted: 3, rejected: { signature: 1 } });
      expect(typeof health.at).toBe('number');
    } finally {
      await c.close();
    }
  });

  it('reports cache statistics when tools are cached', async () => {
    const base = resourcesConfig(upstream.url);
    base.tools[0] = { ...base.tools[0]!, cache: { ttl: 60_000 } };
    const cached = createGateway(testConfig(base));
    const c = await connectStdio(cached, 'v2-legacy');
    try {
      await c.client!.callTool({ name: 'get_assignment', arguments: { id: '1' } });
      await c.client!.callTool({ name: 'get_assignment', arguments: { id: '1' } });
      const { contents } = await c.client!.readResource({ uri: 'conduit://health' });
      const health = JSON.parse((contents[0] as { text: string }).text);
      expect(health.cache).toMatchObject({ hits: 1, misses: 1 });
    } finally {
      await c.close();
      await cached.close();
    }
  });
});

describe('recent_changes', () => {
  it('pages through changes by cursor, oldest first, and an up-to-date cursor gives an empty page', async () => {
    const own = createGateway(testConfig(resourcesConfig(upstream.url)));
    const c = await connectStdio(own, 'v2-modern');
    try {
      for (let i = 1; i <= 5; i++)
        await own.changes.publish({ uri: `assignments://${i}`, source: 't', at: i });
      const call = async (args: Record<string, unknown>) =>
        (await c.client!.callTool({ name: 'recent_changes', arguments: args })).structuredContent as {
          changes: ResourceChange[];
          cursor: string;
        };
      const first = await call({ limit: 2 });
      expect(first.changes.map((x) => x.uri)).toEqual(['assignments://1', 'assignments://2']);
      const second = await call({ cursor: first.cursor, limit: 2 });
      expect(second.changes.map((x) => x.uri)).toEqual(['assignments://3', 'assignments://4']);
      const third = await call({ cursor: second.cursor });
      expect(third.changes.map((x) => x.uri)).toEqual(['assignments://5']);
      const empty = await call({ cursor: third.cursor });
      expect(empty).toEqual({ changes: [], cursor: third.cursor });
      await own.changes.publish({ uri: 'assignments://6', source: 't', at: 6, event: 'e' });
      expect((await call({ cursor: third.cursor })).changes).toEqual([
        { uri: 'assignments://6', source: 't', at: 6, event: 'e' },
      ]);
      const bad = await c.client!.callTool({ name: 'recent_changes', arguments: { limit: 0 } });
      expect(bad.isError).toBe(true);
    } finally {
      await c.close();
      await own.close();
    }
  });

  it('the ring keeps the newest `capacity` changes; paging from any cursor yields them in order (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 0, max: 30 }),
        fc.integer({ min: 1, max: 5 }),
        async (capacity, n, limit) => {
          const feed = createMemoryChangeFeed({ capacity });
          for (let i = 0; i < n; i++) await feed.publish({ uri: `u://${i}`, source: 's', at: i });
          const seen: number[] = [];
          let cursor: string | undefined;
          for (;;) {
            const page = feed.since(cursor, limit);
            expect(page.changes.length).toBeLessThanOrEqual(limit);
            if (page.changes.length === 0) break;
            seen.push(...page.changes.map((c) => c.at));
            cursor = page.cursor;
          }
          const kept = Array.from({ length: Math.min(n, capacity) }, (_, i) => n - Math.min(n, capacity) + i);
          expect(seen).toEqual(kept);
        },
      ),
      { numRuns: 100 },
    );
  });
});
