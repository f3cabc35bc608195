import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, Socket } from 'node:net';

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

async function freePort(): Promise<number> {
  const srv = createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const addr = srv.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = new Socket();
    let buf = '';
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(500, () => done(false));
    sock.once('error', () => done(false));
    sock.on('data', (d) => {
      buf += d.toString();
      if (buf.includes('\r\n')) done(buf.startsWith('+PONG'));
    });
    sock.connect(port, '127.0.0.1', () => sock.write('PING\r\n'));
  });
}

async function spawnRedis(port: number): Promise<ChildProcess> {
  const bin = process.env.REDIS_SERVER_BIN ?? 'redis-server';
  const child = spawn(
    bin,
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--protected-mode',
      'no',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (d) => {
    output += d.toString();
  });
  child.stderr?.on('data', (d) => {
    output += d.toString();
  });
  const exited = once(child, 'exit').then(() => 'exit' as const);
  const spawnError = once(child, 'error').then(([e]) => e as Error);
  // Poll PING until the server answers or the process exits (wall-clock bound, not a sleep for sync).
  const deadline = Date.now() + 10_000;
  for (;;) {
    const state = await Promise.race([
      exited,
      spawnError,
      ping(port).then((ok) => (ok ? ('ready' as const) : ('retry' as const))),
    ]);
    if (state === 'ready') return child;
    if (state === 'exit') throw new Error(`redis-server exited during start on port ${port}: ${output}`);
    if (state instanceof Error) throw new Error(`cannot start redis-server (${bin}): ${state.message}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`redis-server did not answer PING on port ${port} within 10 s: ${output}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Starts a redis-server on a free loopback port; retries if another process grabbed the port first. */
export async function startRedis(): Promise<RedisHandle> {
  let port = 0;
  let child: ChildProcess | undefined;
  for (let attempt = 0; attempt < 5 && !child; attempt++) {
    port = await freePort();
    try {
      child = await spawnRedis(port);
    } catch (err) {
      if (attempt === 4) throw err;
    }
  }
  const stopChild = async (signal: NodeJS.Signals) => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exit = once(c, 'exit');
    c.kill(signal);
    await exit;
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
