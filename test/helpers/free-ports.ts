import { once } from 'node:events';
import { readFileSync } from 'node:fs';
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

/** The first port the kernel hands out for `listen(0)` and outgoing connections (Linux; 32768 elsewhere). */
function ephemeralLow(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 0 ? low : 32_768;
  } catch {
    return 32_768;
  }
}

// Ports below the ephemeral range are never handed out by the kernel, so one picked here stays free
// while a slow server starts. Each vitest worker draws from its own slice of them, and a process never
// hands out a port twice, so two tests cannot pick the same one either.
const RESERVED_LOW = 20_000;
const RESERVED_HIGH = Math.min(32_767, ephemeralLow() - 1);
const SLICES = 8;
const slice = (Number(process.env.VITEST_POOL_ID ?? 1) - 1) % SLICES;
const SLICE_SIZE = Math.floor((RESERVED_HIGH - RESERVED_LOW + 1) / SLICES);
const handedOut = new Set<number>();

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
 * A free loopback port for a server that must know its own URL before it listens, taken below the
 * ephemeral range (in this worker's slice of it) so that other tests' `listen(0)`, outgoing
 * connections and other workers cannot take it meanwhile. Where there is no room below the range
 * (a host whose ephemeral range starts low), an ephemeral port, as `freePorts` gives.
 */
export async function freePort(): Promise<number> {
  if (SLICE_SIZE >= 100) {
    const base = RESERVED_LOW + slice * SLICE_SIZE;
    for (let attempt = 0; attempt < 200; attempt++) {
      const port = base + Math.floor(Math.random() * SLICE_SIZE);
      if (handedOut.has(port) || !(await bindable(port))) continue;
      handedOut.add(port);
      return port;
    }
  }
  const [port] = await freePorts(1);
  return port!;
}
