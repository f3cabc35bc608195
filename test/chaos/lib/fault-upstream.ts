import { once } from 'node:events';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** What the chaos upstream does with each request, switched at run time. */
export type ChaosMode =
  | { kind: 'ok' }
  | { kind: 'status'; status: number }
  | { kind: 'retry-after'; seconds: number }
  | { kind: 'hang' }
  | { kind: 'reset' }
  | { kind: 'truncated' }
  | { kind: 'bad-json' };

export interface Hit {
  /** performance.now() when the request arrived. */
  at: number;
  method: string;
  path: string;
  /** What it was answered with: a status, or the fault kind. */
  outcome: string;
}

/**
 * A JSON API for chaos scenarios: `GET /items/{id}` answers `{ id, version }`, `PUT /items/{id}` bumps
 * the version. Every request is recorded with its arrival time so tests can check retry spacing and
 * request rates; held (hung) requests and open sockets are counted so tests can prove nothing leaks.
 */
export async function startChaosUpstream() {
  let mode: ChaosMode = { kind: 'ok' };
  const hits: Hit[] = [];
  let requests = 0;
  // A soak keeps only the count: the hit log would grow the heap being measured.
  let keepHits = true;
  const versions = new Map<string, number>();
  const held = new Set<ServerResponse>();
  const sockets = new Set<Socket>();
  const heldWaiters: (() => void)[] = [];
  const socketWaiters: (() => void)[] = [];

  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const id = decodeURIComponent(path.split('/')[2] ?? '');
    const m = mode;
    const hit: Hit = { at: performance.now(), method: req.method ?? 'GET', path, outcome: '' };
    requests++;
    if (keepHits) hits.push(hit);
    req.resume();
    switch (m.kind) {
      case 'status':
        hit.outcome = String(m.status);
        res.writeHead(m.status, { 'content-type': 'application/json' }).end('{"error":"injected"}');
        return;
      case 'retry-after':
        hit.outcome = '429';
        res
          .writeHead(429, { 'content-type': 'application/json', 'retry-after': String(m.seconds) })
          .end('{"error":"slow down"}');
        return;
      case 'hang':
        hit.outcome = 'hang';
        held.add(res);
        res.once('close', () => {
          held.delete(res);
          if (held.size === 0) for (const w of heldWaiters.splice(0)) w();
        });
        return;
      case 'reset':
        hit.outcome = 'reset';
        req.socket.destroy();
        return;
      case 'truncated':
        hit.outcome = 'truncated';
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '200' });
        res.write('{"id":"');
        // Headers and part of the body went out; the rest never comes.
        setImmediate(() => req.socket.destroy());
        return;
      case 'bad-json':
        hit.outcome = 'bad-json';
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"id": ]not json');
        return;
    }
    if (req.method === 'PUT') versions.set(id, (versions.get(id) ?? 0) + 1);
    hit.outcome = '200';
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ id, version: versions.get(id) ?? 0, pad: 'x'.repeat(64) }));
  });
  server.keepAliveTimeout = 5000;
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => {
      sockets.delete(s);
      if (sockets.size === 0) for (const w of socketWaiters.splice(0)) w();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    hits,
    /** Requests seen in total (also when the hit log is off). */
    get requests() {
      return requests;
    },
    set keepHits(on: boolean) {
      keepHits = on;
    },
    setMode(next: ChaosMode) {
      mode = next;
    },
    version: (id: string) => versions.get(id) ?? 0,
    /** Changes an item behind the gateway's back (what a webhook then reports). */
    bump(id: string) {
      versions.set(id, (versions.get(id) ?? 0) + 1);
    },
    /** Requests held by `hang` that the client has not closed yet. */
    get held() {
      return held.size;
    },
    /** TCP connections open from the gateway right now. */
    get openSockets() {
      return sockets.size;
    },
    /** Resolves once every hung request's connection was closed by the client. */
    allReleased(): Promise<void> {
      return held.size === 0 ? Promise.resolve() : new Promise((r) => heldWaiters.push(r));
    },
    /** Resolves once no connection from any client is open. */
    allSocketsClosed(): Promise<void> {
      return sockets.size === 0 ? Promise.resolve() : new Promise((r) => socketWaiters.push(r));
    },
    hitsSince(t: number): Hit[] {
      return hits.filter((h) => h.at >= t);
    },
    async close() {
      for (const r of held) r.destroy();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

export type ChaosUpstream = Awaited<ReturnType<typeof startChaosUpstream>>;
