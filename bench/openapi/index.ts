/**
 * bench/openapi: serving an OpenAPI document in tools mode. For generated documents of 250 and 1,200
 * operations and GitHub's full REST document (`@octokit/openapi`, 1,200+ operations), each server is
 * started in its own process and measured from spawn to HTTP ready (its first answered `tools/list`),
 * its RSS then, and the bytes of its `tools/list`. Beside Conduit (`conduit serve --transport http`)
 * run two OpenAPI-to-MCP servers a user would pick from the npm registry, on the same document:
 * `@ivotoby/openapi-mcp-server` (a devDependency) and the server `openapi-mcp-generator` writes
 * (bench/openapi/peer-generator, installed on first use; measured over stdio, see generator-peer.ts). Targets: 1,200 operations ready <= 3 s and
 * <= 200 MB RSS; 250 operations ready <= 1.5 s; Conduit's `tools/list` no larger than each peer's
 * (default listing; the size with `server.toolListing: explicit` and `openapi.titles: true` is printed beside it).
 * Each document's table of field bytes (field-bytes.ts) says where the bytes of each list go; with
 * BENCH_OPENAPI_DUMP=<dir> every server's listed tools are written there as JSON, to compare them.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { type ContenderResult, envWithoutBuildHook, report, target } from '../lib.js';
import { restDocument } from './document.js';
import { fieldBytes, fieldTable } from './field-bytes.js';
import { buildGeneratorServer, ensureGeneratorPeer, measureStdio, rssOf } from './generator-peer.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '../..');
const work = mkdtempSync(join(tmpdir(), 'conduit-bench-openapi-'));
const RUNS = Number(process.env.BENCH_OPENAPI_RUNS ?? 2);
const READY_LIMIT_MS = 120_000;
const github = join(root, 'node_modules/@octokit/openapi/generated/api.github.com.json');
const peerBin = join(root, 'node_modules/@ivotoby/openapi-mcp-server/bin/mcp-server.js');

interface Measure {
  readyMs: number;
  rssBytes: number;
  tools: number;
  listBytes: number;
  /** The listed tools, for their per-field bytes. */
  listed: Record<string, unknown>[];
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function post(url: string, headers: Record<string, string>, body: unknown) {
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...headers,
    },
    body: JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** The JSON-RPC message of an answer sent as JSON or as one SSE `data:` line. */
function message(text: string): { result?: Record<string, unknown>; error?: unknown } {
  const at = text.indexOf('{');
  return JSON.parse(text.slice(at, text.lastIndexOf('}') + 1));
}

/** initialize + tools/list (every page); throws while the server is not up yet. */
async function listTools(
  url: string,
): Promise<{ tools: number; bytes: number; listed: Record<string, unknown>[] }> {
  const init = await post(
    url,
    {},
    {
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: {
        protocolVersion: '2025-06-18',
        capabilities: {},
        clientInfo: { name: 'bench', version: '1' },
      },
    },
  );
  if (init.status !== 200) throw new Error(`initialize: ${init.status}`);
  const session = init.headers.get('mcp-session-id');
  const headers: Record<string, string> = { 'mcp-protocol-version': '2025-06-18' };
  if (session) headers['mcp-session-id'] = session;
  await post(url, headers, { jsonrpc: '2.0', method: 'notifications/initialized' });
  let tools = 0;
  let bytes = 0;
  const listed: Record<string, unknown>[] = [];
  let cursor: string | undefined;
  for (let id = 1; ; id++) {
    const r = await post(url, headers, {
      jsonrpc: '2.0',
      id,
      method: 'tools/list',
      params: cursor ? { cursor } : {},
    });
    const msg = message(r.text);
    if (!msg.result) throw new Error(`tools/list: ${r.status} ${r.text.slice(0, 200)}`);
    tools += (msg.result.tools as unknown[]).length;
    bytes += Buffer.byteLength(JSON.stringify(msg.result.tools));
    listed.push(...(msg.result.tools as Record<string, unknown>[]));
    cursor = msg.result.nextCursor as string | undefined;
    if (!cursor) break;
  }
  return { tools, bytes, listed };
}

async function measure(args: string[], url: string): Promise<Measure> {
  const started = performance.now();
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: root,
    env: envWithoutBuildHook(),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    if (stderr.length < 4000) stderr += d.toString();
  });
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  try {
    for (;;) {
      if (exited) throw new Error(`server exited before it was ready: ${stderr.slice(0, 2000)}`);
      if (performance.now() - started > READY_LIMIT_MS) throw new Error('server not ready in 120 s');
      try {
        const { tools, bytes, listed } = await listTools(url);
        const readyMs = performance.now() - started;
        return { readyMs, rssBytes: rssOf(child.pid!), tools, listBytes: bytes, listed };
      } catch {
        await new Promise((r) => setTimeout(r, 25));
      }
    }
  } finally {
    child.kill('SIGKILL');
    await new Promise((r) => (exited ? r(undefined) : child.once('exit', r)));
  }
}

/**
 * Compiles src/ to JavaScript beside a copy of package.json, as the published package runs it
 * (`conduit serve` from dist/), so no TypeScript loader adds its time and memory to Conduit's rows.
 */
function buildConduit(): void {
  const tsc = join(root, 'node_modules/typescript/bin/tsc');
  const args = ['-p', join(root, 'tsconfig.build.json'), '--outDir', join(work, 'dist')];
  const r = spawnSync(
    process.execPath,
    [tsc, ...args, '--declaration', 'false', '--declarationMap', 'false', '--sourceMap', 'false'],
    {
      stdio: 'inherit',
    },
  );
  if (r.status !== 0) throw new Error('tsc failed');
  copyFileSync(join(root, 'package.json'), join(work, 'package.json'));
  symlinkSync(join(root, 'node_modules'), join(work, 'node_modules'), 'dir');
}

/** `explicit`: every hint, the closed input marker and summary titles (`toolListing`, `titles`). */
async function conduit(documentPath: string, explicit = false): Promise<Measure> {
  const port = await freePort();
  const config = join(work, `conduit-${port}.yaml`);
  const openapi = { document: documentPath, mode: 'tools', generateNames: true, skipUnsupported: true };
  writeFileSync(
    config,
    stringify({
      logging: { level: 'error' },
      ...(explicit ? { server: { toolListing: 'explicit' } } : {}),
      upstreams: {
        api: { baseUrl: 'http://127.0.0.1:9', openapi: explicit ? { ...openapi, titles: true } : openapi },
      },
    }),
  );
  return measure(
    [
      join(work, 'dist/cli/main.js'),
      'serve',
      '--config',
      config,
      '--transport',
      'http',
      '--port',
      String(port),
    ],
    `http://127.0.0.1:${port}/mcp`,
  );
}

async function peer(documentPath: string): Promise<Measure> {
  const port = await freePort();
  return measure(
    [
      peerBin,
      '--transport',
      'http',
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '--api-base-url',
      'http://127.0.0.1:9',
      '--openapi-spec',
      documentPath,
    ],
    `http://127.0.0.1:${port}/mcp`,
  );
}

let generated = 0;
/** openapi-mcp-generator's server, generated and compiled before the clock starts; over stdio. */
async function generatorPeer(documentPath: string): Promise<Measure> {
  return measureStdio(buildGeneratorServer(documentPath, work, generated++), READY_LIMIT_MS);
}

/** The best of RUNS starts (a loaded machine only ever makes a start slower). */
async function best(run: () => Promise<Measure>): Promise<Measure> {
  let out: Measure | undefined;
  for (let i = 0; i < RUNS; i++) {
    const m = await run();
    if (!out || m.readyMs < out.readyMs) out = m;
  }
  return out!;
}

const mb = (b: number) => (b / 1e6).toFixed(1);

try {
  const documents: { label: string; path: string; operations: number }[] = [];
  for (const operations of [250, 1200]) {
    const path = join(work, `generated-${operations}.json`);
    writeFileSync(path, JSON.stringify(restDocument(operations)));
    documents.push({ label: `generated ${operations}`, path, operations });
  }
  documents.push({ label: 'github (@octokit/openapi)', path: github, operations: 0 });
  buildConduit();
  ensureGeneratorPeer();

  const rows: ContenderResult[] = [];
  const extra: Record<string, unknown> = {};
  console.log(
    `${'document'.padEnd(28)} ${'server'.padEnd(10)} ${'ready ms'.padStart(9)} ${'RSS MB'.padStart(8)} ${'tools'.padStart(6)} ${'tools/list MB'.padStart(14)}`,
  );
  const peers = [
    ['ivotoby', peer],
    ['generator', generatorPeer],
  ] as const;
  type Row = { conduit: Measure } & Partial<Record<(typeof peers)[number][0], Measure>>;
  for (const doc of documents) {
    const row: Row = { conduit: await best(() => conduit(doc.path)) };
    for (const [name, run] of peers)
      row[name] = await best(() => run(doc.path)).catch((err: Error) => {
        console.log(`${name} on ${doc.label}: ${err.message.split('\n')[0]}`);
        return undefined;
      });
    for (const name of ['conduit', ...peers.map(([n]) => n)] as const) {
      const m = row[name];
      if (!m) continue;
      console.log(
        `${doc.label.padEnd(28)} ${name.padEnd(10)} ${m.readyMs.toFixed(0).padStart(9)} ${mb(m.rssBytes).padStart(8)} ${String(m.tools).padStart(6)} ${mb(m.listBytes).padStart(14)}`,
      );
      rows.push({
        name: `${name} ${doc.label}`,
        opsPerSec: 1000 / m.readyMs,
        memoryBytes: m.rssBytes,
        note: `ready ${m.readyMs.toFixed(0)} ms, ${m.tools} tools, tools/list ${m.listBytes} B`,
      });
    }
    // The listing for ChatGPT Apps and strict clients: its size only, beside the default's.
    const explicit = await conduit(doc.path, true);
    const base = row.generator ?? row.ivotoby;
    console.log(
      `${doc.label.padEnd(28)} ${'conduit, toolListing: explicit + titles'.padEnd(40)} tools/list ${explicit.listBytes} B${base ? ` (${(explicit.listBytes / base.listBytes).toFixed(2)}x ${row.generator ? 'generator' : 'ivotoby'}'s)` : ''}`,
    );
    extra[`${doc.label}, explicit listing`] = { listBytes: explicit.listBytes };
    const fields = Object.fromEntries(
      (['conduit', ...peers.map(([n]) => n)] as const).map((n) => [n, row[n] && fieldBytes(row[n].listed)]),
    );
    console.log(fieldTable(doc.label, Object.entries(fields)));
    const dump = process.env.BENCH_OPENAPI_DUMP;
    if (dump)
      for (const [name, m] of Object.entries(row))
        if (m)
          writeFileSync(
            join(dump, `${doc.label.split(' ')[0]}-${doc.operations}.${name}.json`),
            JSON.stringify(m.listed),
          );
    // The results file keeps the numbers, not the lists.
    extra[doc.label] = Object.fromEntries(
      Object.entries(row).map(([n, m]) => [n, m && { ...m, listed: undefined, fields: fields[n] }]),
    );
    for (const [name] of peers) {
      const theirs = row[name];
      if (theirs)
        console.log(
          `  ratios conduit/${name}: ready ${(row.conduit.readyMs / theirs.readyMs).toFixed(2)}, RSS ${(row.conduit.rssBytes / theirs.rssBytes).toFixed(2)}, tools/list ${(row.conduit.listBytes / theirs.listBytes).toFixed(2)}`,
        );
    }
  }
  console.log('(ratio column below: starts per second relative to conduit on the 250-operation document)');
  report('openapi', 'conduit generated 250', rows, extra);
  const get = (label: string) => extra[label] as unknown as Row;
  const g250 = get('generated 250');
  const g1200 = get('generated 1200');
  const gh = get('github (@octokit/openapi)');
  target('generated 250: 1.5 s / ready time', 1500 / g250.conduit.readyMs, 1);
  target('generated 1200: 3 s / ready time', 3000 / g1200.conduit.readyMs, 1);
  target('generated 1200: 200 MB / RSS', 200e6 / g1200.conduit.rssBytes, 1);
  for (const [label, row] of [
    ['generated 250', g250],
    ['generated 1200', g1200],
    ['github', gh],
  ] as const)
    for (const [name] of peers) {
      const theirs = row[name];
      if (theirs)
        target(`${label}: ${name} tools/list bytes / conduit's`, theirs.listBytes / row.conduit.listBytes, 1);
    }
} finally {
  rmSync(work, { recursive: true, force: true });
}
