/**
 * The second peer of bench/openapi: `openapi-mcp-generator`, which writes a TypeScript MCP server
 * project for a document. Its dependencies, and those of the server it writes, live in
 * bench/openapi/peer-generator (own package.json and lock, installed by `npm ci` on first use), so
 * the project's own dependencies stay as they are. Generating and compiling are the peer's build
 * step, like compiling Conduit to JavaScript: only the generated server's start is measured.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { envWithoutBuildHook } from '../lib.js';

const here = dirname(fileURLToPath(import.meta.url));
const peerDir = join(here, 'peer-generator');
const generatorBin = join(peerDir, 'node_modules/openapi-mcp-generator/bin/openapi-mcp-generator.js');

/** Installs bench/openapi/peer-generator from its lock when it is not installed yet. */
export function ensureGeneratorPeer(): void {
  if (existsSync(generatorBin)) return;
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const r = spawnSync(npm, ['ci', '--no-audit', '--no-fund'], { cwd: peerDir, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('npm ci in bench/openapi/peer-generator failed');
}

/**
 * Generates the server for `documentPath` (stdio transport: 4.0.1's streamable-http server dies on
 * the first request after `initialize` on Node 20, `ReadableStream is locked` in fetch-to-node),
 * compiles it to JavaScript without type checks, and returns the path of its entry point.
 */
export function buildGeneratorServer(documentPath: string, work: string, n: number): string {
  const out = join(work, `generator-${n}`);
  const r = spawnSync(
    process.execPath,
    [
      generatorBin,
      '--input',
      documentPath,
      '--output',
      out,
      '--transport',
      'stdio',
      '--base-url',
      'http://127.0.0.1:9',
      '--force',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`openapi-mcp-generator failed: ${r.stderr.slice(0, 500)}`);
  const build = join(out, 'build');
  mkdirSync(build, { recursive: true });
  const js = ts.transpileModule(readFileSync(join(out, 'src/index.ts'), 'utf8'), {
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext },
  }).outputText;
  writeFileSync(join(build, 'index.js'), js);
  if (!existsSync(join(out, 'node_modules')))
    symlinkSync(join(peerDir, 'node_modules'), join(out, 'node_modules'), 'dir');
  return join(build, 'index.js');
}

/** Resident set size of a process, from /proc (Linux); 0 elsewhere. */
export function rssOf(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/**
 * Starts `entry` and measures, over stdio, spawn to its first answered `tools/list` (every page),
 * its RSS then, and the bytes of the tools it listed.
 */
export async function measureStdio(
  entry: string,
  limitMs: number,
): Promise<{
  readyMs: number;
  rssBytes: number;
  tools: number;
  listBytes: number;
  listed: Record<string, unknown>[];
}> {
  const started = performance.now();
  const child = spawn(process.execPath, [entry], {
    env: envWithoutBuildHook(),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    if (stderr.length < 4000) stderr += d.toString();
  });
  const answers = new Map<number, (m: { result?: Record<string, unknown> }) => void>();
  let buffered = '';
  child.stdout.on('data', (d: Buffer) => {
    buffered += d.toString();
    for (let at = buffered.indexOf('\n'); at >= 0; at = buffered.indexOf('\n')) {
      const line = buffered.slice(0, at);
      buffered = buffered.slice(at + 1);
      const msg = JSON.parse(line) as { id?: number; result?: Record<string, unknown> };
      if (typeof msg.id === 'number') answers.get(msg.id)?.(msg);
    }
  });
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', () =>
      reject(new Error(`server exited before it was ready: ${stderr.slice(0, 2000)}`)),
    ),
  );
  const timer = setTimeout(() => child.kill('SIGKILL'), limitMs);
  const request = (id: number, method: string, params: object) =>
    Promise.race([
      new Promise<{ result?: Record<string, unknown> }>((resolve) => {
        answers.set(id, resolve);
        child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id, method, params })}\n`);
      }),
      exited,
    ]);
  try {
    await request(0, 'initialize', {
      protocolVersion: '2025-06-18',
      capabilities: {},
      clientInfo: { name: 'bench', version: '1' },
    });
    child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })}\n`);
    let tools = 0;
    let listBytes = 0;
    const listed: Record<string, unknown>[] = [];
    let cursor: string | undefined;
    for (let id = 1; ; id++) {
      const { result } = await request(id, 'tools/list', cursor ? { cursor } : {});
      if (!result) throw new Error('tools/list: no result');
      tools += (result.tools as unknown[]).length;
      listBytes += Buffer.byteLength(JSON.stringify(result.tools));
      listed.push(...(result.tools as Record<string, unknown>[]));
      cursor = result.nextCursor as string | undefined;
      if (!cursor) break;
    }
    return { readyMs: performance.now() - started, rssBytes: rssOf(child.pid!), tools, listBytes, listed };
  } finally {
    clearTimeout(timer);
    exited.catch(() => {});
    child.kill('SIGKILL');
  }
}
