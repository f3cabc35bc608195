import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  createHttpClient,
  InvalidPathError,
  pageItems,
  PaginationLimitError,
  PaginationLoopError,
} from '../../src/http/index.js';
import { type Handler, httpTestHarness } from './harness.js';
import { sendJson } from './server.js';

const harness = httpTestHarness();

const ALL = Array.from({ length: 23 }, (_, i) => ({ id: i + 1 }));

/** A test server and a client on its `/api` with a default `api_key` query parameter. */
const serve = (handler: Handler) => harness.serve(handler, { query: { api_key: 'k1' } }, '/api');

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('paginate', () => {
  it('page/page_size: walks pages until a short one', async () => {
    const { server, client } = await serve((_req, res, seen) => {
      const u = new URL(seen.url, 'http://x');
      const page = Number(u.searchParams.get('page'));
      const size = Number(u.searchParams.get('per_page'));
      sendJson(res, 200, { data: ALL.slice((page - 1) * size, page * size) });
    });
    const pages = await collect(
      client.paginate({ style: 'page', path: '/items', pageSize: 10, pageSizeParam: 'per_page' }),
    );
    expect(pages.map((p) => p.items.length)).toEqual([10, 10, 3]);
    expect(pages.flatMap((p) => p.items)).toEqual(ALL);
    expect(server.seen[0]!.url).toBe('/api/items?api_key=k1&page=1&per_page=10');
  });

  it('offset/limit: advances by the items each page had, until a short one', async () => {
    const { server, client } = await serve((_req, res, seen) => {
      const u = new URL(seen.url, 'http://x');
      const offset = Number(u.searchParams.get('skip'));
      const limit = Number(u.searchParams.get('limit'));
      sendJson(res, 200, ALL.slice(offset, offset + limit));
    });
    const pages = await collect(
      client.paginate({ style: 'offset', path: '/items', limit: 10, offsetParam: 'skip' }),
    );
    expect(pages.map((p) => p.items.length)).toEqual([10, 10, 3]);
    expect(pages.flatMap((p) => p.items)).toEqual(ALL);
    expect(server.seen.map((s) => s.url)).toEqual([
      '/api/items?api_key=k1&skip=0&limit=10',
      '/api/items?api_key=k1&skip=10&limit=10',
      '/api/items?api_key=k1&skip=20&limit=10',
    ]);
  });

  it('offset without a limit: an empty page ends it; an upstream that pages by fewer is followed exactly', async () => {
    const { server, client } = await serve((_req, res, seen) => {
      const offset = Number(new URL(seen.url, 'http://x').searchParams.get('offset'));
      sendJson(res, 200, { items: ALL.slice(offset, offset + 7) });
    });
    const items = await collect(
      pageItems(client.paginate({ style: 'offset', path: '/items', firstOffset: 3 })),
    );
    expect(items).toEqual(ALL.slice(3));
    expect(server.seen.map((s) => new URL(s.url, 'http://x').searchParams.get('offset'))).toEqual([
      '3',
      '10',
      '17',
      '23',
    ]);
  });

  it('cursor: follows next_cursor and validates each page', async () => {
    const { server } = await serve((_req, res, seen) => {
      const c = new URL(seen.url, 'http://x').searchParams.get('cursor');
      const start = c ? Number(c) : 0;
      const next = start + 10 < ALL.length ? String(start + 10) : null;
      sendJson(res, 200, { items: ALL.slice(start, start + 10), next_cursor: next });
    });
    const client = createHttpClient({ baseUrl: server.url });
    harness.defer(() => client.close());
    const Page = z.object({
      items: z.array(z.object({ id: z.number() })),
      next_cursor: z.string().nullable(),
    });
    const items = await collect(
      pageItems(client.paginate({ style: 'cursor', path: '/items', schema: Page, items: (d) => d.items })),
    );
    expect(items).toEqual(ALL);
    expect(server.seen.map((s) => s.url)).toEqual(['/items', '/items?cursor=10', '/items?cursor=20']);
  });

  it('link: follows rel="next" on the same origin, keeping the default query', async () => {
    const { server, client } = await serve((_req, res, seen) => {
      const u = new URL(seen.url, 'http://x');
      const page = Number(u.searchParams.get('p') ?? '1');
      const headers: Record<string, string> = {};
      if (page < 3) headers.link = `</api/items?p=${page + 1}>; rel="next", </api/items?p=3>; rel="last"`;
      sendJson(res, 200, [page], headers);
    });
    const pages = await collect(client.paginate({ style: 'link', path: '/items' }));
    expect(pages.map((p) => p.items)).toEqual([[1], [2], [3]]);
    expect(server.seen.map((s) => s.url)).toEqual([
      '/api/items?api_key=k1',
      '/api/items?p=2&api_key=k1',
      '/api/items?p=3&api_key=k1',
    ]);
  });

  it('link: refuses a next link to another origin', async () => {
    const { server, client } = await serve((_req, res) =>
      sendJson(res, 200, [1], { link: '<http://evil.example/steal>; rel="next"' }),
    );
    const it = client.paginate({ style: 'link', path: '/items' });
    expect((await it.next()).value?.items).toEqual([1]);
    await expect(it.next()).rejects.toBeInstanceOf(InvalidPathError);
    expect(server.seen).toHaveLength(1);
  });

  it('stops at maxPages and on a repeating cursor', async () => {
    const { client } = await serve((_req, res) => sendJson(res, 200, { items: [1], next_cursor: 'same' }));
    await expect(collect(client.paginate({ style: 'cursor', path: '/loop' }))).rejects.toBeInstanceOf(
      PaginationLoopError,
    );
    const { client: endless } = await serve((_req, res) => sendJson(res, 200, { items: [1] }));
    const err = await collect(endless.paginate({ style: 'page', path: '/endless', maxPages: 5 })).catch(
      (e) => e,
    );
    expect(err).toBeInstanceOf(PaginationLimitError);
    expect((err as PaginationLimitError).maxPages).toBe(5);
  });
});
