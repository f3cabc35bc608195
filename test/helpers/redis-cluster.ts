import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts } from './free-ports.js';
import {
  killAndWait,
  pings,
  type RedisProcess,
  redisCommand,
  spawnRedisServer,
  until,
} from './redis-process.js';

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

function spawnNode(dir: string, port: number, busPort: number): RedisProcess {
  return spawnRedisServer(port, [
    '--cluster-port',
    String(busPort),
    '--cluster-enabled',
    'yes',
    '--cluster-config-file',
    join(dir, `nodes-${port}.conf`),
    '--cluster-node-timeout',
    '5000',
    '--dir',
    dir,
  ]);
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
    await Promise.all(nodes.map(({ child }) => killAndWait(child, 'SIGTERM')));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    for (const [i, port] of ports.entries()) {
      const { child, output } = nodes[i]!;
      await until(`redis cluster: PING on ${port}`, 10_000, async () => {
        if (child.exitCode !== null) throw new Error(`redis-server ${port} exited: ${output()}`);
        return pings(port);
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
    await until('redis cluster: cluster_state:ok on every node', 20_000, async () => {
      for (const port of ports) {
        const info = await redisCommand(port, 'CLUSTER INFO');
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
