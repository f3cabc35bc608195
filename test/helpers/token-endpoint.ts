import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** One token request as the scripted endpoint received it. */
export interface TokenRequest {
  form: URLSearchParams;
  authorization: string | undefined;
}

type Reply =
  | { kind: 'token'; token: string; expiresIn?: number | undefined; tokenType?: string }
  | { kind: 'status'; status: number; body?: unknown }
  | { kind: 'hold'; release: Promise<Reply> };

/**
 * A token endpoint on 127.0.0.1 whose every answer the test chooses: the next replies are queued
 * (`willIssue`, `willFail`, `willHold`), and once the queue is empty each request gets a fresh
 * `tok-<n>` token valid for `defaultExpiresIn` seconds. For the faults a real identity provider will
 * not produce on demand (a 500, an already-expired token, an answer held until the test lets it go).
 */
export async function startScriptedTokenEndpoint(defaultExpiresIn = 300) {
  const requests: TokenRequest[] = [];
  const queue: Reply[] = [];
  let issued = 0;
  const held = new Set<ServerResponse>();
  const send = (res: ServerResponse, reply: Reply): void => {
    if (reply.kind === 'hold') {
      held.add(res);
      void reply.release.then((r) => {
        held.delete(res);
        if (!res.destroyed) send(res, r);
      });
      return;
    }
    if (reply.kind === 'status') {
      res.writeHead(reply.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(reply.body ?? { error: 'server_error' }));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(
      JSON.stringify({
        access_token: reply.token,
        token_type: reply.tokenType ?? 'Bearer',
        ...(reply.expiresIn !== undefined ? { expires_in: reply.expiresIn } : {}),
      }),
    );
  };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({
        form: new URLSearchParams(Buffer.concat(chunks).toString('utf8')),
        authorization: req.headers.authorization,
      });
      for (const w of countWaiters.filter((w) => requests.length >= w.n)) {
        countWaiters.splice(countWaiters.indexOf(w), 1);
        w.resolve();
      }
      send(res, queue.shift() ?? { kind: 'token', token: `tok-${++issued}`, expiresIn: defaultExpiresIn });
    });
  });
  const countWaiters: { n: number; resolve: () => void }[] = [];
  const sockets = new Set<Socket>();
  const closeWaiters: (() => void)[] = [];
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => {
      sockets.delete(socket);
      if (sockets.size === 0) for (const w of closeWaiters.splice(0)) w();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/oauth/token`,
    requests,
    /** Resolves once `n` token requests arrived. */
    received(n: number): Promise<void> {
      if (requests.length >= n) return Promise.resolve();
      return new Promise((resolve) => countWaiters.push({ n, resolve }));
    },
    /** Resolves once every connection a client opened here is closed (by that client). */
    socketsClosed(): Promise<void> {
      if (sockets.size === 0) return Promise.resolve();
      return new Promise((resolve) => closeWaiters.push(resolve));
    },
    get openSockets(): number {
      return sockets.size;
    },
    willIssue(token: string, expiresIn?: number) {
      queue.push({ kind: 'token', token, expiresIn });
    },
    /** Replies queued and not yet sent. */
    get pending(): number {
      return queue.length;
    },
    /** Forgets the next queued reply (an outage that ends early). */
    dropQueued() {
      queue.shift();
    },
    willFail(status: number, body?: unknown) {
      queue.push({ kind: 'status', status, body });
    },
    /** The next request waits until the returned function is called, then gets `then`. */
    willHold(then: Reply = { kind: 'token', token: `held-${issued + 1}`, expiresIn: defaultExpiresIn }) {
      let release!: () => void;
      const gate = new Promise<Reply>((r) => {
        release = () => r(then);
      });
      queue.push({ kind: 'hold', release: gate });
      return release;
    },
    async close() {
      for (const res of held) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/**
 * An upstream API that records the `Authorization` it receives and answers with it; `accept` decides
 * which bearer tokens it takes (the rest get 401); an object it returns is added to the answer.
 */
export async function startRecordingUpstream(
  accept: (token: string) => boolean | object | Promise<boolean | object> = () => true,
) {
  const seen: { path: string; token: string | undefined }[] = [];
  const server: Server = createServer(async (req, res) => {
    const auth = req.headers.authorization;
    const token = auth?.startsWith('Bearer ') ? auth.slice(7) : undefined;
    seen.push({ path: req.url ?? '', token });
    const verdict = token === undefined ? false : await accept(token);
    if (!verdict) {
      res.writeHead(401, {
        'content-type': 'application/json',
        'www-authenticate': 'Bearer error="invalid_token"',
      });
      res.end(JSON.stringify({ error: 'invalid_token' }));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ path: req.url, token, ...(typeof verdict === 'object' ? verdict : {}) }));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
