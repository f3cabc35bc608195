import { once } from 'node:events';
import { Agent, createServer, type IncomingMessage, request, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A backend the proxy forwards to: `http://127.0.0.1:<port>`. */
export interface Backend {
  readonly url: string;
  /** Requests this backend answered (a response started). */
  served: number;
  /** Set once a connection to it failed; it is skipped from then on. */
  down: boolean;
}

export interface RoundRobinProxy {
  /** `http://127.0.0.1:<port>`; append the gateway's path (`/mcp`). */
  readonly url: string;
  readonly backends: readonly Backend[];
  /** Requests that no backend could take (every one down). */
  readonly unrouted: number;
  close(): Promise<void>;
}

/**
 * A minimal load balancer for tests: each request goes to the next live backend in turn. A backend
 * whose connection fails before answering is marked down and the request is replayed on the next one
 * (bodies are buffered, as a real balancer's retry-on-connect-failure does). Responses stream through,
 * so SSE answers work.
 */
export async function startRoundRobinProxy(urls: readonly string[]): Promise<RoundRobinProxy> {
  const backends: Backend[] = urls.map((url) => ({ url, served: 0, down: false }));
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  let next = 0;
  let unrouted = 0;

  const pick = (): Backend | undefined => {
    for (let i = 0; i < backends.length; i++) {
      const b = backends[next++ % backends.length]!;
      if (!b.down) return b;
    }
    return undefined;
  };

  const forward = (req: IncomingMessage, res: ServerResponse, body: Buffer, tries: number): void => {
    const backend = pick();
    if (!backend || tries > backends.length) {
      unrouted++;
      res.writeHead(502, { 'content-type': 'text/plain' }).end('no live backend');
      return;
    }
    const target = new URL(req.url ?? '/', backend.url);
    const headers = { ...req.headers, host: target.host };
    const out = request(target, { method: req.method, headers, agent }, (up) => {
      backend.served++;
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
      up.once('error', () => res.destroy());
    });
    let answered = false;
    out.once('response', () => {
      answered = true;
    });
    out.once('error', () => {
      if (answered || res.headersSent) {
        res.destroy();
        return;
      }
      backend.down = true;
      forward(req, res, body, tries + 1);
    });
    // The client went away: stop the upstream leg too (cancellation reaches the gateway).
    res.once('close', () => {
      if (!res.writableFinished) out.destroy();
    });
    out.end(body);
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.once('end', () => forward(req, res, Buffer.concat(chunks), 1));
    req.once('error', () => res.destroy());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    backends,
    get unrouted() {
      return unrouted;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      agent.destroy();
    },
  };
}
