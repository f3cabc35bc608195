import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.js';
import { type RunningGateway, startGateway } from '../../src/mcp/index.js';
import { testConfig, type ToolInput } from '../helpers/gateway-config.js';
import { connectV1, connectV2, modernAndV1, textOf } from './helpers/clients.js';
import { type ListUpstream, makeItems, startListUpstream } from './helpers/list-upstream.js';
import { serveFiles } from './helpers/serve-files.js';

interface Client {
  listTools(): Promise<unknown>;
  callTool(p: unknown): Promise<unknown>;
  close(): Promise<void>;
}
interface Result {
  isError?: boolean;
  structuredContent?: unknown;
  content: { type: string; text?: string }[];
  _meta?: Record<string, Record<string, unknown>>;
}

const tool = (name: string, path: string, extra: Partial<ToolInput>): ToolInput => ({
  name,
  upstream: 'list',
  path,
  ...extra,
});

let upstream: ListUpstream;
let gateway: RunningGateway;
beforeAll(async () => {
  upstream = await startListUpstream(makeItems(35));
  gateway = await startGateway(
    testConfig({
      upstreams: { list: { baseUrl: upstream.url } },
      tools: [
        tool('by_page', '/items', {
          pagination: { style: 'page', pageSizeParam: 'per_page', pageSize: 10 },
          cache: { ttl: '1m' },
        }),
        tool('by_cursor', '/cursor-items', {
          pagination: { style: 'cursor', cursorParam: 'after', nextCursor: 'next' },
        }),
        tool('by_link', '/link-items', { pagination: { style: 'link' } }),
        tool('by_offset', '/offset-items', {
          pagination: { style: 'offset', pageSize: 10 },
          cache: { ttl: '1m' },
        }),
        tool('gather_offset', '/offset-items', {
          pagination: { style: 'offset', mode: 'gather', pageSize: 8, maxPages: 3 },
        }),
        tool('by_page_shaped', '/items', {
          pagination: { style: 'page', pageSizeParam: 'per_page', pageSize: 10 },
          shape: { pick: ['items[].id', 'total'], maxItems: 4 },
        }),
        tool('gather_two', '/link-items', { pagination: { style: 'link', mode: 'gather', maxPages: 2 } }),
        tool('gather_25', '/cursor-items', {
          pagination: {
            style: 'cursor',
            mode: 'gather',
            cursorParam: 'after',
            nextCursor: 'next',
            maxItems: 25,
          },
        }),
        tool('gather_all', '/items', {
          pagination: {
            style: 'page',
            mode: 'gather',
            pageSizeParam: 'per_page',
            pageSize: 10,
            items: 'items',
          },
        }),
      ],
    }),
    { transport: 'http' },
  );
});
afterAll(async () => {
  await gateway?.close();
  await upstream?.close();
});

const clients: [string, () => Promise<Client>][] = [
  ['v2 client, 2026-07-28', () => connectV2(gateway.url!, 'modern') as Promise<Client>],
  ['v1 client', () => connectV1(gateway.url!) as Promise<Client>],
];

/** The ids of a page, whatever its shape: a list (maybe wrapped as { result }), or { items }. */
function idsOf(r: Result): number[] {
  const v = r.structuredContent as unknown;
  const list = Array.isArray(v)
    ? v
    : ((v as { items?: unknown[]; result?: unknown[] }).items ?? (v as { result: unknown[] }).result);
  return (list as { id: number }[]).map((i) => i.id);
}
const nextOf = (r: Result) =>
  (r._meta?.['conduit/page']?.nextCursor ?? r._meta?.['conduit/truncated']?.nextCursor) as string | undefined;
const all = Array.from({ length: 35 }, (_, i) => i + 1);

describe.each(clients)('pagination in tools (%s)', (_, connect) => {
  let client: Client;
  const call = (name: string, args: Record<string, unknown> = {}) =>
    client.callTool({ name, arguments: args }) as Promise<Result>;
  beforeAll(async () => {
    client = await connect();
  });
  afterAll(async () => {
    await client?.close();
  });

  /** Follows the cursors from the first page to the last; returns every id seen and the calls made. */
  async function walk(name: string): Promise<{ ids: number[]; calls: number }> {
    const ids: number[] = [];
    let cursor: string | undefined;
    let calls = 0;
    do {
      const r = await call(name, cursor === undefined ? {} : { cursor });
      expect(r.isError, textOf(r)).toBeFalsy();
      ids.push(...idsOf(r));
      cursor = nextOf(r);
      if (cursor !== undefined) expect(textOf(r)).toContain(cursor);
      calls++;
    } while (cursor !== undefined && calls < 20);
    return { ids, calls };
  }

  it('publishes a cursor argument for cursor-mode tools, none for gathering ones', async () => {
    const { tools } = (await client.listTools()) as {
      tools: { name: string; inputSchema: { properties: object } }[];
    };
    expect(Object.keys(tools.find((t) => t.name === 'by_page')!.inputSchema.properties)).toEqual(['cursor']);
    expect(Object.keys(tools.find((t) => t.name === 'gather_two')!.inputSchema.properties)).toEqual([]);
  });

  it.each(['by_page', 'by_cursor', 'by_link', 'by_offset'])(
    '%s: one page a call, the cursor leads through every item once',
    async (name) => {
      const { ids, calls } = await walk(name);
      expect(ids).toEqual(all);
      expect(calls).toBe(4);
    },
  );

  it('the upstream sees the page state the cursor carries', async () => {
    const first = await call('by_page');
    const before = upstream.seen.length;
    await call('by_page', { cursor: nextOf(first) });
    const seen = upstream.seen.slice(before);
    // page 2 may come from the cache on a second client; when it is fetched, it is page 2.
    for (const r of seen) expect(new URL(r.url, 'http://x').searchParams.get('page')).toBe('2');
  });

  it('a shaped page cut mid-page resumes after its last entry shown', async () => {
    const { ids, calls } = await walk('by_page_shaped');
    expect(ids).toEqual(all);
    // 4 + 4 + 2 a page of ten, then 4 + 1 on the last one of five.
    expect(calls).toBe(11);
  });

  it('an edited cursor, or one from another tool, is refused naming the argument; nothing is sent', async () => {
    const first = await call('by_link');
    const cursor = nextOf(first)!;
    const [payload, mac] = cursor.split('.') as [string, string];
    const forgedState = Buffer.from(
      JSON.stringify({ l: 'http://169.254.169.254/latest/meta-data' }),
    ).toString('base64url');
    const before = upstream.seen.length;
    for (const bad of [
      `${forgedState}.${mac}`,
      `${payload}.${mac.slice(0, -2)}AA`,
      'garbage',
      `${payload}`,
    ]) {
      const r = await call('by_link', { cursor: bad });
      expect(r.isError, bad).toBe(true);
      expect(textOf(r)).toContain('cursor');
    }
    const other = await call('by_cursor', { cursor });
    expect(other.isError).toBe(true);
    expect(upstream.seen.length).toBe(before);
  });

  it('gather: up to maxPages pages in one answer, marked when pages are left', async () => {
    const two = await call('gather_two');
    expect(idsOf(two)).toEqual(all.slice(0, 20));
    expect(two._meta?.['conduit/truncated']).toMatchObject({ reason: 'maxPages', limit: 2, shownItems: 20 });
    expect(textOf(two)).toContain('raise pagination.maxPages');
  });

  it('offset style: the upstream sees offset and limit the cursor carries', async () => {
    const first = await call('by_offset');
    const before = upstream.seen.length;
    const second = await call('by_offset', { cursor: nextOf(first) });
    expect(idsOf(second)).toEqual(all.slice(10, 20));
    // Page 2 may come from the cache on a second client; when it is fetched, it is offset 10.
    for (const r of upstream.seen.slice(before))
      expect(new URL(r.url, 'http://x').search).toBe('?offset=10&limit=10');
  });

  it('gather, offset style: maxPages pages of pageSize, marked with pages left', async () => {
    const got = await call('gather_offset');
    expect(idsOf(got)).toEqual(all.slice(0, 24));
    expect(got._meta?.['conduit/truncated']).toMatchObject({ reason: 'maxPages', limit: 3, shownItems: 24 });
  });

  it('gather: stops at maxItems', async () => {
    const got = await call('gather_25');
    expect(idsOf(got)).toEqual(all.slice(0, 25));
    expect(got._meta?.['conduit/truncated']).toMatchObject({ reason: 'maxItems', limit: 25 });
  });

  it('gather: every page when they fit, unmarked; a list as is on 2026-07-28, { result } before', async () => {
    const got = await call('gather_all');
    expect(idsOf(got)).toEqual(all);
    if (_.includes('2026-07-28')) expect(Array.isArray(got.structuredContent)).toBe(true);
    else expect((got.structuredContent as { result: unknown[] }).result).toHaveLength(35);
    expect(got._meta?.['conduit/truncated']).toBeUndefined();
    expect(got._meta?.['conduit/page']).toBeUndefined();
  });
});

describe('cursors are bound to the caller when answers are private', () => {
  const TOKENS = { alice: 'alice-token-0123456789', bob: 'bob-token-0123456789' };
  let gw: RunningGateway;
  beforeAll(async () => {
    gw = await startGateway(
      testConfig({
        server: {
          http: {
            authTokens: [
              { token: TOKENS.alice, sub: 'alice', claims: { tenant: 'acme' } },
              { token: TOKENS.bob, sub: 'bob', claims: { tenant: 'globex' } },
            ],
          },
        },
        upstreams: { list: { baseUrl: upstream.url } },
        tools: [
          // The request reads the caller (a tenant filter): its pages are the caller's own.
          tool('tenant_items', '/cursor-items', {
            pagination: { style: 'cursor', cursorParam: 'after', nextCursor: 'next' },
            fixed: { tenant: '{auth.claims.tenant}' },
          }),
          tool('public_items', '/cursor-items', {
            pagination: { style: 'cursor', cursorParam: 'after', nextCursor: 'next' },
          }),
        ],
      }),
      { transport: 'http' },
    );
  });
  afterAll(async () => {
    await gw?.close();
  });
  const as = (who: keyof typeof TOKENS) =>
    connectV2(gw.url!, 'modern', { authorization: `Bearer ${TOKENS[who]}` });

  it("another caller's cursor is refused naming the argument; nothing is sent", async () => {
    const alice = await as('alice');
    const bob = await as('bob');
    try {
      const first = (await alice.callTool({ name: 'tenant_items', arguments: {} })) as Result;
      const cursor = nextOf(first)!;
      const before = upstream.seen.length;
      const stolen = (await bob.callTool({ name: 'tenant_items', arguments: { cursor } })) as Result;
      expect(stolen.isError).toBe(true);
      expect(textOf(stolen)).toContain('cursor');
      expect(upstream.seen.length).toBe(before);
      const own = (await alice.callTool({ name: 'tenant_items', arguments: { cursor } })) as Result;
      expect(own.isError, textOf(own)).toBeFalsy();
      expect(idsOf(own)).toEqual(all.slice(10, 20));
    } finally {
      await alice.close();
      await bob.close();
    }
  });

  it("a tool whose answers are the same for everyone takes another caller's cursor", async () => {
    const alice = await as('alice');
    const bob = await as('bob');
    try {
      const first = (await alice.callTool({ name: 'public_items', arguments: {} })) as Result;
      const next = (await bob.callTool({
        name: 'public_items',
        arguments: { cursor: nextOf(first) },
      })) as Result;
      expect(next.isError, textOf(next)).toBeFalsy();
      expect(idsOf(next)).toEqual(all.slice(10, 20));
    } finally {
      await alice.close();
      await bob.close();
    }
  });
});

describe('pagination config', () => {
  it('is refused on a tool that is not GET, and a cache key that leaves out {cursor}', async () => {
    for (const extra of [
      { method: 'POST' as const, pagination: { style: 'link' as const } },
      { pagination: { style: 'link' as const }, cache: { ttl: '1m', key: 'pages' } },
    ]) {
      const config = testConfig({
        upstreams: { list: { baseUrl: upstream.url } },
        tools: [tool('bad', '/link-items', extra)],
      });
      await expect(startGateway(config, { transport: 'http' })).rejects.toMatchObject({
        code: 'INVALID_CONFIG',
      });
    }
  });
});

describe('compact mode: an operation with pagination and fixed parameters', () => {
  it('is listed with the cursor and without the fixed parameter, and pages through invoke', async () => {
    const doc = JSON.stringify({
      openapi: '3.0.3',
      info: { title: 'items', version: '1' },
      paths: {
        '/link-items': {
          get: {
            operationId: 'listItems',
            parameters: [{ name: 'api-version', in: 'query', required: true, schema: { type: 'string' } }],
            responses: { '200': { description: 'ok' } },
          },
        },
      },
    });
    const served = await serveFiles({
      'doc.json': doc,
      'conduit.yaml': `upstreams:\n  list:\n    baseUrl: ${upstream.url}\n    openapi:\n      document: ./doc.json\n      mode: compact\n      overrides:\n        listItems: { pagination: { style: link }, fixed: { api-version: "1" } }\n`,
    });
    const client = await connectV2(served.gateway.url!, 'modern');
    try {
      const found = (await client.callTool({
        name: 'list_search_operations',
        arguments: { query: 'items' },
      })) as Result;
      const op = (found.structuredContent as { operations: { inputSchema: Record<string, unknown> }[] })
        .operations[0]!;
      expect(Object.keys(op.inputSchema.properties as object)).toEqual(['cursor']);
      expect(op.inputSchema.required ?? []).toEqual([]);
      const ids: number[] = [];
      let cursor: string | undefined;
      for (let i = 0; i < 10; i++) {
        const r = (await client.callTool({
          name: 'list_invoke_operation',
          arguments: { operationId: 'listItems', arguments: cursor ? { cursor } : {} },
        })) as Result;
        expect(r.isError, textOf(r)).toBeFalsy();
        ids.push(...idsOf(r));
        cursor = nextOf(r);
        if (!cursor) break;
      }
      expect(ids).toEqual(all);
      // The first page carries the fixed parameter; later ones follow the upstream's own next links.
      expect(upstream.seen.some((r) => r.url === '/link-items?api-version=1')).toBe(true);
    } finally {
      await client.close();
      await served.close();
    }
  });
});

describe('cursors across gateway instances (server.stateKey)', () => {
  const KEY_A = 'state-key-shared-by-a-and-b-0123456789';
  const KEY_C = 'state-key-of-another-deployment-987654';
  const gateways: RunningGateway[] = [];
  /** A gateway whose config reads its state key from the environment, as an operator's file would. */
  const start = async (key: string | undefined) => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the config reads the key from the environment
    const stateKey = ', stateKey: "${CONDUIT_STATE_KEY}"';
    const text = `
server: { http: { port: 0 }${key === undefined ? '' : stateKey} }
upstreams:
  list: { baseUrl: "${upstream.url}" }
tools:
  - name: by_cursor
    upstream: list
    path: /cursor-items
    pagination: { style: cursor, cursorParam: after, nextCursor: next }
`;
    const config = parseConfig(text, { env: key === undefined ? {} : { CONDUIT_STATE_KEY: key } });
    const gw = await startGateway(config, { transport: 'http' });
    gateways.push(gw);
    return gw;
  };
  afterAll(async () => {
    for (const gw of gateways) await gw.close();
  });

  it('two gateways sharing the key accept each other’s cursors; another key, or none, refuses them with REQUEST_VALIDATION', async () => {
    const [a, b, c, own] = [
      await start(KEY_A),
      await start(KEY_A),
      await start(KEY_C),
      await start(undefined),
    ];
    const clients = await Promise.all([a, b, c, own].map((gw) => connectV2(gw.url!, 'modern')));
    const [onA, onB, onC, onOwn] = clients;
    try {
      const first = (await onA!.callTool({ name: 'by_cursor', arguments: {} })) as Result;
      const cursor = nextOf(first)!;
      const next = (await onB!.callTool({ name: 'by_cursor', arguments: { cursor } })) as Result;
      expect(next.isError, textOf(next)).toBeFalsy();
      expect(idsOf(next)).toEqual(all.slice(10, 20));
      const back = (await onA!.callTool({
        name: 'by_cursor',
        arguments: { cursor: nextOf(next) },
      })) as Result;
      expect(idsOf(back)).toEqual(all.slice(20, 30));
      for (const other of [onC!, onOwn!]) {
        const before = upstream.seen.length;
        const refused = (await other.callTool({ name: 'by_cursor', arguments: { cursor } })) as Result;
        expect(refused.isError).toBe(true);
        expect(refused._meta?.['conduit/error']?.code).toBe('REQUEST_VALIDATION');
        expect(textOf(refused)).toContain('server.stateKey');
        expect(textOf(refused)).not.toContain(KEY_A);
        expect(upstream.seen.length).toBe(before);
      }
    } finally {
      for (const cl of clients) await cl.close();
    }
  });
});

describe('OpenAPI tools mode: overrides.<operationId>.pagination', () => {
  it.each(modernAndV1)('one page a call with its cursor, or every page gathered (%s)', async (_, connect) => {
    const doc = JSON.stringify({
      openapi: '3.0.3',
      info: { title: 'items', version: '1' },
      paths: {
        '/cursor-items': {
          get: { operationId: 'pageItems', responses: { '200': { description: 'ok' } } },
        },
        '/link-items': {
          get: { operationId: 'allItems', responses: { '200': { description: 'ok' } } },
        },
      },
    });
    const served = await serveFiles({
      'doc.json': doc,
      'conduit.yaml': `
upstreams:
  list:
    baseUrl: ${upstream.url}
    openapi:
      document: ./doc.json
      overrides:
        pageItems: { pagination: { style: cursor, cursorParam: after, nextCursor: next } }
        allItems: { pagination: { style: link, mode: gather, maxPages: 10 } }
`,
    });
    const client = await connect(served.gateway.url!);
    try {
      const { tools } = (await client.listTools()) as {
        tools: { name: string; inputSchema: { properties: object } }[];
      };
      expect(Object.keys(tools.find((t) => t.name === 'pageItems')!.inputSchema.properties)).toEqual([
        'cursor',
      ]);
      const ids: number[] = [];
      let cursor: string | undefined;
      for (let i = 0; i < 10; i++) {
        const r = (await client.callTool({
          name: 'pageItems',
          arguments: cursor ? { cursor } : {},
        })) as Result;
        expect(r.isError, textOf(r)).toBeFalsy();
        ids.push(...idsOf(r));
        cursor = nextOf(r);
        if (!cursor) break;
        expect(textOf(r)).toContain(`cursor "${cursor}"`);
      }
      expect(ids).toEqual(all);
      const gathered = (await client.callTool({ name: 'allItems', arguments: {} })) as Result;
      expect(idsOf(gathered)).toEqual(all);
      expect(gathered._meta?.['conduit/truncated']).toBeUndefined();
    } finally {
      await client.close();
      await served.close();
    }
  });
});

describe('a cursor never carries what the upstream put in its next link', () => {
  it('a next link echoing the query credential is followed, but neither the cursor nor the answer shows it in any encoding', async () => {
    const KEY = 'list-api-key-5e0c77d1';
    const config = parseConfig(
      `
upstreams:
  list:
    baseUrl: "${upstream.url}"
    auth: { type: query, name: api_key, value: "\${LIST_KEY}" }
tools:
  - { name: echo_link, upstream: list, path: /echo-link-items, pagination: { style: link } }
`,
      { env: { LIST_KEY: KEY } },
    );
    const gw = await startGateway(config, { transport: 'http', port: 0 });
    const client = await connectV1(gw.url!);
    try {
      const first = (await client.callTool({ name: 'echo_link', arguments: {} })) as Result;
      expect(first.isError, textOf(first)).toBeFalsy();
      const cursor = nextOf(first)!;
      const encodings = [
        KEY,
        Buffer.from(KEY).toString('base64'),
        Buffer.from(KEY).toString('base64url'),
        encodeURIComponent(KEY),
      ];
      const shown = `${JSON.stringify(first)}${Buffer.from(cursor.split('.')[0]!, 'base64url').toString('latin1')}`;
      for (const e of encodings) expect(shown).not.toContain(e);
      // Base64 of the link at any alignment would still hold the key's base64 at one of three offsets.
      for (const shift of ['', 'a', 'ab'])
        expect(cursor).not.toContain(
          Buffer.from(shift + KEY)
            .toString('base64url')
            .slice(4, -4),
        );
      const next = (await client.callTool({ name: 'echo_link', arguments: { cursor } })) as Result;
      expect(next.isError, textOf(next)).toBeFalsy();
      expect(idsOf(next)).toEqual(all.slice(10, 20));
      expect(new URL(upstream.seen.at(-1)!.url, 'http://x').searchParams.get('api_key')).toBe(KEY);
    } finally {
      await client.close();
      await gw.close();
    }
  });
});
