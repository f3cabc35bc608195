import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { toNodeHandler } from '@modelcontextprotocol/node';
import { createMcpHandler } from '@modelcontextprotocol/server';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { assignmentsTools, createAssignmentsServer } from '../../examples/assignments-server.js';
import { connectV1, connectV2, textOf } from './helpers/clients.js';
import { startUpstream, type Upstream } from './helpers/upstream.js';

interface Result {
  isError?: boolean;
  structuredContent?: Record<string, unknown>;
  content: { type: string; text?: string }[];
  _meta?: Record<string, unknown>;
}

let upstream: Upstream;
let tools: ReturnType<typeof assignmentsTools>;
let http: Server;
let url: string;

beforeAll(async () => {
  upstream = await startUpstream();
  tools = assignmentsTools({ assignmentsUrl: upstream.url });
  // Stateless serving: every era and client version against the same factory.
  const handler = createMcpHandler(() => createAssignmentsServer(tools));
  const serve = toNodeHandler(handler);
  http = createServer((req, res) => void serve(req, res));
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`;
});
afterAll(async () => {
  http?.closeAllConnections();
  await new Promise<void>((r) => (http ? http.close(() => r()) : r()));
  await tools?.close();
  await upstream?.close();
});
beforeEach(() => upstream.setFault({ kind: 'none' }));

describe.each([
  ['v2 client, 2025 handshake', () => connectV2(url, 'legacy')],
  ['v2 client, 2026-07-28', () => connectV2(url, 'modern')],
  ['v1 client', () => connectV1(url)],
])('examples/assignments-server.ts with the %s', (_label, connect) => {
  let client: Awaited<ReturnType<typeof connect>>;
  const call = (name: string, args: Record<string, unknown>) =>
    client.callTool({ name, arguments: args }) as Promise<Result>;
  beforeAll(async () => {
    client = await connect();
    await tools.cache.delete('assignment:1');
    await tools.cache.delete('user-assignments:u1');
    tools.breaker.reset();
  });
  afterAll(async () => {
    await client?.close();
  });

  it('get_assignment answers from the cache on the second call and says so', async () => {
    const before = upstream.count('/assignments/1');
    const miss = await call('get_assignment', { id: '1' });
    expect(miss._meta?.['conduit/cache']).toMatchObject({ source: 'upstream' });
    const hit = await call('get_assignment', { id: '1' });
    expect(hit._meta?.['conduit/cache']).toMatchObject({ source: 'cache', layer: 'l1' });
    expect(hit.structuredContent).toEqual(miss.structuredContent);
    expect(upstream.count('/assignments/1')).toBe(before + 1);
  });

  it('rejects invalid input naming the field', async () => {
    const r = await call('get_assignment', { id: 7 });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/Input validation error.*id: Invalid input: expected string/);
  });

  it('update_assignment clears the entry and the user list', async () => {
    await call('get_assignment', { id: '1' });
    await call('list_user_assignments', { userId: 'u1' });
    const title = `Updated ${Math.random()}`;
    expect((await call('update_assignment', { id: '1', userId: 'u1', title })).isError).toBeFalsy();
    const item = await call('get_assignment', { id: '1' });
    expect(item._meta?.['conduit/cache']).toMatchObject({ source: 'upstream' });
    expect(item.structuredContent).toMatchObject({ title });
    const list = await call('list_user_assignments', { userId: 'u1' });
    expect(list._meta?.['conduit/cache']).toMatchObject({ source: 'upstream' });
    expect(JSON.stringify(list.structuredContent)).toContain(title);
  });

  it('get_external_data falls back while the service fails, then fails fast once the breaker opens', async () => {
    const live = await call('get_external_data', { resource: 'weather' });
    expect(live.structuredContent).toEqual({ resource: 'weather', data: 'live data for weather' });
    upstream.setFault({ kind: 'status', status: 503 });
    for (let i = 0; i < 3; i++) {
      const r = await call('get_external_data', { resource: 'weather' });
      expect(r.isError).toBeFalsy();
      expect(r.structuredContent).toEqual({ resource: 'weather', data: null, degraded: true });
      expect(r._meta?.['conduit/cache']).toMatchObject({ source: 'fallback' });
      expect(r._meta?.['conduit/fallback']).toContain('HTTP 503');
    }
    const seen = upstream.count('/external/');
    const fast = await call('get_external_data', { resource: 'weather' });
    expect(fast.structuredContent).toMatchObject({ degraded: true });
    expect(fast._meta?.['conduit/fallback']).toContain('circuit breaker is open');
    expect(upstream.count('/external/')).toBe(seen); // the open breaker spared the upstream
  });

  it('create_external_resource retries with backoff under one Idempotency-Key', async () => {
    const before = upstream.count('/resources');
    upstream.setFault({ kind: 'status', status: 503, times: 2 });
    const r = await call('create_external_resource', { name: 'report' });
    expect(r.isError).toBeFalsy();
    expect(r.structuredContent).toMatchObject({ name: 'report' });
    const posts = upstream.seen.filter((s) => s.url === '/resources').slice(before);
    expect(posts).toHaveLength(3);
    const keys = new Set(posts.map((p) => p.headers['idempotency-key']));
    expect(keys.size).toBe(1);
    expect([...keys][0]).toMatch(/\S{8,}/);
  });
});
