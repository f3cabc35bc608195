import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { toNodeHandler } from '@modelcontextprotocol/node';
import { createMcpHandler } from '@modelcontextprotocol/server';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { assignmentsTools, createAssignmentsServer } from '../../examples/assignments-server.js';
import { type AssignmentsUpstream, startAssignmentsUpstream } from '../../src/demo/index.js';
import { connectV1, connectV2, textOf } from './helpers/clients.js';

interface Result {
  isError?: boolean;
  structuredContent?: Record<string, unknown>;
  content: { type: string; text?: string }[];
  _meta?: Record<string, unknown>;
}

// The bundled API, as `npx tsx examples/assignments-api.ts` serves it (bearer token "demo-token").
const TOKEN = 'demo-token';
let upstream: AssignmentsUpstream;
let tools: ReturnType<typeof assignmentsTools>;
let http: Server;
let url: string;

beforeAll(async () => {
  upstream = await startAssignmentsUpstream({ token: TOKEN });
  tools = assignmentsTools({ assignmentsUrl: upstream.url, token: TOKEN });
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
beforeEach(() => upstream.setFault(undefined));

const routeCount = (route: string) => upstream.stats().byRoute[route] ?? 0;

describe('examples/assignments-server.ts run as docs/gateway.md says, against the bundled API', () => {
  it('answers over stdio with the token and URL from the environment', async () => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: ['--import', 'tsx', 'examples/assignments-server.ts'],
      cwd: new URL('../../', import.meta.url).pathname,
      env: { PATH: process.env.PATH ?? '', ASSIGNMENTS_URL: upstream.url },
      stderr: 'pipe',
    });
    const client = new Client({ name: 'example-test', version: '1.0.0' });
    await client.connect(transport);
    try {
      const r = (await client.callTool({ name: 'get_assignment', arguments: { id: 'a2' } })) as Result;
      expect(textOf(r)).not.toMatch(/error/i);
      expect(r.isError).toBeFalsy();
      expect(r.structuredContent).toMatchObject({ id: 'a2', userId: 'u2', status: 'in_progress' });
    } finally {
      await client.close();
    }
  });
});

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
    upstream.reset();
    await tools.cache.delete('assignment:a1');
    await tools.cache.delete('user-assignments:u1');
    tools.breaker.reset();
  });
  afterAll(async () => {
    await client?.close();
  });

  it('get_assignment answers from the cache on the second call and says so', async () => {
    const before = routeCount('GET /assignments/{id}');
    const miss = await call('get_assignment', { id: 'a1' });
    expect(miss.isError).toBeFalsy();
    expect(miss._meta?.['conduit/cache']).toMatchObject({ source: 'upstream' });
    expect(miss.structuredContent).toMatchObject({ id: 'a1', userId: 'u1', status: 'todo' });
    const hit = await call('get_assignment', { id: 'a1' });
    expect(hit._meta?.['conduit/cache']).toMatchObject({ source: 'cache', layer: 'l1' });
    expect(hit.structuredContent).toEqual(miss.structuredContent);
    expect(routeCount('GET /assignments/{id}')).toBe(before + 1);
  });

  it('rejects invalid input naming the field', async () => {
    const r = await call('get_assignment', { id: 7 });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/Input validation error.*id: Invalid input: expected string/);
  });

  it('update_assignment clears the entry and the user list', async () => {
    await call('get_assignment', { id: 'a1' });
    await call('list_user_assignments', { userId: 'u1' });
    const title = `Updated ${Math.random()}`;
    const updated = await call('update_assignment', { id: 'a1', userId: 'u1', title, status: 'done' });
    expect(updated.isError, textOf(updated)).toBeFalsy();
    const item = await call('get_assignment', { id: 'a1' });
    expect(item._meta?.['conduit/cache']).toMatchObject({ source: 'upstream' });
    expect(item.structuredContent).toMatchObject({ title, status: 'done' });
    const list = await call('list_user_assignments', { userId: 'u1' });
    expect(list._meta?.['conduit/cache']).toMatchObject({ source: 'upstream' });
    expect(JSON.stringify(list.structuredContent)).toContain(title);
  });

  it('count_assignments falls back while the API fails, then fails fast once the breaker opens', async () => {
    const live = await call('count_assignments', { status: 'todo' });
    expect(live.structuredContent).toEqual({
      status: 'todo',
      total: upstream.assignments().filter((a) => a.status === 'todo').length,
    });
    upstream.setFault({ kind: 'error', status: 503 });
    for (let i = 0; i < 3; i++) {
      const r = await call('count_assignments', { status: 'todo' });
      expect(r.isError).toBeFalsy();
      expect(r.structuredContent).toEqual({ status: 'todo', total: null, degraded: true });
      expect(r._meta?.['conduit/cache']).toMatchObject({ source: 'fallback' });
      expect(r._meta?.['conduit/fallback']).toContain('HTTP 503');
    }
    const seen = routeCount('GET /assignments');
    const fast = await call('count_assignments', { status: 'todo' });
    expect(fast.structuredContent).toMatchObject({ degraded: true });
    expect(fast._meta?.['conduit/fallback']).toContain('circuit breaker is open');
    expect(routeCount('GET /assignments')).toBe(seen); // the open breaker spared the upstream
  });

  it('create_assignment retries with backoff under one Idempotency-Key, creating once', async () => {
    const before = upstream.stats();
    upstream.setFault({
      kind: 'error',
      status: 503,
      times: 2,
      match: { method: 'POST', pathPrefix: '/assignments' },
    });
    const r = await call('create_assignment', { userId: 'u3', title: 'Report' });
    expect(r.isError, textOf(r)).toBeFalsy();
    expect(r.structuredContent).toMatchObject({ userId: 'u3', title: 'Report', status: 'todo' });
    const after = upstream.stats();
    expect((after.byRoute['POST /assignments'] ?? 0) - (before.byRoute['POST /assignments'] ?? 0)).toBe(3);
    expect(after.created - before.created).toBe(1);
    expect(upstream.assignments().filter((a) => a.title === 'Report')).toHaveLength(1);
  });
});
