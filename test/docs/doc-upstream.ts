import type { ServerResponse } from 'node:http';
import { type SeenRequest, startServer, type TestServer } from '../http/server.js';

type Reply = (status: number, body: unknown, headers?: Record<string, string>) => void;
interface Call {
  seen: SeenRequest;
  url: URL;
  m: RegExpExecArray;
  page: number;
  json: Reply;
  res: ServerResponse;
}
type Route = readonly [method: string, path: RegExp, answer: (c: Call) => void];

/**
 * The REST API the doc samples talk to, on 127.0.0.1: the paths README.md and docs/*.md use
 * (items, users, todos, assignments, GitHub-shaped repos and issues, cursor-paged events), answered
 * the way such APIs answer, so a sample that runs here would run against the real thing.
 */
export async function startDocUpstream(): Promise<TestServer> {
  const todos = new Map<number, { id: number; title: string; done: boolean }>();
  let nextTodo = 1;
  const todo = (c: Call) => todos.get(Number(c.m[1]));
  const routes: Route[] = [
    ['GET', /^\/items$/, (c) => c.json(200, c.page > 1 ? [] : [{ id: '42', name: 'widget' }])],
    [
      'GET',
      /^\/items\/([^/]+)$/,
      (c) => c.json(200, { id: decodeURIComponent(c.m[1] ?? ''), name: 'widget' }),
    ],
    ['GET', /^\/users\/([^/]+)$/, (c) => c.json(200, { id: c.m[1], name: 'Ada' })],
    [
      'GET',
      /^\/events$/,
      (c) => {
        const cursor = c.url.searchParams.get('cursor');
        c.json(200, { events: [{ id: cursor ?? 'e1' }], meta: { next: cursor ? null : 'e2' } });
      },
    ],
    [
      'GET',
      /^\/repos\/([^/]+)\/([^/]+)\/issues$/,
      (c) => {
        const next =
          c.page === 1 ? { link: `<${server.url}${c.url.pathname}?page=2>; rel="next"` } : undefined;
        c.json(200, [{ number: c.page, title: `issue ${c.page}` }], next);
      },
    ],
    [
      'GET',
      /^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)$/,
      (c) => c.json(200, { number: Number(c.m[3]), title: 'an issue' }),
    ],
    [
      'GET',
      /^\/repos\/([^/]+)\/([^/]+)$/,
      (c) => c.json(200, { full_name: `${c.m[1]}/${c.m[2]}`, stargazers_count: 1 }),
    ],
    ['GET', /^\/assignments\/([^/]+)$/, (c) => c.json(200, { id: c.m[1], title: 'Essay', status: 'open' })],
    ['GET', /^\/external\/([^/]+)$/, (c) => c.json(200, { resource: c.m[1], data: {} })],
    ['GET', /^\/files\/(.+)$/, (c) => c.json(200, { name: c.m[1] })],
    [
      'GET',
      /^\/todos$/,
      (c) => {
        const done = c.url.searchParams.get('done');
        const all = [...todos.values()].filter((t) => done === null || String(t.done) === done);
        c.json(200, c.page > 1 ? [] : all);
      },
    ],
    [
      'POST',
      /^\/todos$/,
      (c) => {
        const t = {
          id: nextTodo++,
          title: String((JSON.parse(c.seen.body) as { title: unknown }).title),
          done: false,
        };
        todos.set(t.id, t);
        c.json(201, t);
      },
    ],
    ['GET', /^\/todos\/(\d+)$/, (c) => c.json(200, todo(c) ?? { error: 'not found' })],
    [
      'PATCH',
      /^\/todos\/(\d+)$/,
      (c) => c.json(200, Object.assign(todo(c) ?? {}, JSON.parse(c.seen.body) as object)),
    ],
    [
      'DELETE',
      /^\/todos\/(\d+)$/,
      (c) => {
        todos.delete(Number(c.m[1]));
        c.res.writeHead(204).end();
      },
    ],
  ];
  const server = await startServer((_req, res, seen) => {
    const url = new URL(seen.url, 'http://x');
    const path = url.pathname.replace(/^\/v1(?=\/)/, '');
    const json: Reply = (status, body, headers = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    const page = Number(url.searchParams.get('page') ?? '1');
    for (const [method, pattern, answer] of routes) {
      const m = method === seen.method ? pattern.exec(path) : null;
      if (m) return answer({ seen, url, m, page, json, res });
    }
    json(404, { error: `no route ${seen.method} ${path}` });
  });
  return server;
}
