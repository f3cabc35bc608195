import { once } from 'node:events';
import { createServer } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningGateway, startGateway } from '../../src/mcp/index.js';
import { testConfig, type ToolInput } from '../helpers/gateway-config.js';
import { connectV1, connectV2, modernAndV1, textOf } from './helpers/clients.js';
import { type ListUpstream, makeItems, startListUpstream } from './helpers/list-upstream.js';
import { serveOpenApi } from './helpers/serve-files.js';

interface Client {
  callTool(p: unknown): Promise<unknown>;
  close(): Promise<void>;
}
interface Result {
  isError?: boolean;
  structuredContent?: unknown;
  content: { type: string; text?: string }[];
  _meta?: Record<string, Record<string, unknown>>;
}

const tool = (name: string, path: string, extra: Partial<ToolInput> = {}): ToolInput => ({
  name,
  upstream: 'list',
  path,
  ...extra,
});

/** `got` is cut by maxItems to its first `shown` of `total` items, and says so in _meta and text. */
function expectCutToItems(got: Result, shown: number, total: number) {
  expect(got._meta?.['conduit/truncated']).toEqual({
    reason: 'maxItems',
    limit: shown,
    shownItems: shown,
    totalItems: total,
  });
  expect(textOf(got)).toContain(`[truncated: showing ${shown} of ${total} items (maxItems ${shown} items)`);
}

/** `hit` is answered from the cache with what `first` said, its cut included. */
function expectSameFromCache(hit: Result, first: Result) {
  expect(hit._meta?.['conduit/cache']).toMatchObject({ source: 'cache' });
  expect(hit.structuredContent).toEqual(first.structuredContent);
  expect(hit._meta?.['conduit/truncated']).toEqual(first._meta?.['conduit/truncated']);
}

let upstream: ListUpstream;
let big: ListUpstream;
let gateway: RunningGateway;
beforeAll(async () => {
  upstream = await startListUpstream(makeItems(35));
  // ~6 MB as one JSON list: over the HTTP client's 4 MiB default.
  big = await startListUpstream(makeItems(1200, 5000));
  gateway = await startGateway(
    testConfig({
      upstreams: { list: { baseUrl: upstream.url }, big: { baseUrl: big.url } },
      tools: [
        tool('picked', '/all', { shape: { pick: ['id', 'title'] } }),
        tool('omitted', '/object', { shape: { omit: ['secret', 'owner.email'] } }),
        tool('first_five', '/items', {
          input: { type: 'object', properties: { per_page: { type: 'integer' } } },
          shape: { pick: ['items[].id', 'items[].owner.login', 'total'], maxItems: 5 },
          cache: { ttl: '1m' },
        }),
        tool('kilobyte', '/all', { shape: { maxBytes: '1KiB' } }),
        tool('tokens', '/all', { shape: { maxTokens: 100, omit: ['body'] } }),
        tool('tiny_object', '/object', { shape: { maxBytes: 40 } }),
        { name: 'big_shaped', upstream: 'big', path: '/all', shape: { maxBytes: '64KiB' } },
        { name: 'big_plain', upstream: 'big', path: '/all' },
        {
          name: 'big_page',
          upstream: 'big',
          path: '/offset-items',
          pagination: { style: 'offset', pageSize: 1000 },
          shape: { maxItems: 5 },
        },
      ],
    }),
    { transport: 'http' },
  );
});
afterAll(async () => {
  await gateway?.close();
  await upstream?.close();
  await big?.close();
});

const clients: [string, () => Promise<Client>][] = [
  ['v2 client, 2026-07-28', () => connectV2(gateway.url!, 'modern') as Promise<Client>],
  ['v1 client', () => connectV1(gateway.url!) as Promise<Client>],
];

/** The answer's list, in either era (2025-era clients get a list wrapped as { result }). */
const listOf = (r: Result): Record<string, unknown>[] =>
  (Array.isArray(r.structuredContent)
    ? r.structuredContent
    : (r.structuredContent as { result: unknown[] }).result) as never;

describe.each(clients)('answer shaping (%s)', (_, connect) => {
  let client: Client;
  const call = (name: string, args: Record<string, unknown> = {}) =>
    client.callTool({ name, arguments: args }) as Promise<Result>;
  beforeAll(async () => {
    client = await connect();
  });
  afterAll(async () => {
    await client?.close();
  });

  it('pick keeps only the named paths of every list entry', async () => {
    const got = await call('picked');
    expect(got.isError, textOf(got)).toBeFalsy();
    const list = listOf(got);
    expect(list).toHaveLength(35);
    for (const entry of list) expect(Object.keys(entry).sort()).toEqual(['id', 'title']);
    expect(JSON.parse(textOf(got))).toEqual(list);
    expect(got._meta?.['conduit/truncated']).toBeUndefined();
  });

  it('omit drops nested paths and leaves the rest', async () => {
    const got = await call('omitted');
    expect(got.structuredContent).toEqual({
      id: 1,
      title: 'item 1',
      body: 'x'.repeat(40),
      owner: { login: 'user0' },
    });
  });

  it('maxItems cuts the list visibly, says what was dropped, and a cached hit says the same', async () => {
    const before = upstream.count('/items');
    const first = await call('first_five', { per_page: 35 });
    expect(first.isError, textOf(first)).toBeFalsy();
    const value = first.structuredContent as { items: Record<string, unknown>[]; total: number };
    expect(value.total).toBe(35);
    expect(value.items).toEqual(
      [1, 2, 3, 4, 5].map((id) => ({ id, owner: { login: `user${(id - 1) % 3}` } })),
    );
    expectCutToItems(first, 5, 35);
    expectSameFromCache(await call('first_five', { per_page: 35 }), first);
    expect(upstream.count('/items')).toBeLessThanOrEqual(before + 1);
  });

  it('maxBytes keeps the leading entries whose JSON fits the cap', async () => {
    const got = await call('kilobyte');
    const list = listOf(got);
    const json = textOf(got).split('\n[truncated')[0]!;
    expect(Buffer.byteLength(json)).toBeLessThanOrEqual(1024);
    expect(JSON.parse(json)).toEqual(list);
    // One more entry would not have fitted.
    const next = JSON.stringify(upstream.items.slice(0, list.length + 1));
    expect(Buffer.byteLength(next)).toBeGreaterThan(1024);
    expect(list.map((e) => e.id)).toEqual(upstream.items.slice(0, list.length).map((i) => i.id));
    expect(got._meta?.['conduit/truncated']).toMatchObject({
      reason: 'maxBytes',
      limit: 1024,
      shownItems: list.length,
      totalItems: 35,
    });
  });

  it('maxTokens caps at 4 bytes of JSON a token, after omit', async () => {
    const got = await call('tokens');
    const list = listOf(got);
    expect(Buffer.byteLength(textOf(got).split('\n[truncated')[0]!)).toBeLessThanOrEqual(400);
    expect(list.length).toBeGreaterThan(0);
    for (const entry of list) expect(entry).not.toHaveProperty('body');
    expect(got._meta?.['conduit/truncated']).toMatchObject({
      reason: 'maxTokens',
      limit: 100,
      totalItems: 35,
    });
  });

  it('an answer without a list is cut as text, marked, without structured content', async () => {
    const got = await call('tiny_object');
    expect(got.isError).toBeFalsy();
    expect(got.structuredContent).toBeUndefined();
    const cut = textOf(got).split('\n[truncated')[0]!;
    expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(40);
    expect(JSON.stringify({ ...upstream.items[0], secret: 'internal' }).startsWith(cut)).toBe(true);
    expect(got._meta?.['conduit/truncated']).toMatchObject({
      reason: 'maxBytes',
      limit: 40,
      shownBytes: cut.length,
    });
  });

  it('a body over the client’s 4 MiB default is cut for a shaped tool, and RESPONSE_TOO_LARGE for an unshaped one', async () => {
    const shaped = await call('big_shaped');
    expect(shaped.isError, textOf(shaped).slice(0, 200)).toBeFalsy();
    expect(shaped._meta?.['conduit/truncated']).toMatchObject({ reason: 'maxBytes', totalItems: 1200 });
    expect(Buffer.byteLength(textOf(shaped))).toBeLessThan(70 * 1024);
    const plain = await call('big_plain');
    expect(plain.isError).toBe(true);
    expect(JSON.stringify(plain)).toContain('RESPONSE_TOO_LARGE');
  });
});

describe.each(clients)('a paginated tool with a cap (%s)', (_, connect) => {
  it('cuts a page over the client’s 4 MiB default and resumes after it through the cursor', async () => {
    const client = await connect();
    try {
      const first = (await client.callTool({ name: 'big_page', arguments: {} })) as Result;
      expect(first.isError, textOf(first).slice(0, 300)).toBeFalsy();
      const cut = first._meta?.['conduit/truncated'] as { nextCursor?: string; totalItems?: number };
      expect(cut).toMatchObject({ reason: 'maxItems', shownItems: 5, totalItems: 1000 });
      expect((first.structuredContent as { items: { id: number }[] }).items.map((i) => i.id)).toEqual([
        1, 2, 3, 4, 5,
      ]);
      const next = (await client.callTool({
        name: 'big_page',
        arguments: { cursor: cut.nextCursor },
      })) as Result;
      expect((next.structuredContent as { items: { id: number }[] }).items.map((i) => i.id)).toEqual([
        6, 7, 8, 9, 10,
      ]);
    } finally {
      await client.close();
    }
  });
});

describe('hostile upstream answers cannot break shaping', () => {
  // Raw bodies, exactly as a hostile or broken upstream would send them.
  const many = `[${Array.from({ length: 2_500_000 }, (_, i) => i % 10).join(',')}]`;
  const bodies: Record<string, { type: string; body: string }> = {
    '/proto': {
      type: 'application/json',
      body: '{"__proto__":{"items":[1,2,3],"polluted":true},"id":1,"secret":"s","constructor":{"name":"c"}}',
    },
    '/big-first-entry': {
      type: 'application/json',
      body: JSON.stringify([{ body: 'x'.repeat(5000) }, { body: 'y' }]),
    },
    '/many': { type: 'application/json', body: many },
    '/multibyte': { type: 'application/json', body: JSON.stringify('é'.repeat(100)) },
    '/not-a-list': { type: 'application/json', body: '{"items":{"length":5,"0":"a"},"data":7}' },
    '/text': { type: 'text/plain', body: 'line\n'.repeat(2000) },
  };
  let hostile: { url: string; close(): Promise<void> };
  let gw: RunningGateway;
  beforeAll(async () => {
    const server = createServer((req, res) => {
      if (req.url === '/runaway') {
        // 40 MiB of one list, in 1 MiB writes: more than any shaped tool reads.
        res.writeHead(200, { 'content-type': 'application/json' });
        const chunk = '0,'.repeat(512 * 1024);
        res.write('[');
        for (let i = 0; i < 40 && !res.destroyed; i++) res.write(chunk);
        res.end('0]');
        return;
      }
      const answer = bodies[(req.url ?? '/').split('?')[0]!];
      res.writeHead(answer ? 200 : 404, { 'content-type': answer?.type ?? 'text/plain' });
      res.end(answer?.body ?? 'no such route');
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as { port: number };
    hostile = {
      url: `http://127.0.0.1:${port}`,
      close: () =>
        new Promise<void>((r) => {
          server.closeAllConnections();
          server.close(() => r());
        }),
    };
    const on = (name: string, path: string, shape: ToolInput['shape']): ToolInput => ({
      name,
      upstream: 'hostile',
      path,
      shape,
    });
    gw = await startGateway(
      testConfig({
        upstreams: { hostile: { baseUrl: hostile.url } },
        tools: [
          on('proto', '/proto', { omit: ['secret'], maxItems: 1 }),
          on('big_first_entry', '/big-first-entry', { maxBytes: '1KiB' }),
          on('many', '/many', { maxItems: 3 }),
          on('multibyte', '/multibyte', { maxBytes: 11 }),
          on('not_a_list', '/not-a-list', { maxItems: 1, maxBytes: 1000 }),
          on('text', '/text', { maxBytes: 100 }),
          on('runaway', '/runaway', { maxItems: 3, maxBytes: '1KiB' }),
        ],
      }),
      { transport: 'http' },
    );
  });
  afterAll(async () => {
    await gw?.close();
    await hostile?.close();
  });

  const eras: [string, () => Promise<Client>][] = [
    ['v2 client, 2026-07-28', () => connectV2(gw.url!, 'modern') as Promise<Client>],
    ['v1 client', () => connectV1(gw.url!) as Promise<Client>],
  ];

  it.each(eras)(
    'a "__proto__" key is data: kept as it came, never read as the list or a prototype (%s)',
    async (_, connect) => {
      const client = await connect();
      try {
        const got = (await client.callTool({ name: 'proto', arguments: {} })) as Result;
        expect(got.isError, textOf(got)).toBeFalsy();
        expect(textOf(got)).toBe(
          '{"__proto__":{"items":[1,2,3],"polluted":true},"id":1,"constructor":{"name":"c"}}',
        );
        expect(got._meta?.['conduit/truncated']).toBeUndefined();
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      } finally {
        await client.close();
      }
    },
  );

  it.each(eras)(
    'odd answers are cut visibly or passed as they are, never a failed call (%s)',
    async (_, connect) => {
      const client = await connect();
      const call = (name: string) => client.callTool({ name, arguments: {} }) as Promise<Result>;
      try {
        // A list whose first entry alone is over the cap: its text is cut.
        const big = await call('big_first_entry');
        expect(big.isError, textOf(big)).toBeFalsy();
        expect(big.structuredContent).toBeUndefined();
        expect(big._meta?.['conduit/truncated']).toMatchObject({ reason: 'maxBytes', shownBytes: 1024 });

        // Over 4 MiB of list with only a list cap: cut to three entries, not RESPONSE_TOO_LARGE.
        const lots = await call('many');
        expect(lots.isError, textOf(lots).slice(0, 300)).toBeFalsy();
        expect(listOf(lots)).toEqual([0, 1, 2]);
        expect(lots._meta?.['conduit/truncated']).toMatchObject({
          reason: 'maxItems',
          shownItems: 3,
          totalItems: 2_500_000,
        });

        // A cut never splits a character: 11 bytes hold five 2-byte ones.
        const text = await call('multibyte');
        const cut = textOf(text).split('\n[truncated')[0]!;
        expect(cut).toBe('é'.repeat(5));
        expect(text._meta?.['conduit/truncated']).toMatchObject({ shownBytes: 10, totalBytes: 200 });

        // Something named items that is not a list is no list to cut.
        const odd = await call('not_a_list');
        expect(odd.isError, textOf(odd)).toBeFalsy();
        expect(odd.structuredContent).toEqual({ items: { length: 5, '0': 'a' }, data: 7 });
        expect(odd._meta?.['conduit/truncated']).toBeUndefined();

        // Past the 32 MiB ceiling a capped tool still refuses to read on.
        const runaway = await call('runaway');
        expect(runaway.isError).toBe(true);
        expect(runaway._meta?.['conduit/error']?.code).toBe('RESPONSE_TOO_LARGE');

        // A text answer is cut as text.
        const plain = await call('text');
        expect(textOf(plain).split('\n[truncated')[0]).toBe('line\n'.repeat(20));
        expect(plain._meta?.['conduit/truncated']).toMatchObject({ shownBytes: 100, totalBytes: 10_000 });
      } finally {
        await client.close();
      }
    },
  );
});

describe('OpenAPI tools: overrides.<operationId>.shape', () => {
  it.each(modernAndV1)(
    'picks, caps and marks the generated tool’s answer, cached shaped (%s)',
    async (_, connect) => {
      const served = await serveOpenApi(
        upstream.url,
        {
          '/items': {
            get: {
              operationId: 'listItems',
              parameters: [{ name: 'per_page', in: 'query', schema: { type: 'integer' } }],
              responses: { '200': { description: 'ok' } },
            },
          },
        },
        {
          cache: { ttl: '1m' },
          overrides: { listItems: { shape: { pick: ['items[].id', 'total'], maxItems: 3 } } },
        },
      );
      const client = await connect(served.gateway.url!);
      try {
        const before = upstream.count('/items');
        const first = (await client.callTool({ name: 'listItems', arguments: { per_page: 20 } })) as Result;
        expect(first.isError, textOf(first)).toBeFalsy();
        expect(first.structuredContent).toEqual({ items: [{ id: 1 }, { id: 2 }, { id: 3 }], total: 35 });
        expectCutToItems(first, 3, 20);
        const hit = (await client.callTool({ name: 'listItems', arguments: { per_page: 20 } })) as Result;
        expectSameFromCache(hit, first);
        expect(upstream.count('/items')).toBe(before + 1);
      } finally {
        await client.close();
        await served.close();
      }
    },
  );
});

describe('a changed shape on reload', () => {
  it('is what the next call shows, though the answer is cached: never the old cut, never the stored wrapper', async () => {
    const config = (shape: ToolInput['shape']) =>
      testConfig({
        upstreams: { list: { baseUrl: upstream.url } },
        tools: [tool('cached_list', '/items', { cache: { ttl: '1h' }, ...(shape ? { shape } : {}) })],
      });
    const gw = await startGateway(config({ maxItems: 2 }), { transport: 'http' });
    const client = (await connectV2(gw.url!, 'modern')) as Client;
    const items = async () => {
      const got = (await client.callTool({ name: 'cached_list', arguments: {} })) as Result;
      expect(got.isError, textOf(got)).toBeFalsy();
      return got;
    };
    try {
      expect((await items()).structuredContent).toMatchObject({ items: [{ id: 1 }, { id: 2 }] });
      const hit = await items();
      expect(hit._meta?.['conduit/cache']).toMatchObject({ source: 'cache' });

      expect((await gw.gateway.reload(config({ maxItems: 3 }))).outcome).toBe('applied');
      const three = await items();
      expect((three.structuredContent as { items: unknown[] }).items).toHaveLength(3);
      expect(three._meta?.['conduit/truncated']).toMatchObject({ limit: 3 });

      expect((await gw.gateway.reload(config(undefined))).outcome).toBe('applied');
      const plain = await items();
      expect(plain.structuredContent).not.toHaveProperty('conduit/shaped');
      expect((plain.structuredContent as { items: unknown[]; total: number }).items).toHaveLength(10);
      expect(plain._meta?.['conduit/truncated']).toBeUndefined();
      // And back to a shape: the unshaped answer cached meanwhile is not served as it is.
      expect((await gw.gateway.reload(config({ maxItems: 2 }))).outcome).toBe('applied');
      expect((await items())._meta?.['conduit/truncated']).toMatchObject({ limit: 2 });
    } finally {
      await client.close();
      await gw.close();
    }
  });
});

describe('a capped tool on an upstream whose maxResponseBytes is past the shaped ceiling', () => {
  it('reads up to the upstream’s limit, not the 32 MiB ceiling, and cuts the answer', async () => {
    // 33 MiB of text in 1 MiB writes: over the ceiling, under the upstream's 40 MiB.
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      const chunk = 'x'.repeat(1024 * 1024);
      for (let i = 0; i < 33 && !res.destroyed; i++) res.write(chunk);
      res.end();
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as { port: number };
    const gw = await startGateway(
      testConfig({
        upstreams: { roomy: { baseUrl: `http://127.0.0.1:${port}`, maxResponseBytes: '40MiB' } },
        tools: [{ name: 'long_text', upstream: 'roomy', path: '/text', shape: { maxBytes: 100 } }],
      }),
      { transport: 'http' },
    );
    const client = (await connectV2(gw.url!, 'modern')) as Client;
    try {
      const got = (await client.callTool({ name: 'long_text', arguments: {} })) as Result;
      expect(got.isError, textOf(got).slice(0, 300)).toBeFalsy();
      expect(got._meta?.['conduit/truncated']).toMatchObject({
        shownBytes: 100,
        totalBytes: 33 * 1024 * 1024,
      });
    } finally {
      await client.close();
      await gw.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
