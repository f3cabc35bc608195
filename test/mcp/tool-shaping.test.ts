import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningGateway, startGateway } from '../../src/mcp/index.js';
import { testConfig, type ToolInput } from '../helpers/gateway-config.js';
import { connectV1, connectV2, textOf } from './helpers/clients.js';
import { type ListUpstream, makeItems, startListUpstream } from './helpers/list-upstream.js';

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
    expect(first._meta?.['conduit/truncated']).toEqual({
      reason: 'maxItems',
      limit: 5,
      shownItems: 5,
      totalItems: 35,
    });
    expect(textOf(first)).toContain('[truncated: showing 5 of 35 items (maxItems 5 items)');
    const again = await call('first_five', { per_page: 35 });
    expect(again._meta?.['conduit/cache']).toMatchObject({ source: 'cache' });
    expect(again.structuredContent).toEqual(first.structuredContent);
    expect(again._meta?.['conduit/truncated']).toEqual(first._meta?.['conduit/truncated']);
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
