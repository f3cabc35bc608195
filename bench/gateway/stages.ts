/**
 * bench/gateway/stages: where a tools/call spends the server's CPU, by stage (see cpu-stages.ts), for
 * (a) the SDK's trivial tool, (b) a Conduit L1 hit and (c) a Conduit miss. Each row gets a fresh
 * servers process run under `node --cpu-prof`, driven by a bare Streamable HTTP client (2025
 * sessions) at 16 in flight (or as many as argv[3] says). Each stage's share of the profile is scaled by the server CPU per call
 * measured from /proc over the same calls (Linux). Not part of `npm run bench`: the profiler costs
 * CPU itself, so the figures say where the time goes, not how fast a call is.
 * Usage: npx tsx bench/gateway/stages.ts [calls per row, default 6000] [in flight, default 16] [row filter]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { cpuNote, cpuWindow } from './cpu.js';
import { cpuStages } from './cpu-stages.js';

const here = dirname(fileURLToPath(import.meta.url));
const CALLS = Number(process.argv[2] ?? 6000);
const CONCURRENCY = Number(process.argv[3] ?? 16);
const ONLY = process.argv[4];

function spawnChild(file: string, args: string[], node: string[] = []) {
  const child = spawn(process.execPath, [...node, '--import', 'tsx', join(here, file), ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
    cwd: join(here, '../..'),
  });
  return new Promise<{ child: ChildProcess; info: Record<string, string> }>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${file} exited with ${code}`)));
    createInterface({ input: child.stdout! }).once('line', (line) =>
      resolve({ child, info: JSON.parse(line) }),
    );
  });
}

/** `calls` tools/call of `tool` over one 2025-era session, CONCURRENCY in flight. */
async function drive(url: string, tool: string, calls: number): Promise<void> {
  const u = new URL(url);
  const pool = new Pool(u.origin, { connections: CONCURRENCY });
  const base = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
  const post = async (headers: Record<string, string>, body: unknown) => {
    const res = await pool.request({ path: u.pathname, method: 'POST', headers, body: JSON.stringify(body) });
    return { headers: res.headers, text: await res.body.text(), status: res.statusCode };
  };
  const init = await post(base, {
    jsonrpc: '2.0',
    id: 0,
    method: 'initialize',
    params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'stages', version: '1' } },
  });
  const headers: Record<string, string> = {
    ...base,
    'mcp-session-id': String(init.headers['mcp-session-id']),
    'mcp-protocol-version': '2025-06-18',
  };
  await post(headers, { jsonrpc: '2.0', method: 'notifications/initialized' });
  let next = 0;
  const worker = async () => {
    while (next < calls) {
      const id = ++next;
      const args = tool.includes('miss') ? { id: '1', nonce: String(id) } : { id: '1' };
      const r = await post(headers, {
        jsonrpc: '2.0',
        id,
        method: 'tools/call',
        params: { name: tool, arguments: args },
      });
      if (r.status !== 200 || r.text.includes('"isError":true')) throw new Error(r.text.slice(0, 300));
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  await pool.close();
}

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
    await drive(servers.info[row.url]!, row.tool, CALLS);
    const { clientUs, serverUs } = cpu.end(CALLS);
    const exited = new Promise((r) => servers.child.once('exit', r));
    servers.child.kill('SIGTERM');
    await exited;
    // The main thread's profile is the largest (tsx's loader thread writes one too).
    const file = readdirSync(dir)
      .map((f) => join(dir, f))
      .sort((a, b) => statSync(b).size - statSync(a).size)[0]!;
    const stages = cpuStages(file);
    console.log(`\n${row.name}: ${CALLS} calls, ${cpuNote(clientUs, serverUs)} (profiled); by stage:`);
    for (const s of stages.filter((x) => x.share >= 0.002)) {
      const us = serverUs === undefined ? '' : `${(s.share * serverUs).toFixed(1).padStart(7)} µs `;
      console.log(`${us}${(100 * s.share).toFixed(1).padStart(5)}%  ${s.stage}`);
    }
    if (process.env.BENCH_KEEP_PROFILE) console.log(`profile: ${file}`);
    else rmSync(dir, { recursive: true, force: true });
  }
} finally {
  upstream.child.kill('SIGTERM');
}
