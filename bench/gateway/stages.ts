/**
 * bench/gateway/stages: where a tools/call spends the server's CPU, by stage (see cpu-stages.ts), for
 * (a) the SDK's trivial tool, (b) a Conduit L1 hit and (c) a Conduit miss. Each row gets a fresh
 * servers process run under `node --cpu-prof`, driven by a bare Streamable HTTP client (2025
 * sessions) at 16 in flight (or as many as argv[3] says). Each stage's share of the profile is scaled by the server CPU per call
 * measured from /proc over the same calls (Linux). Not part of `npm run bench`: the profiler costs
 * CPU itself, so the figures say where the time goes, not how fast a call is.
 * Usage: npx tsx bench/gateway/stages.ts [calls per row, default 6000] [in flight, default 16] [row filter]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cpuNote, cpuWindow } from './cpu.js';
import { cpuStages, mainProfile, stageLines } from './cpu-stages.js';
import { drive, spawnChild } from './session.js';

const CALLS = Number(process.argv[2] ?? 6000);
const CONCURRENCY = Number(process.argv[3] ?? 16);
const ONLY = process.argv[4];

const rows = [
  { name: '(a) sdk trivial tool', url: 'sdkUrl', tool: 'get_assignment' },
  { name: '(b) conduit L1 hit', url: 'conduitUrl', tool: 'get_assignment_cached' },
  { name: '(c) conduit miss', url: 'conduitUrl', tool: 'get_assignment_miss' },
] as const;

const upstream = await spawnChild('upstream.ts', []);
try {
  for (const row of rows.filter((r) => !ONLY || r.name.includes(ONLY))) {
    const dir = mkdtempSync(join(tmpdir(), 'conduit-stages-'));
    const servers = await spawnChild(
      'servers.ts',
      [upstream.info.url!],
      ['--cpu-prof', `--cpu-prof-dir=${dir}`],
    );
    const cpu = cpuWindow(servers.child.pid);
    await drive(servers.info[row.url]!, row.tool, CALLS, CONCURRENCY);
    const { clientUs, serverUs } = cpu.end(CALLS);
    const exited = new Promise((r) => servers.child.once('exit', r));
    servers.child.kill('SIGTERM');
    await exited;
    const file = mainProfile(dir);
    const stages = cpuStages(file);
    console.log(`\n${row.name}: ${CALLS} calls, ${cpuNote(clientUs, serverUs)} (profiled); by stage:`);
    for (const line of stageLines(stages, serverUs, 0.002)) console.log(line);
    if (process.env.BENCH_KEEP_PROFILE) console.log(`profile: ${file}`);
    else rmSync(dir, { recursive: true, force: true });
  }
} finally {
  upstream.child.kill('SIGTERM');
}
