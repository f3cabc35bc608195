/**
 * bench/gateway: tools/call throughput over Streamable HTTP, one run, servers and upstream in their
 * own processes. Contenders: (a) the SDK's own McpServer with a trivial tool (the limit of the MCP
 * layer), (b) a Conduit tool answered from L1, (c) a Conduit tool on a cache miss to a local upstream,
 * (d) that upstream called directly with undici. Targets: (b) >= 0.8x (a); (c) adds <= 0.4 ms at the
 * median over (d) (measured one call at a time, where the median is the per-call cost, not queueing).
 * The main rows drive the servers with a bare Streamable HTTP client (the SDK's Client costs several
 * ms of CPU per call and would measure itself); rows tagged [SDK Client] use the SDK's own Client in
 * both protocol eras, for reference.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { Pool } from 'undici';
import {
  type ContenderResult,
  concurrentLoad,
  interleavedRounds,
  median,
  ratio,
  report,
  target,
  warmUp,
} from '../lib.js';
import { cpuNote, cpuWindow } from './cpu.js';
import { openSession, spawnChild, toolsCall } from './session.js';
import { tracesRows } from './traces.js';
import { shapedHitRows } from './shaped-hit.js';
import { authenticatedHitRows } from './authenticated-hit.js';
import { perCallerRows } from './per-caller-hit.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '../..');
const CONCURRENCY = 16;
// The miss path's own cost, (c) minus (d) one call at a time, in ms.
const MISS_OWN_COST_MS = 0.4;
const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 800);
const ROUNDS = 5;
// Unmeasured calls per contender before its first round, CONCURRENCY in flight whatever the row's own
// concurrency: enough for V8 to optimise a freshly spawned server's path (a time-based warm-up gave a
// slow, cold contender a few dozen calls and let the first one measured come out worse).
const WARMUP_CALLS = Number(process.env.BENCH_WARMUP_CALLS ?? 2000);
// The v2 Client piles up abort listeners on a long connection; start a fresh one every this many calls.
const CALLS_PER_CLIENT = 1000;

type Era = 'legacy' | 'modern';

async function connect(url: string, era: Era): Promise<Client> {
  const client = new Client(
    { name: 'bench', version: '1.0.0' },
    era === 'modern' ? { versionNegotiation: { mode: { pin: '2026-07-28' } } } : {},
  );
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  return client;
}

let nonce = 0;
/** Arguments per tool: the miss tool gets a fresh cache key every call, so each call is a real miss. */
function argsFor(tool: string): Record<string, string> {
  return tool.startsWith('get_assignment_miss') ? { id: '1', nonce: String(nonce++) } : { id: '1' };
}

/** A pool of connected clients, one per concurrent caller; each is replaced after CALLS_PER_CLIENT calls. */
async function clientPool(url: string, era: Era, size: number) {
  const idle: { client: Client; calls: number }[] = [];
  for (let i = 0; i < size; i++) idle.push({ client: await connect(url, era), calls: 0 });
  return {
    async call(tool: string): Promise<void> {
      const lease = idle.pop()!;
      try {
        const r = await lease.client.callTool({ name: tool, arguments: argsFor(tool) });
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

/** A bare Streamable HTTP client (see session.ts): tools/call of any tool, each answer checked. */
async function rawSession(url: string, connections: number) {
  const session = await openSession(url, connections);
  let id = 1;
  return {
    async call(tool: string): Promise<void> {
      const r = await session.post(toolsCall(id++, tool, argsFor(tool)));
      // One JSON-RPC response, as JSON or as one SSE `data:` line.
      const at = r.text.indexOf('{');
      const msg = JSON.parse(r.text.slice(at, r.text.lastIndexOf('}') + 1)) as {
        result?: { isError?: boolean };
      };
      if (r.status !== 200 || !msg.result || msg.result.isError) throw new Error(r.text.slice(0, 300));
    },
    close: () => session.close(),
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
  serverPid: number | undefined = servers.child.pid,
): Promise<ContenderResult> {
  const cpu = cpuWindow(serverPid);
  // Warmed up by count beforehand (see `interleaved`), so the window is measured calls only.
  const r = await concurrentLoad(fn, { concurrency, durationMs: DURATION_MS, warmupMs: 0 });
  if (r.errors > 0) throw new Error(`${name}: ${r.errors} failed calls`);
  const { clientUs, serverUs } = cpu.end((r.opsPerSec * DURATION_MS) / 1000);
  const row: ContenderResult = { name, opsPerSec: r.opsPerSec, p50Ms: r.p50Ms, p99Ms: r.p99Ms };
  row.note = [note, cpuNote(clientUs, serverUs)].filter(Boolean).join('; ');
  return row;
}

/**
 * Measures contenders fairly against each other: every contender first gets WARMUP_CALLS unmeasured
 * calls, then ROUNDS interleaved rounds (order reversed every other round), so a burst of load from
 * other processes on this shared machine hits every contender alike. ops/s and the latencies are the
 * medians of the rounds; ratios between rows are thus ratios of medians.
 */
async function interleaved(
  contenders: { name: string; fn: () => Promise<unknown> }[],
  concurrency: number,
  /** The process serving these contenders, whose CPU per call the rows note (default: servers.ts). */
  serverPid?: number,
): Promise<ContenderResult[]> {
  for (const c of contenders) await warmUp(c.fn, WARMUP_CALLS, CONCURRENCY);
  const runs = await interleavedRounds(contenders, ROUNDS, (c) =>
    measure(c.name, c.fn, concurrency, undefined, serverPid ?? servers.child.pid),
  );
  return contenders.map(({ name }, i) => {
    const rs = runs[i]!;
    return {
      name,
      opsPerSec: median(rs.map((r) => r.opsPerSec)),
      p50Ms: median(rs.map((r) => r.p50Ms!)),
      p99Ms: median(rs.map((r) => r.p99Ms!)),
      note: `median of ${ROUNDS} rounds of ${DURATION_MS} ms after ${WARMUP_CALLS} warm-up calls, ${concurrency} in flight; last round ${rs[rs.length - 1]!.note}`,
    };
  });
}

const direct = async () => {
  const res = await pool.request({ path: '/assignments/1', method: 'GET' });
  await res.body.json();
};

try {
  // Main table: a bare client, so the server side is what is measured.
  const rawSdk = await rawSession(sdkUrl, CONCURRENCY);
  const rawConduit = await rawSession(conduitUrl, CONCURRENCY);
  results.push(
    ...(await interleaved(
      [
        { name: '(a) sdk trivial tool', fn: () => rawSdk.call('get_assignment') },
        { name: '(b) conduit L1 hit', fn: () => rawConduit.call('get_assignment_cached') },
        { name: '(c) conduit miss', fn: () => rawConduit.call('get_assignment_miss') },
        {
          name: '(c2) conduit miss, credentials (answer scrubbed)',
          fn: () => rawConduit.call('get_assignment_miss_secret'),
        },
        { name: '(d) undici direct', fn: direct },
      ],
      CONCURRENCY,
    )),
  );

  // One call at a time: the median is then the cost of a call, not time spent queued behind others.
  // (a) here is the MCP round trip alone (SDK server, no upstream), to split (c) - (d) into the
  // protocol's share and Conduit's own.
  // (b) here is Conduit's own MCP round trip without the upstream.
  const [cSerial, dSerial, aSerial, bSerial, c2Serial] = await interleaved(
    [
      { name: '(c) conduit miss, 1 in flight', fn: () => rawConduit.call('get_assignment_miss') },
      { name: '(d) undici direct, 1 in flight', fn: direct },
      { name: '(a) sdk trivial tool, 1 in flight', fn: () => rawSdk.call('get_assignment') },
      { name: '(b) conduit L1 hit, 1 in flight', fn: () => rawConduit.call('get_assignment_cached') },
      {
        name: '(c2) conduit miss, credentials, 1 in flight',
        fn: () => rawConduit.call('get_assignment_miss_secret'),
      },
    ],
    1,
  );
  results.push(cSerial!, dSerial!, aSerial!, bSerial!, c2Serial!);
  results.push(...(await shapedHitRows((t) => rawConduit.call(t), interleaved, CONCURRENCY)));
  results.push(...(await authenticatedHitRows(spawnChild, interleaved, CONCURRENCY, upstream.info.url!)));
  results.push(...(await perCallerRows(spawnChild, interleaved, CONCURRENCY, upstream.info.url!)));
  await Promise.all([rawSdk.close(), rawConduit.close()]);
  const traces = await tracesRows({
    upstreamUrl: upstream.info.url!,
    spawnChild,
    rawSession,
    interleaved,
    concurrency: CONCURRENCY,
  });
  results.push(...traces.rows);

  // For reference: the same through the SDK's own Client, in both protocol eras (client-bound here).
  for (const era of ['legacy', 'modern'] as const) {
    const tag = era === 'legacy' ? 'SDK Client, 2025 sessions' : 'SDK Client, 2026-07-28';
    const sdk = await clientPool(sdkUrl, era, CONCURRENCY);
    const conduit = await clientPool(conduitUrl, era, CONCURRENCY);
    results.push(
      ...(await interleaved(
        [
          { name: `(a) sdk trivial tool [${tag}]`, fn: () => sdk.call('get_assignment') },
          { name: `(b) conduit L1 hit [${tag}]`, fn: () => conduit.call('get_assignment_cached') },
        ],
        CONCURRENCY,
      )),
    );
    await Promise.all([sdk.close(), conduit.close()]);
  }

  const result = report('gateway', '(a) sdk trivial tool', results, {
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
    '(b)/(a) L1 hit vs SDK trivial tool',
    ratio(result, '(b) conduit L1 hit', '(a) sdk trivial tool'),
    0.8,
  );
  target(
    '(b)/(a) with the SDK Client, 2025 sessions',
    ratio(
      result,
      '(b) conduit L1 hit [SDK Client, 2025 sessions]',
      '(a) sdk trivial tool [SDK Client, 2025 sessions]',
    ),
    0.8,
  );
  target(
    '(b)/(a) with the SDK Client, 2026-07-28',
    ratio(
      result,
      '(b) conduit L1 hit [SDK Client, 2026-07-28]',
      '(a) sdk trivial tool [SDK Client, 2026-07-28]',
    ),
    0.8,
  );
  console.log(
    `info: (c2)/(c) miss with credentials (every answer scrubbed for echoed secrets) vs without = ${ratio(result, '(c2) conduit miss, credentials (answer scrubbed)', '(c) conduit miss').toFixed(2)}x ops/s; ` +
      `1 in flight: median ${c2Serial!.p50Ms!.toFixed(3)} ms vs ${cSerial!.p50Ms!.toFixed(3)} ms`,
  );
  for (const line of traces.lines) console.log(line);
  const added = cSerial!.p50Ms! - dSerial!.p50Ms!;
  console.log(
    `target: (c) median minus (d) median, 1 in flight = ${added.toFixed(3)} ms (need <= ${MISS_OWN_COST_MS}) ${added <= MISS_OWN_COST_MS ? 'PASS' : 'MISS'}`,
  );
  console.log(
    `info: of which the MCP round trip ((a) SDK trivial tool, 1 in flight) = ${aSerial!.p50Ms!.toFixed(3)} ms, ` +
      `Conduit's own MCP round trip ((b) L1 hit, 1 in flight) = ${bSerial!.p50Ms!.toFixed(3)} ms; ` +
      `the rest, ${(added - bSerial!.p50Ms!).toFixed(3)} ms, is the miss path plus the gateway's own upstream hop`,
  );
} finally {
  await pool.close();
  servers.child.kill('SIGTERM');
  upstream.child.kill('SIGTERM');
}
