import { once } from 'node:events';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export interface ListItem {
  id: number;
  title: string;
  body: string;
  owner: { login: string; email: string };
}

/** `count` items with bodies `bodyBytes` long, so size caps have something to cut. */
export function makeItems(count: number, bodyBytes = 40): ListItem[] {
  return Array.from({ length: count }, (_, i) => ({
    id: i + 1,
    title: `item ${i + 1}`,
    body: 'x'.repeat(bodyBytes),
    owner: { login: `user${i % 3}`, email: `user${i % 3}@example.test` },
  }));
}

/**
 * A recording upstream with list endpoints in the four pagination styles, on 127.0.0.1:
 * - `GET /items?page=N&per_page=M` → `{ items, total }` (page style; default 10 a page)
 * - `GET /cursor-items?after=X` → `{ items, next: "<cursor>" | null }` (cursor style, 10 a page)
 * - `GET /offset-items?offset=N&limit=M` → `{ items }` (offset style; default 10 a page)
 * - `GET /link-items?page=N` → a bare array with `Link: <…>; rel="next"` (link style, 10 a page)
 * - `GET /echo-link-items?…` → the same, its next link keeping the request's whole query
 * - `GET /all` → every item as one array; `GET /object` → `{ id, title, body, owner, secret }`
 * - `DELETE /items/{id}`, `POST /items` → `{ deleted | created }`
 * - `GET /echo` → the query and headers it was sent
 * Every request is kept in `seen`.
 */
export async function startListUpstream(items: ListItem[] = makeItems(35)) {
  const seen: RecordedRequest[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const record = {
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      headers: req.headers,
      body: Buffer.concat(chunks).toString('utf8'),
    };
    seen.push(record);
    const url = new URL(record.url, 'http://upstream');
    const send = (status: number, value: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(value));
    };
    const path = url.pathname;
    if (path === '/items' && req.method === 'GET') {
      const page = Number(url.searchParams.get('page') ?? '1');
      const per = Number(url.searchParams.get('per_page') ?? '10');
      return send(200, { items: items.slice((page - 1) * per, page * per), total: items.length });
    }
    if (path === '/cursor-items') {
      const after = Number(url.searchParams.get('after') ?? '0');
      const slice = items.slice(after, after + 10);
      const next = after + 10 < items.length ? String(after + 10) : null;
      return send(200, { items: slice, next });
    }
    if (path === '/offset-items') {
      const offset = Number(url.searchParams.get('offset') ?? '0');
      const limit = Number(url.searchParams.get('limit') ?? '10');
      return send(200, { items: items.slice(offset, offset + limit) });
    }
    if (path === '/echo-link-items') {
      // Builds its next link from the request's own query, credentials included, as many APIs do.
      const page = Number(url.searchParams.get('page') ?? '1');
      const next = new URLSearchParams(url.searchParams);
      next.set('page', String(page + 1));
      const more = page * 10 < items.length;
      return send(
        200,
        items.slice((page - 1) * 10, page * 10),
        more ? { link: `<${path}?${next}>; rel="next"` } : {},
      );
    }
    if (path === '/link-items') {
      const page = Number(url.searchParams.get('page') ?? '1');
      const slice = items.slice((page - 1) * 10, page * 10);
      const more = page * 10 < items.length;
      return send(200, slice, more ? { link: `<${url.pathname}?page=${page + 1}>; rel="next"` } : {});
    }
    if (path === '/all') return send(200, items);
    if (path === '/object') return send(200, { ...items[0], secret: 'internal' });
    if (path === '/echo')
      return send(200, {
        query: Object.fromEntries(url.searchParams),
        headers: req.headers,
        body: record.body,
      });
    if (path.startsWith('/items/') && req.method === 'DELETE') return send(200, { deleted: path.slice(7) });
    if (path === '/items' && req.method === 'POST')
      return send(201, { created: JSON.parse(record.body || '{}') });
    send(404, { error: 'no such route' });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    items,
    /** Requests whose path starts with `prefix`. */
    count(prefix: string): number {
      return seen.filter((r) => r.url.startsWith(prefix)).length;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

export type ListUpstream = Awaited<ReturnType<typeof startListUpstream>>;
