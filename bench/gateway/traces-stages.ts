/**
 * bench/gateway/traces-stages: where tracing spends a traced gateway's CPU, by stage (see
 * cpu-stages.ts; OpenTelemetry split by package and file), for the L1 hit and the miss, traces off
 * and on (sampling 1, OTLP/HTTP to a receiver in its own process). Each row gets a fresh
 * traces-servers process under `node --cpu-prof`, driven by a bare Streamable HTTP client (2025
 * sessions), 16 in flight; stage shares are scaled by the server CPU per call from /proc over the
 * same calls (Linux). Not part of `npm run bench`: the profiler costs CPU itself.
 * Usage: npx tsx bench/gateway/traces-stages.ts [calls per row, default 6000] [row filter]
 * Env: TRACES_STAGES=off,noop,spans,batch,on,sdk (default off,on; `sdk`: the SDK pipeline instead of Conduit's recorder;
 * `none`: no telemetry section; `<stage>#2`: a second server at that stage, for the noise between two) stops the traced gateway at a stage
 * (spans made / batched / exported over OTLP); TRACES_STAGES_PROFILE=0 measures CPU without the profiler.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cpuNote, cpuWindow } from './cpu.js';
import { cpuStages, mainProfile, stageLines } from './cpu-stages.js';
import { drive, spawnChild } from './session.js';

const CALLS = Number(process.argv[2] ?? 6000);
const FILTER = process.argv[3] ?? '';
const CONCURRENCY = 16;
const PROFILE = process.env.TRACES_STAGES_PROFILE !== '0';

const STAGES = (process.env.TRACES_STAGES ?? 'off,on').split(',');
const STAGE_NAMES: Record<string, string> = {
  off: 'traces off',
  none: 'no telemetry section',
  noop: 'traced code paths, no-op API spans',
  spans: 'spans made, none exported',
  batch: 'spans batched, dropped by the exporter',
  recorded: "Conduit's recorder, spans dropped at the end",
  on: 'traces on (OTLP)',
  sdk: 'the OpenTelemetry SDK (BatchSpanProcessor, OTLP/HTTP JSON exporter)',
};
const nameOf = (stage: string) => STAGE_NAMES[stage.replace(/[#+].*$/, '')] ?? stage;
const rows = ['get_assignment_cached', 'get_assignment_miss']
  .flatMap((tool) =>
    STAGES.map((stage) => ({
      name: `${tool.endsWith('miss') ? 'miss' : 'L1 hit'}, ${nameOf(stage)}`,
      stage,
      tool,
    })),
  )
  .filter((r) => r.name.includes(FILTER));

const upstream = await spawnChild('upstream.ts', []);
const receiver = await spawnChild('traces-receiver.ts', []);

/** A fresh traces-servers process stopped at `stage` (profiled into `dir` when given). */
function serverAt(stage: string, dir?: string) {
  const args = !/^(off|none)/.test(stage)
    ? [upstream.info.url!, receiver.info.endpoint!]
    : [upstream.info.url!];
  // `<stage>+KEY=VALUE+…`: that server's environment gets these (the batch processor's OTEL_BSP_*).
  const [name, ...env] = stage.replace(/#\d+$/, '').split('+');
  process.env.TRACES_STAGE = name;
  for (const kv of env) process.env[kv.slice(0, kv.indexOf('='))] = kv.slice(kv.indexOf('=') + 1);
  const child = spawnChild('traces-servers.ts', args, dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : []);
  for (const kv of env) delete process.env[kv.slice(0, kv.indexOf('='))];
  return child;
}

let nonces = 0;
/** A fresh range of nonces for one drive of the miss tool (each call a real miss). */
const nextNonces = () => (nonces += 100_000);

/**
 * Without the profiler: every stage's server at once, driven in interleaved rounds (order reversed
 * every other round) so the machine's load hits each alike; the median of the rounds' CPU per call.
 */
async function interleavedCpu(tool: string): Promise<void> {
  const servers = await Promise.all(STAGES.map((stage) => serverAt(stage)));
  const ROUNDS = Number(process.env.TRACES_STAGES_ROUNDS ?? 7);
  const perRound = Math.ceil(CALLS / ROUNDS);
  const us: number[][] = STAGES.map(() => []);
  try {
    for (const s of servers) await drive(s.info.url!, tool, 2000, CONCURRENCY, nextNonces());
    for (let r = 0; r < ROUNDS; r++) {
      const order = STAGES.map((_, i) => i);
      if (r % 2 === 1) order.reverse();
      for (const i of order) {
        const cpu = cpuWindow(servers[i]!.child.pid);
        await drive(servers[i]!.info.url!, tool, perRound, CONCURRENCY, nextNonces());
        us[i]!.push(cpu.end(perRound).serverUs ?? Number.NaN);
      }
    }
  } finally {
    for (const s of servers) s.child.kill('SIGTERM');
  }
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
  const base = med(us[0]!);
  for (let i = 0; i < STAGES.length; i++) {
    const m = med(us[i]!);
    // Paired with the first stage's server in the same round: the load of the moment cancels out.
    const diffs = us[i]!.map((x, r) => x - us[0]![r]!).sort((a, b) => a - b);
    console.log(
      `${tool.endsWith('miss') ? 'miss' : 'L1 hit'}, ${STAGES[i]!}: server ${m.toFixed(1)} µs CPU per call (median of ${ROUNDS} rounds; +${(m - base).toFixed(1)} over ${nameOf(STAGES[0]!)}, paired by round +${med(diffs).toFixed(1)} [${diffs[0]!.toFixed(0)}..${diffs.at(-1)!.toFixed(0)}]; rounds ${us[i]!.map((x) => x.toFixed(0)).join(' ')})`,
    );
  }
}

try {
  if (!PROFILE) {
    for (const tool of ['get_assignment_cached', 'get_assignment_miss'].filter((t) => t.includes(FILTER)))
      await interleavedCpu(tool);
  } else
    for (const row of rows) {
      const dir = mkdtempSync(join(tmpdir(), 'conduit-traces-stages-'));
      const server = await serverAt(row.stage, dir);
      // Warm-up, unmeasured, then the measured calls.
      await drive(server.info.url!, row.tool, 2000, CONCURRENCY, 0);
      const cpu = cpuWindow(server.child.pid);
      await drive(server.info.url!, row.tool, CALLS, CONCURRENCY, 10_000);
      const { clientUs, serverUs } = cpu.end(CALLS);
      const exited = new Promise((r) => server.child.once('exit', r));
      server.child.kill('SIGTERM');
      await exited;
      console.log(`\n${row.name}: ${CALLS} calls, ${cpuNote(clientUs, serverUs)} (profiled)`);
      for (const line of stageLines(cpuStages(mainProfile(dir), { detail: true }), serverUs, 0.003))
        console.log(line);
      if (process.env.TRACES_STAGES_KEEP) console.log(`profile kept in ${dir}`);
      else rmSync(dir, { recursive: true, force: true });
    }
} finally {
  upstream.child.kill('SIGTERM');
  receiver.child.kill('SIGTERM');
}
