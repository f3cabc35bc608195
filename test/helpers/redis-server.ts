import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { freePorts } from './free-ports.js';
import { killAndWait, pings, spawnRedisServer } from './redis-process.js';

/**
 * A real redis-server on an ephemeral 127.0.0.1 port, owned by one test file. Tests may `kill()` it
 * (SIGKILL, like a crash) and `restart()` it on the same port to exercise recovery.
 */
export interface RedisHandle {
  readonly port: number;
  readonly url: string;
  pid(): number | undefined;
  /** Hard-kills the server (SIGKILL) and waits for it to exit. */
  kill(): Promise<void>;
  /** Starts it again on the same port (after kill or stop). */
  restart(): Promise<void>;
  /** Stops it cleanly; safe to call twice. */
  stop(): Promise<void>;
}

async function spawnRedis(port: number): Promise<ChildProcess> {
  const { child, output } = spawnRedisServer(port);
  const exited = once(child, 'exit').then(() => 'exit' as const);
  const spawnError = once(child, 'error').then(([e]) => e as Error);
  // Poll PING until the server answers or the process exits (wall-clock bound, not a sleep for sync).
  const deadline = Date.now() + 10_000;
  for (;;) {
    const state = await Promise.race([
      exited,
      spawnError,
      pings(port, 500).then((ok) => (ok ? ('ready' as const) : ('retry' as const))),
    ]);
    if (state === 'ready') return child;
    if (state === 'exit') throw new Error(`redis-server exited during start on port ${port}: ${output()}`);
    if (state instanceof Error)
      throw new Error(
        `cannot start redis-server (${process.env.REDIS_SERVER_BIN ?? 'redis-server'}): ${state.message}`,
      );
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`redis-server did not answer PING on port ${port} within 10 s: ${output()}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Starts a redis-server on a free loopback port; retries if another process grabbed the port first. */
export async function startRedis(): Promise<RedisHandle> {
  let port = 0;
  let child: ChildProcess | undefined;
  for (let attempt = 0; attempt < 5 && !child; attempt++) {
    [port = 0] = await freePorts(1);
    try {
      child = await spawnRedis(port);
    } catch (err) {
      if (attempt === 4) throw err;
    }
  }
  const stopChild = async (signal: NodeJS.Signals) => {
    const c = child;
    child = undefined;
    if (c) await killAndWait(c, signal);
  };
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    pid: () => child?.pid,
    kill: () => stopChild('SIGKILL'),
    stop: () => stopChild('SIGTERM'),
    async restart() {
      await stopChild('SIGKILL');
      child = await spawnRedis(port);
    },
  };
}
