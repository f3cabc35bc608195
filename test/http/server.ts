import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export interface TestServer {
  url: string;
  /** Every request the server saw, in arrival order. */
  seen: SeenRequest[];
  /** Resolves once the server has seen `n` requests in total. */
  received(n: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * A real node:http server on 127.0.0.1, port 0. The handler gets the buffered request body; it may
 * answer however it likes (or never), which is how the fault modes are made.
 */
export async function startServer(
  handler: (req: IncomingMessage, res: ServerResponse, seen: SeenRequest) => void,
): Promise<TestServer> {
  const seen: SeenRequest[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const s: SeenRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      seen.push(s);
      for (let i = waiters.length - 1; i >= 0; i--) {
        if (seen.length >= waiters[i]!.n) waiters.splice(i, 1)[0]!.resolve();
      }
      handler(req, res, s);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    received: (n) =>
      seen.length >= n ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ n, resolve })),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Sends a JSON response. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}
