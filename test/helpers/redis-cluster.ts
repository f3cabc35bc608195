import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A real three-master Redis Cluster on ephemeral 127.0.0.1 ports, owned by one test file: three
 * `redis-server --cluster-enabled yes` processes (own temp dir, no persistence) joined with
 * `redis-cli --cluster create --cluster-replicas 0`, ready once every node says `cluster_state:ok`.
 */
export interface RedisClusterHandle {
  /** The masters' data ports. */
  readonly ports: readonly number[];
  /** `redis://127.0.0.1:<port>` per master (seed URLs for a cluster client). */
  readonly urls: readonly string[];
  /** `{ host, port }` per master (ioredis `Cluster` seed nodes). */
  readonly nodes: readonly { host: string; port: number }[];
  /** The nodes' working directory (cluster config files), removed by `stop()`. */
  readonly dir: string;
  /** Process ids of the nodes. */
  pids(): (number | undefined)[];
  /** Stops every node (SIGTERM, waits for exit) and removes the temp dir; safe to call twice. */
  stop(): Promise<void>;
}

/** Holds `n` distinct free loopback ports open at once (so they differ), then releases them. */
async function freePorts(n: number): Promise<number[]> {
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

/** Sends one inline command and returns the raw reply text (enough for PING and CLUSTER INFO). */
function command(port: number, line: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const sock = new Socket();
    let buf = '';
    const done = (v: string | undefined) => {
      sock.destroy();
      resolve(v);
    };
    sock.setTimeout(1000, () => done(undefined));
    sock.once('error', () => done(undefined));
    sock.on('data', (d) => {
      buf += d.toString();
      // A simple string (+PONG) or a bulk string ($<len>\r\n<body>\r\n) complete?
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

/** Polls `check` until it returns true or `ms` passes (a bound, not a sleep standing in for sync). */
async function until(what: string, ms: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`redis cluster: ${what} not reached within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function spawnNode(
  dir: string,
  port: number,
  busPort: number,
): { child: ChildProcess; output: () => string } {
  const bin = process.env.REDIS_SERVER_BIN ?? 'redis-server';
  const child = spawn(
    bin,
    [
      '--port',
      String(port),
      '--cluster-port',
      String(busPort),
      '--bind',
      '127.0.0.1',
      '--cluster-enabled',
      'yes',
      '--cluster-config-file',
      join(dir, `nodes-${port}.conf`),
      '--cluster-node-timeout',
      '5000',
      '--dir',
      dir,
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

function run(bin: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(bin, args, { timeout: 20_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${bin} ${args.join(' ')} failed: ${err.message}\n${stdout}${stderr}`));
      else resolve(stdout);
    });
  });
}

/**
 * Starts a three-master cluster and waits until every node reports the cluster ok. Tries again on
 * fresh ports (up to 3 times) if a port was taken between choosing it and binding it.
 */
export async function startRedisCluster(): Promise<RedisClusterHandle> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce();
    } catch (err) {
      if (attempt === 3) throw err;
    }
  }
}

async function startOnce(): Promise<RedisClusterHandle> {
  const dir = await mkdtemp(join(tmpdir(), 'conduit-redis-cluster-'));
  const [p1, p2, p3, b1, b2, b3] = await freePorts(6);
  const ports = [p1!, p2!, p3!];
  const busPorts = [b1!, b2!, b3!];
  const nodes = ports.map((p, i) => spawnNode(dir, p, busPorts[i]!));
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await Promise.all(
      nodes.map(async ({ child }) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exit = once(child, 'exit');
        child.kill('SIGTERM');
        await exit;
      }),
    );
    await rm(dir, { recursive: true, force: true });
  };
  try {
    for (const [i, port] of ports.entries()) {
      const { child, output } = nodes[i]!;
      await until(`PING on ${port}`, 10_000, async () => {
        if (child.exitCode !== null) throw new Error(`redis-server ${port} exited: ${output()}`);
        return (await command(port, 'PING'))?.startsWith('+PONG') ?? false;
      });
    }
    await run(process.env.REDIS_CLI_BIN ?? 'redis-cli', [
      '--cluster',
      'create',
      ...ports.map((p) => `127.0.0.1:${p}`),
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    ]);
    // Every node must agree: state ok, all slots assigned, all three masters known.
    await until('cluster_state:ok on every node', 20_000, async () => {
      for (const port of ports) {
        const info = await command(port, 'CLUSTER INFO');
        if (
          !info?.includes('cluster_state:ok') ||
          !info.includes('cluster_slots_ok:16384') ||
          !info.includes('cluster_known_nodes:3')
        )
          return false;
      }
      return true;
    });
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    ports,
    urls: ports.map((p) => `redis://127.0.0.1:${p}`),
    nodes: ports.map((port) => ({ host: '127.0.0.1', port })),
    dir,
    pids: () => nodes.map(({ child }) => child.pid),
    stop,
  };
}
