import { once } from 'node:events';
import { createServer, type Server } from 'node:net';

/** Holds `n` distinct free loopback ports open at once (so they differ), then releases them. */
export async function freePorts(n: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const srv = createServer();
      srv.listen(0, '127.0.0.1');
      await once(srv, 'listening');
      servers.push(srv);
    }
    return servers.map((s) => {
      const a = s.address();
      return typeof a === 'object' && a ? a.port : 0;
    });
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }
}

/** A free loopback port, for a server that must know its own URL before it listens. */
export async function freePort(): Promise<number> {
  const [port] = await freePorts(1);
  return port!;
}
