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

// Below Linux's default ephemeral range (32768-60999): the kernel never hands these out for `listen(0)` or
// an outgoing connection's source port, so a port picked here stays free while a slow server starts.
const RESERVED_LOW = 20_000;
const RESERVED_HIGH = 32_767;

/** Whether `port` can be bound on 127.0.0.1 right now (it is released again at once). */
async function bindable(port: number): Promise<boolean> {
  const srv = createServer();
  const result = await new Promise<boolean>((resolve) => {
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => resolve(true));
  });
  if (result) await new Promise<void>((r) => srv.close(() => r()));
  return result;
}

/**
 * A free loopback port for a server that must know its own URL before it listens, taken outside the
 * ephemeral range so that other tests' `listen(0)` and outgoing connections cannot take it meanwhile.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = RESERVED_LOW + Math.floor(Math.random() * (RESERVED_HIGH - RESERVED_LOW + 1));
    if (await bindable(port)) return port;
  }
  const [port] = await freePorts(1);
  return port!;
}
