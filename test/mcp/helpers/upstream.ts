import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the fake upstream does with the next requests. */
export type Fault =
  | { kind: 'none' }
  | { kind: 'status'; status: number; body?: string; headers?: Record<string, string>; times?: number }
  | { kind: 'hang' };

export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/**
 * A small "assignments" REST API on 127.0.0.1 for gateway tests: GET/PUT /assignments/{id},
 * GET /users/{user}/assignments, POST /assignments, GET /echo (echoes query and headers), and a fault
 * switch. `closedSockets` resolves waiters when a hung request's socket is closed by the client.
 */
export async function startUpstream() {
  const assignments = new Map<string, { id: string; title: string; userId: string; done: boolean }>([
    ['1', { id: '1', title: 'Write tests', userId: 'u1', done: false }],
    ['2', { id: '2', title: 'Ship it', userId: 'u1', done: false }],
  ]);
  let fault: Fault = { kind: 'none' };
  const seen: SeenRequest[] = [];
  const hung = new Set<ServerResponse>();
  const requestWaiters: ((r: SeenRequest) => void)[] = [];
  const closeWaiters: (() => void)[] = [];
  let nextId = 3;
  const created = new Map<string, Record<string, unknown>>();

  const json = (res: ServerResponse, status: number, value: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(value));
  };

  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const record: SeenRequest = {
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      headers: req.headers,
      body: Buffer.concat(chunks).toString('utf8'),
    };
    seen.push(record);
    for (const w of requestWaiters.splice(0)) w(record);
    const f = fault;
    if (f.kind === 'hang') {
      hung.add(res);
      res.once('close', () => {
        hung.delete(res);
        for (const w of closeWaiters.splice(0)) w();
      });
      return;
    }
    if (f.kind === 'status') {
      // `times`: fail that many requests, then behave again.
      if (f.times !== undefined && --f.times <= 0) fault = { kind: 'none' };
      res.writeHead(f.status, { 'content-type': 'application/json', ...(f.headers ?? {}) });
      res.end(f.body ?? JSON.stringify({ error: `injected ${f.status}` }));
      return;
    }
    const url = new URL(record.url, 'http://x');
    const parts = url.pathname.split('/').filter(Boolean);
    if (parts[0] === 'echo') {
      return json(res, 200, {
        query: Object.fromEntries(url.searchParams),
        headers: req.headers,
        body: record.body,
      });
    }
    if (parts[0] === 'external' && req.method === 'GET') {
      return json(res, 200, { resource: parts[1], data: `live data for ${parts[1]}` });
    }
    if (parts[0] === 'resources' && req.method === 'POST') {
      const key = String(req.headers['idempotency-key'] ?? '');
      const existing = created.get(key);
      if (key && existing) return json(res, 200, existing);
      const resource = {
        id: `r${created.size + 1}`,
        ...JSON.parse(record.body || '{}'),
        idempotencyKey: key,
      };
      if (key) created.set(key, resource);
      return json(res, 201, resource);
    }
    if (parts[0] === 'text') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      return res.end('plain words');
    }
    if (parts[0] === 'users' && parts[2] === 'assignments' && req.method === 'GET') {
      return json(res, 200, {
        items: [...assignments.values()].filter((a) => a.userId === parts[1]),
      });
    }
    if (parts[0] === 'assignments' && parts.length === 1 && req.method === 'POST') {
      const input = JSON.parse(record.body || '{}') as { title?: string; userId?: string };
      const a = { id: String(nextId++), title: input.title ?? '', userId: input.userId ?? 'u1', done: false };
      assignments.set(a.id, a);
      return json(res, 201, a);
    }
    if (parts[0] === 'assignments' && parts.length === 2) {
      const a = assignments.get(parts[1]!);
      if (!a) return json(res, 404, { error: `assignment ${parts[1]} not found` });
      if (req.method === 'GET') return json(res, 200, a);
      if (req.method === 'PUT' || req.method === 'PATCH') {
        Object.assign(a, JSON.parse(record.body || '{}'));
        return json(res, 200, a);
      }
    }
    json(res, 404, { error: 'no such route' });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    assignments,
    created,
    setFault(f: Fault) {
      fault = f;
    },
    /** Resolves with the next request the upstream receives. */
    nextRequest(): Promise<SeenRequest> {
      return new Promise((resolve) => requestWaiters.push(resolve));
    },
    /** Resolves when a hung request's socket closes. */
    nextClose(): Promise<void> {
      return new Promise((resolve) => closeWaiters.push(resolve));
    },
    /** Answers every hung request with 200 and the given body. */
    release(body: unknown = { released: true }) {
      for (const res of hung) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      }
      hung.clear();
    },
    count(pathPrefix: string): number {
      return seen.filter((r) => r.url.startsWith(pathPrefix)).length;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

export type Upstream = Awaited<ReturnType<typeof startUpstream>>;
