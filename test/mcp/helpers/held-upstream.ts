import { once } from 'node:events';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * An upstream that holds every request until the test releases it, then answers `{ from: <label> }`:
 * the test decides when calls in flight finish. `received(n)` resolves once n requests arrived;
 * `socketsClosed()` once every connection a client opened to it is closed.
 */
export async function startHeldUpstream(label: string) {
  const held: ServerResponse[] = [];
  let count = 0;
  const countWaiters: { n: number; resolve: () => void }[] = [];
  const sockets = new Set<Socket>();
  const closeWaiters: (() => void)[] = [];
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      held.push(res);
      count++;
      for (const w of countWaiters.filter((w) => count >= w.n)) {
        countWaiters.splice(countWaiters.indexOf(w), 1);
        w.resolve();
      }
    });
  });
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
    url: `http://127.0.0.1:${port}`,
    get count() {
      return count;
    },
    received(n: number): Promise<void> {
      if (count >= n) return Promise.resolve();
      return new Promise((resolve) => countWaiters.push({ n, resolve }));
    },
    /** Answers every request held so far. */
    releaseAll(): void {
      for (const res of held.splice(0)) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ from: label }));
      }
    },
    get openSockets(): number {
      return sockets.size;
    },
    socketsClosed(): Promise<void> {
      if (sockets.size === 0) return Promise.resolve();
      return new Promise((resolve) => closeWaiters.push(resolve));
    },
    async close(): Promise<void> {
      this.releaseAll();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export type HeldUpstream = Awaited<ReturnType<typeof startHeldUpstream>>;
