/**
 * Splits a V8 CPU profile (`node --cpu-prof`) of a server process into stages of a request: each
 * sample goes to the first frame, walking from the leaf towards the root, that belongs to a package
 * or to a Conduit module, so Node's own work (socket writes, streams, timers) is charged to the code
 * that asked for it. Module loading is left out; idle time is not CPU. `detail` splits OpenTelemetry
 * by package and file, and Conduit's telemetry module by file.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const STARTUP = /esm\/module_job|cjs\/loader|esm\/loader|esm\/hooks|esm\/worker/;
const IDLE = new Set(['(idle)', '(program)']);

/** The stage of one frame's source, or undefined for Node's own code (then its caller decides). */
function stageOf(url: string, detail: boolean): string | undefined {
  if (detail && url.includes('@opentelemetry/')) {
    const path = url.split('@opentelemetry/').pop()!;
    return `opentelemetry ${path.split('/')[0]} ${path.split('/').pop()!.replace(/\.js$/, '')}`;
  }
  if (detail && url.includes('/src/telemetry/')) return `conduit telemetry/${url.split('/').pop()}`;
  if (url.includes('/src/') && !url.includes('node_modules'))
    return `conduit ${url.split('/src/')[1]!.split('/').slice(0, 2).join('/').replace(/\.ts$/, '')}`;
  if (url.includes('@hono/node-server'))
    return 'SDK node adapter (node <-> web Request/Response, @hono/node-server)';
  if (url.includes('@modelcontextprotocol/node'))
    return 'SDK node adapter (node <-> web Request/Response, @hono/node-server)';
  if (url.includes('@modelcontextprotocol/'))
    return 'SDK transport + protocol (@modelcontextprotocol/server, core)';
  if (url.includes('/zod/')) return 'zod (JSON-RPC and MCP schema checks)';
  // Node's fetch classes (Request, Response, Headers) live in its bundled undici.
  if (url.includes('internal/deps/undici')) return 'web Request/Response/Headers (Node, used by the SDK)';
  if (url.includes('node_modules/undici')) return 'undici (upstream request)';
  if (url.includes('@opentelemetry')) return 'opentelemetry';
  if (url.includes('node_modules/')) return `package ${url.split('node_modules/').pop()!.split('/')[0]}`;
  return undefined;
}

/**
 * Each stage's share of the sampled time, most expensive first, from the profile file at `path`.
 * Samples are spaced in wall time, so on a loaded machine they also count time the thread waited for
 * a core: use the shares, scaled by CPU measured apart (see cpu.ts).
 */
export function cpuStages(
  path: string,
  options: { detail?: boolean } = {},
): { stage: string; share: number }[] {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const totals = new Map<string, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const leaf = byId.get(profile.samples[i]!)!.callFrame;
    if (IDLE.has(leaf.functionName)) continue;
    let stage: string | undefined;
    let startup = false;
    for (let id: number | undefined = profile.samples[i]; id !== undefined; id = parent.get(id)) {
      const url = byId.get(id)!.callFrame.url;
      if (STARTUP.test(url)) {
        startup = true;
        break;
      }
      stage ??= stageOf(url, options.detail === true);
    }
    if (startup) continue;
    if (leaf.functionName === '(garbage collector)') stage = 'garbage collector';
    stage ??= 'node (http parser, event loop, not charged to a caller)';
    totals.set(stage, (totals.get(stage) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  let all = 0;
  for (const t of totals.values()) all += t;
  return [...totals].map(([stage, t]) => ({ stage, share: t / all })).sort((a, b) => b.share - a.share);
}

/** The main thread's profile of those `node --cpu-prof` wrote into `dir`: the largest (tsx's loader thread writes one too). */
export function mainProfile(dir: string): string {
  return readdirSync(dir)
    .map((f) => join(dir, f))
    .sort((a, b) => statSync(b).size - statSync(a).size)[0]!;
}

/** A line per stage of `minShare` or more: its share, and its µs per call when the server's CPU per call is known. */
export function stageLines(
  stages: { stage: string; share: number }[],
  serverUs: number | undefined,
  minShare: number,
): string[] {
  return stages
    .filter((x) => x.share >= minShare)
    .map((s) => {
      const us = serverUs === undefined ? '' : `${(s.share * serverUs).toFixed(1).padStart(7)} µs `;
      return `${us}${(100 * s.share).toFixed(1).padStart(5)}%  ${s.stage}`;
    });
}
