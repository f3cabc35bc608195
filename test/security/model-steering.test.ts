import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.js';
import { type RunningGateway, startGateway } from '../../src/mcp/index.js';
import { connectV1, connectV2, textOf } from '../mcp/helpers/clients.js';

interface Result {
  isError?: boolean;
  structuredContent?: unknown;
  content: { type: string; text?: string }[];
  _meta?: Record<string, Record<string, unknown>>;
}
interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

const KEY = 'upstream-key-4be19d07';
const TOKENS = { acme: 'acme-token-0123456789', climber: 'climber-token-0123456789' };

/** A recording server on 127.0.0.1; `answer` decides each response from the path. */
async function recording(
  answer: (path: string, url: URL, origin: string) => { body: unknown; link?: string },
) {
  const seen: Seen[] = [];
  let origin = '';
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    seen.push({
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      headers: req.headers,
      body: Buffer.concat(chunks).toString('utf8'),
    });
    const url = new URL(req.url ?? '/', 'http://x');
    const { body, link } = answer(url.pathname, url, origin);
    res.writeHead(200, { 'content-type': 'application/json', ...(link ? { link } : {}) });
    res.end(JSON.stringify(body));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    seen,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

let elsewhere: Awaited<ReturnType<typeof recording>>;
let upstream: Awaited<ReturnType<typeof recording>>;
let gw: RunningGateway;

beforeAll(async () => {
  elsewhere = await recording(() => ({ body: [{ secret: true }] }));
  // A hostile upstream under /v1: its next links point off the base path or to another host, its
  // cursor tries to climb out of the query.
  upstream = await recording((path, url, origin) => {
    if (path === '/v1/to-other')
      return { body: [{ id: 1 }], link: `<${elsewhere.origin}/steal>; rel="next"` };
    if (path === '/v1/to-admin') return { body: [{ id: 1 }], link: `<${origin}/admin/export>; rel="next"` };
    if (path === '/v1/cursor-items')
      return url.searchParams.has('after')
        ? { body: { items: [{ id: 2 }], next: null } }
        : { body: { items: [{ id: 1 }], next: '../../admin?steal=1#x' } };
    return { body: { ok: true } };
  });
  const config = parseConfig(
    `
server:
  http:
    authTokens:
      - { token: ${TOKENS.acme}, sub: alice, claims: { tenant: acme } }
      - { token: ${TOKENS.climber}, sub: mallory, claims: { tenant: ".." } }
upstreams:
  api:
    baseUrl: ${upstream.origin}/v1
    headers: { x-api-key: "\${API_KEY}" }
tools:
  - { name: to_other, upstream: api, path: /to-other, pagination: { style: link } }
  - { name: to_admin, upstream: api, path: /to-admin, pagination: { style: link } }
  - name: by_cursor
    upstream: api
    path: /cursor-items
    pagination: { style: cursor, cursorParam: after, nextCursor: next }
  - name: create_item
    upstream: api
    method: POST
    path: /items
    input: { type: object, properties: { title: { type: string } }, required: [title] }
    confirm: true
  - name: tenant_items
    upstream: api
    path: /t/{tenant}/items
    allowUnlistedArguments: true
    input: { type: object, properties: { q: { type: string } } }
    params: { x-tenant: header }
    fixed: { tenant: "{auth.claims.tenant}", x-tenant: "{auth.claims.tenant}", api-version: "2024-01-01" }
  - name: mine
    upstream: api
    path: /u/{auth.sub}/items
    allowUnlistedArguments: true
    input: { type: object, properties: {} }
`,
    { env: { API_KEY: KEY } },
  );
  gw = await startGateway(config, { transport: 'http', port: 0 });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
  await elsewhere?.close();
});

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const eras: [
  string,
  (token: string) => Promise<{ callTool(p: unknown): Promise<unknown>; close(): Promise<void> }>,
][] = [
  ['v2 client, 2026-07-28', (t) => connectV2(gw.url!, 'modern', bearer(t)) as never],
  ['v1 client', (t) => connectV1(gw.url!, bearer(t)) as never],
];

describe.each(eras)('nothing a model passes steers the request (%s)', (_, connect) => {
  let client: Awaited<ReturnType<(typeof eras)[number][1]>>;
  const call = (name: string, args: Record<string, unknown> = {}) =>
    client.callTool({ name, arguments: args }) as Promise<Result>;
  beforeAll(async () => {
    client = await connect(TOKENS.acme);
  });
  afterAll(async () => {
    await client?.close();
  });

  it.each(['to_other', 'to_admin'])(
    '%s: a cursor made of a hostile next link goes nowhere and carries no credential',
    async (name) => {
      const first = await call(name);
      expect(first.isError, textOf(first)).toBeFalsy();
      const cursor = first._meta?.['conduit/page']?.nextCursor as string;
      const before = upstream.seen.length;
      const followed = await call(name, { cursor });
      expect(followed.isError).toBe(true);
      expect(followed._meta?.['conduit/error']?.code).toBe('INVALID_PATH');
      expect(elsewhere.seen).toEqual([]);
      expect(upstream.seen.length).toBe(before);
      expect(JSON.stringify(followed)).not.toContain(KEY);
    },
  );

  it('an upstream cursor that looks like a path stays one encoded query value', async () => {
    const first = await call('by_cursor');
    const cursor = first._meta?.['conduit/page']?.nextCursor as string;
    const next = await call('by_cursor', { cursor });
    expect(next.isError, textOf(next)).toBeFalsy();
    const sent = new URL(upstream.seen.at(-1)!.url, 'http://x');
    expect(sent.pathname).toBe('/v1/cursor-items');
    expect([...sent.searchParams]).toEqual([['after', '../../admin?steal=1#x']]);
  });

  it('confirm is never sent upstream, neither in the body nor the query', async () => {
    const got = await call('create_item', { title: 'a', confirm: true });
    expect(got.isError, textOf(got)).toBeFalsy();
    const sent = upstream.seen.at(-1)!;
    expect(sent.method).toBe('POST');
    expect(sent.url).toBe('/v1/items');
    expect(JSON.parse(sent.body)).toEqual({ title: 'a' });
  });

  it('a fixed parameter wins over the same name passed where unlisted arguments are allowed, path and header too', async () => {
    const got = await call('tenant_items', {
      q: 'x',
      tenant: 'globex',
      'x-tenant': 'globex',
      'api-version': 'evil',
    });
    expect(got.isError, textOf(got)).toBeFalsy();
    const sent = upstream.seen.at(-1)!;
    const url = new URL(sent.url, 'http://x');
    expect(url.pathname).toBe('/v1/t/acme/items');
    expect(url.searchParams.getAll('api-version')).toEqual(['2024-01-01']);
    expect(sent.headers['x-tenant']).toBe('acme');
    expect(sent.headers['x-api-key']).toBe(KEY);
  });

  it('an unlisted argument cannot stand in for the caller in the path', async () => {
    const got = await call('mine', { _auth0: 'bob', 'auth.sub': 'bob' });
    expect(got.isError, textOf(got)).toBeFalsy();
    expect(new URL(upstream.seen.at(-1)!.url, 'http://x').pathname).toBe('/v1/u/alice/items');
  });
});

describe('a claim filled into a fixed path parameter', () => {
  it('cannot climb out of its segment: INVALID_PATH, nothing sent', async () => {
    const client = await connectV2(gw.url!, 'modern', bearer(TOKENS.climber));
    try {
      const before = upstream.seen.length;
      const got = (await client.callTool({ name: 'tenant_items', arguments: { q: 'x' } })) as Result;
      expect(got.isError).toBe(true);
      expect(got._meta?.['conduit/error']?.code).toBe('INVALID_PATH');
      expect(upstream.seen.length).toBe(before);
    } finally {
      await client.close();
    }
  });
});
