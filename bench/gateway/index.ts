/**
 * bench/gateway: tools/call throughput over Streamable HTTP, one run, servers and upstream in their
 * own processes. Contenders: (a) the SDK's own McpServer with a trivial tool (the limit of the MCP
 * layer), (b) a Conduit tool answered from L1, (c) a Conduit tool on a cache miss to a local upstream,
 * (d) that upstream called directly with undici. Targets: (b) >= 0.8x (a); (c) adds <= 1 ms at the
 * median over (d) (measured one call at a time, where the median is the per-call cost, not queueing).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { Pool } from 'undici';
import { type ContenderResult, concurrentLoad, ratio, report, target } from '../lib.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '../..');
const CONCURRENCY = 16;
const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 3000);
const WARMUP_MS = Math.min(500, DURATION_MS);
// The v2 Client piles up abort listeners on a long connection; start a fresh one every this many calls.
const CALLS_PER_CLIENT = 1000;

function spawnChild(
  file: string,
  args: string[] = [],
): Promise<{ child: ChildProcess; info: Record<string, string> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(here, file), ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
    cwd: root,
  });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${file} exited with ${code}`)));
    createInterface({ input: child.stdout! }).once('line', (line) =>
      resolve({ child, info: JSON.parse(line) }),
    );
  });
}

type Era = 'legacy' | 'modern';

async function connect(url: string, era: Era): Promise<Client> {
  const client = new Client(
    { name: 'bench', version: '1.0.0' },
    era === 'modern' ? { versionNegotiation: { mode: { pin: '2026-07-28' } } } : {},
  );
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  return client;
}

/** A pool of connected clients, one per concurrent caller; each is replaced after CALLS_PER_CLIENT calls. */
async function clientPool(url: string, era: Era, size: number) {
  const idle: { client: Client; calls: number }[] = [];
  for (let i = 0; i < size; i++) idle.push({ client: await connect(url, era), calls: 0 });
  return {
    async call(tool: string): Promise<void> {
      const lease = idle.pop()!;
      try {
        const r = await lease.client.callTool({ name: tool, arguments: { id: '1' } });
        if (r.isError) throw new Error(JSON.stringify(r.content));
      } finally {
        if (++lease.calls >= CALLS_PER_CLIENT) {
          const old = lease.client;
          lease.client = await connect(url, era);
          lease.calls = 0;
          void old.close();
        }
        idle.push(lease);
      }
    },
    async close() {
      await Promise.all(idle.map((l) => l.client.close()));
    },
  };
}

function version(pkg: string): string {
  return (
    JSON.parse(readFileSync(join(root, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }
  ).version;
}

const upstream = await spawnChild('upstream.ts');
const servers = await spawnChild('servers.ts', [upstream.info.url!]);
const { sdkUrl, conduitUrl } = servers.info as { sdkUrl: string; conduitUrl: string };
const pool = new Pool(upstream.info.url!, { connections: CONCURRENCY, keepAliveTimeout: 60_000 });

const results: ContenderResult[] = [];
async function measure(
  name: string,
  fn: () => Promise<unknown>,
  concurrency: number,
  note?: string,
): Promise<ContenderResult> {
  const r = await concurrentLoad(fn, { concurrency, durationMs: DURATION_MS, warmupMs: WARMUP_MS });
  if (r.errors > 0) throw new Error(`${name}: ${r.errors} failed calls`);
  const row: ContenderResult = { name, opsPerSec: r.opsPerSec, p50Ms: r.p50Ms, p99Ms: r.p99Ms };
  if (note) row.note = note;
  return row;
}

const direct = async () => {
  const res = await pool.request({ path: '/assignments/1', method: 'GET' });
  await res.body.json();
};

try {
  for (const era of ['legacy', 'modern'] as const) {
    const tag = era === 'legacy' ? '2025 sessions' : '2026-07-28';
    const sdk = await clientPool(sdkUrl, era, CONCURRENCY);
    const conduit = await clientPool(conduitUrl, era, CONCURRENCY);
    results.push(
      await measure(`(a) sdk trivial tool [${tag}]`, () => sdk.call('get_assignment'), CONCURRENCY),
    );
    results.push(
      await measure(`(b) conduit L1 hit [${tag}]`, () => conduit.call('get_assignment_cached'), CONCURRENCY),
    );
    if (era === 'legacy')
      results.push(
        await measure(`(c) conduit miss [${tag}]`, () => conduit.call('get_assignment'), CONCURRENCY),
      );
    await Promise.all([sdk.close(), conduit.close()]);
  }
  results.push(await measure('(d) undici direct', direct, CONCURRENCY));

  // One call at a time: the median is then the cost of a call, not time spent queued behind others.
  const serial = await clientPool(conduitUrl, 'legacy', 1);
  const cSerial = await measure('(c) conduit miss, 1 in flight', () => serial.call('get_assignment'), 1);
  await serial.close();
  const dSerial = await measure('(d) undici direct, 1 in flight', direct, 1);
  // The MCP round trip alone (SDK client + SDK server, no upstream), to split (c) - (d) into the
  // protocol's share and Conduit's own.
  const sdkSerialPool = await clientPool(sdkUrl, 'legacy', 1);
  const aSerial = await measure(
    '(a) sdk trivial tool, 1 in flight',
    () => sdkSerialPool.call('get_assignment'),
    1,
  );
  await sdkSerialPool.close();
  results.push(cSerial, dSerial, aSerial);

  const result = report('gateway', '(a) sdk trivial tool [2025 sessions]', results, {
    concurrency: CONCURRENCY,
    durationMs: DURATION_MS,
    versions: {
      node: process.version,
      '@modelcontextprotocol/server': version('@modelcontextprotocol/server'),
      '@modelcontextprotocol/client': version('@modelcontextprotocol/client'),
      '@modelcontextprotocol/node': version('@modelcontextprotocol/node'),
      undici: version('undici'),
    },
  });
  target(
    '(b)/(a) L1 hit vs SDK trivial tool, 2025 sessions',
    ratio(result, '(b) conduit L1 hit [2025 sessions]', '(a) sdk trivial tool [2025 sessions]'),
    0.8,
  );
  target(
    '(b)/(a) L1 hit vs SDK trivial tool, 2026-07-28',
    ratio(result, '(b) conduit L1 hit [2026-07-28]', '(a) sdk trivial tool [2026-07-28]'),
    0.8,
  );
  const added = cSerial.p50Ms! - dSerial.p50Ms!;
  console.log(
    `target: (c) median minus (d) median, 1 in flight = ${added.toFixed(3)} ms (need <= 1) ${added <= 1 ? 'PASS' : 'MISS'}`,
  );
  const own = added - aSerial.p50Ms!;
  console.log(
    `info: of which the MCP round trip itself ((a) median, 1 in flight) = ${aSerial.p50Ms!.toFixed(3)} ms; Conduit's own share = ${own.toFixed(3)} ms`,
  );
} finally {
  await pool.close();
  servers.child.kill('SIGTERM');
  upstream.child.kill('SIGTERM');
}
