import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { Socket } from 'node:net';

/**
 * What `redis-server.ts` (one server) and `redis-cluster.ts` (three cluster nodes) share: a raw
 * inline command, spawning a loopback redis-server without persistence, bounded polling and a
 * kill that waits for the exit.
 */

/**
 * Sends one inline command and returns the raw reply text: a simple string or error line as is
 * (`+PONG\r\n`), a bulk string's body (CLUSTER INFO); `undefined` on no answer within `timeoutMs`.
 */
export function redisCommand(port: number, line: string, timeoutMs = 1000): Promise<string | undefined> {
  return new Promise((resolve) => {
    const sock = new Socket();
    let buf = '';
    const done = (v: string | undefined) => {
      sock.destroy();
      resolve(v);
    };
    sock.setTimeout(timeoutMs, () => done(undefined));
    sock.once('error', () => done(undefined));
    sock.on('data', (d) => {
      buf += d.toString();
      if (buf.startsWith('+') || buf.startsWith('-')) {
        if (buf.includes('\r\n')) done(buf);
      } else if (buf.startsWith('$')) {
        const eol = buf.indexOf('\r\n');
        const len = Number(buf.slice(1, eol));
        if (buf.length >= eol + 2 + len + 2) done(buf.slice(eol + 2, eol + 2 + len));
      }
    });
    sock.connect(port, '127.0.0.1', () => sock.write(`${line}\r\n`));
  });
}

/** True once the server on `port` answers PING. */
export async function pings(port: number, timeoutMs?: number): Promise<boolean> {
  return (await redisCommand(port, 'PING', timeoutMs))?.startsWith('+PONG') ?? false;
}

/** Polls `check` until it returns true or `ms` passes (a bound, not a sleep standing in for sync). */
export async function until(
  what: string,
  ms: number,
  check: () => Promise<boolean>,
  everyMs = 50,
): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`${what} not reached within ${ms} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** A spawned redis-server and everything it printed so far (for error messages). */
export interface RedisProcess {
  child: ChildProcess;
  output(): string;
}

/** Spawns redis-server on 127.0.0.1:`port` without persistence; `extraArgs` add to that. */
export function spawnRedisServer(port: number, extraArgs: readonly string[] = []): RedisProcess {
  const bin = process.env.REDIS_SERVER_BIN ?? 'redis-server';
  const child = spawn(
    bin,
    [
      '--port',
      String(port),
      ...extraArgs,
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
  return { child, output: () => output };
}

/** Sends `signal` to `child` unless it already exited, and waits for the exit. */
export async function killAndWait(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exit = once(child, 'exit');
  child.kill(signal);
  await exit;
}
