import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type RunningGateway, startGateway } from '../../src/mcp/index.js';
import { connectV1, connectV2, textOf } from './helpers/clients.js';
import { assignmentsConfig } from './helpers/config.js';
import { startUpstream, type Upstream } from './helpers/upstream.js';
import { testConfig } from '../helpers/gateway-config.js';

type AnyClient = {
  callTool(params: { name: string; arguments?: Record<string, unknown> }): Promise<unknown>;
  listTools(): Promise<{ tools: { name: string; inputSchema: unknown }[] }>;
  close(): Promise<void>;
};

interface Result {
  isError?: boolean;
  structuredContent?: Record<string, unknown>;
  content: { type: string; text?: string }[];
  _meta?: Record<string, unknown>;
}

let upstream: Upstream;
let gateway: RunningGateway;

/** The shared gateway of this file; its breaker is pinned (the tests here inject failures on purpose). */
function sharedConfig(url: string, extra: Parameters<typeof assignmentsConfig>[1]) {
  const c = assignmentsConfig(url, extra);
  c.upstreams.assignments!.breaker = { failureThreshold: 5 };
  return c;
}

beforeAll(async () => {
  upstream = await startUpstream();
  gateway = await startGateway(
    testConfig(
      sharedConfig(upstream.url, [
        {
          name: 'slow_assignment',
          upstream: 'assignments',
          method: 'GET',
          path: '/assignments/{id}',
          input: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
          timeout: 150,
        },
        {
          name: 'create_assignment',
          upstream: 'assignments',
          method: 'POST',
          path: '/assignments',
          input: {
            type: 'object',
            properties: {
              title: { type: 'string' },
              userId: { type: 'string' },
              'x-request-id': { type: 'string' },
            },
            required: ['title'],
          },
          params: { 'x-request-id': 'header' },
        },
        {
          name: 'plain_text',
          upstream: 'assignments',
          method: 'GET',
          path: '/text',
        },
      ]),
    ),
    { transport: 'http' },
  );
});

afterAll(async () => {
  await gateway?.close();
  await upstream?.close();
});

beforeEach(() => upstream.setFault({ kind: 'none' }));

const clients: [string, () => Promise<AnyClient>][] = [
  ['v2 client, 2025 handshake (sessions)', () => connectV2(gateway.url!, 'legacy') as Promise<AnyClient>],
  ['v2 client, 2026-07-28', () => connectV2(gateway.url!, 'modern') as Promise<AnyClient>],
  ['v1 client', () => connectV1(gateway.url!) as Promise<AnyClient>],
];

describe.each(clients)('gateway over Streamable HTTP with the %s', (_label, connect) => {
  let client: AnyClient;
  const call = (name: string, args: Record<string, unknown>) =>
    client.callTool({ name, arguments: args }) as Promise<Result>;

  beforeAll(async () => {
    client = await connect();
  });
  afterAll(async () => {
    await client?.close();
  });

  it('lists the configured tools with their JSON Schema input', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(
      [
        'create_assignment',
        'echo',
        'get_assignment',
        'plain_text',
        'slow_assignment',
        'update_assignment',
      ].sort(),
    );
    const get = tools.find((t) => t.name === 'get_assignment')!;
    expect(get.inputSchema).toMatchObject({ properties: { id: { type: 'string' } }, required: ['id'] });
  });

  it('returns the upstream JSON as structuredContent and text, saying it came from the upstream', async () => {
    const before = upstream.count('/assignments/1');
    const r = await call('get_assignment', { id: '1' });
    expect(r.isError).toBeFalsy();
    expect(r.structuredContent).toEqual(upstream.assignments.get('1'));
    expect(JSON.parse(textOf(r))).toEqual(upstream.assignments.get('1'));
    expect(r._meta?.['conduit/cache']).toEqual({ source: 'upstream', stale: false });
    expect(upstream.count('/assignments/1')).toBe(before + 1);
  });

  it('rejects invalid input naming the field, before any upstream call', async () => {
    const before = upstream.seen.length;
    const missing = await call('get_assignment', {});
    expect(missing.isError).toBe(true);
    expect(textOf(missing)).toContain('field "id" is required');
    const tooBig = await call('echo', { limit: 1000 });
    expect(tooBig.isError).toBe(true);
    expect(textOf(tooBig)).toContain('field "limit" must be <= 100');
    const extra = await call('get_assignment', { id: '1', nope: true });
    expect(textOf(extra)).toContain('field "nope" is not allowed');
    expect(upstream.seen.length).toBe(before);
  });

  it('maps arguments to path, query, header and JSON body', async () => {
    const echo = await call('echo', { q: 'a b&c', 'x-trace': 'trace-1', tags: ['x', 'y'] });
    const seenEcho = upstream.seen.at(-1)!;
    expect(seenEcho.url).toBe('/echo?q=a%20b%26c&tags=x&tags=y');
    expect(seenEcho.headers['x-trace']).toBe('trace-1');
    expect(echo.structuredContent?.query).toMatchObject({ q: 'a b&c' });

    const created = await call('create_assignment', {
      title: 'New one',
      userId: 'u9',
      'x-request-id': 'r-1',
    });
    expect(created.isError).toBeFalsy();
    const seenPost = upstream.seen.at(-1)!;
    expect(seenPost.method).toBe('POST');
    expect(JSON.parse(seenPost.body)).toEqual({ title: 'New one', userId: 'u9' });
    expect(seenPost.headers['x-request-id']).toBe('r-1');
    expect(created.structuredContent).toMatchObject({ title: 'New one', userId: 'u9' });

    const path = await call('get_assignment', { id: '../echo' });
    // The id stays one encoded path segment: no escape to another route.
    expect(upstream.seen.at(-1)!.url).toBe('/assignments/..%2Fecho');
    expect(path.isError).toBe(true);
  });

  it('passes text through; a non-object answer is wrapped as { result } only before 2026-07-28', async () => {
    const r = await call('plain_text', {});
    expect(r.isError).toBeFalsy();
    expect(textOf(r)).toBe('plain words');
    expect(r.structuredContent).toEqual(
      _label.includes('2026-07-28') ? 'plain words' : { result: 'plain words' },
    );
  });

  it('reports an upstream error status with an excerpt and what to do', async () => {
    const notFound = await call('get_assignment', { id: '404' });
    expect(notFound.isError).toBe(true);
    expect(textOf(notFound)).toMatch(/answered HTTP 404 .*assignment 404 not found.*check the arguments/);
    expect(notFound._meta?.['conduit/error']).toMatchObject({ code: 'HTTP_STATUS', status: 404 });

    upstream.setFault({ kind: 'status', status: 503, body: '{"error":"maintenance until noon"}' });
    const down = await call('get_assignment', { id: '1' });
    expect(down.isError).toBe(true);
    expect(textOf(down)).toContain('HTTP 503');
    expect(textOf(down)).toContain('maintenance until noon');
    expect(textOf(down)).toContain('retry later');
  });

  it('reports a timeout with its phase as a tool error, not a protocol error', async () => {
    upstream.setFault({ kind: 'hang' });
    const closed = upstream.nextClose();
    const r = await call('slow_assignment', { id: '1' });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/did not answer in time: the total timeout of 150 ms expired/);
    expect(r._meta?.['conduit/error']).toMatchObject({ code: 'TIMEOUT' });
    await closed; // the gateway gave up on the upstream request too
  });
});

describe('gateway errors that are not the upstream answering', () => {
  it('reports an unreachable upstream as a tool error', async () => {
    const dead = await startUpstream();
    const deadUrl = dead.url;
    await dead.close();
    const gw = await startGateway(testConfig(assignmentsConfig(deadUrl)), { transport: 'http' });
    try {
      const client = await connectV2(gw.url!, 'legacy');
      const r = (await client.callTool({ name: 'get_assignment', arguments: { id: '1' } })) as Result;
      expect(r.isError).toBe(true);
      expect(textOf(r)).toMatch(
        /^Could not reach upstream "assignments": GET \S+ failed: the connection was refused/,
      );
      // The cause's code once: the text is read by a model and a person, not matched on.
      expect(textOf(r).split('ECONNREFUSED').length).toBe(2);
      await client.close();
    } finally {
      await gw.close();
    }
  });

  it('never puts upstream secrets in tool results', async () => {
    const config = assignmentsConfig(upstream.url);
    config.upstreams.assignments!.auth = { type: 'query', name: 'api_key', value: 'sekret-query-value' };
    config.upstreams.viaHeader = {
      baseUrl: upstream.url,
      auth: { type: 'bearer', token: 'sekret-bearer-token' },
    };
    config.tools.push({
      name: 'echo_bearer',
      upstream: 'viaHeader',
      method: 'GET',
      path: '/assignments/{id}',
      input: { type: 'object', properties: { id: { type: 'string' } } },
    });
    const gw = await startGateway(testConfig(config), { transport: 'http' });
    try {
      const client = await connectV2(gw.url!, 'legacy');
      const notFound = (await client.callTool({
        name: 'get_assignment',
        arguments: { id: 'nope' },
      })) as Result;
      expect(notFound.isError).toBe(true);
      expect(upstream.seen.at(-1)!.url).toContain('api_key=sekret-query-value'); // it was sent…
      expect(JSON.stringify(notFound)).not.toContain('sekret-query-value'); // …but is not shown
      upstream.setFault({ kind: 'status', status: 500 });
      const failed = (await client.callTool({ name: 'echo_bearer', arguments: { id: '1' } })) as Result;
      expect(upstream.seen.at(-1)!.headers.authorization).toBe('Bearer sekret-bearer-token');
      expect(JSON.stringify(failed)).not.toContain('sekret-bearer-token');
      await client.close();
    } finally {
      await gw.close();
    }
  });

  it('refuses a config whose tool names an unknown upstream', async () => {
    const config = assignmentsConfig('http://127.0.0.1:1');
    config.tools[0]!.upstream = 'nope';
    await expect(startGateway(testConfig(config), { transport: 'http' })).rejects.toThrow(
      /names upstream "nope"/,
    );
  });

  it('refuses a path parameter that is not an input property', async () => {
    const config = assignmentsConfig('http://127.0.0.1:1');
    config.tools[0]!.path = '/assignments/{assignmentId}';
    await expect(startGateway(testConfig(config), { transport: 'http' })).rejects.toThrow(/\{assignmentId\}/);
  });
});
