/**
 * bench/http: requests/s through each HTTP client against one local server in a separate process,
 * 64 requests in flight, the same duration for every contender, JSON body parsed. Baseline: raw undici
 * Pool.request (the limit). Ours runs with retry, circuit breaker and every timeout enabled.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import axios from 'axios';
import got from 'got';
import { Agent as HttpAgent } from 'node:http';
import { Pool } from 'undici';
import { createHttpClient } from '../../src/http/index.js';
import { type ContenderResult, concurrentLoad, ratio, report, target } from '../lib.js';

const here = dirname(fileURLToPath(import.meta.url));
const CONCURRENCY = 64;
const DURATION_MS = Number(process.env.BENCH_HTTP_MS ?? 12_000);
const WARMUP_MS = 2000;

function version(pkg: string): string {
  const file = join(here, '..', '..', 'node_modules', pkg, 'package.json');
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}

async function startServer(): Promise<{ child: ChildProcess; origin: string }> {
  const child = spawn(process.execPath, [join(here, 'server.mjs')], {
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  const port = await new Promise<string>((resolve, reject) => {
    child.once('error', reject);
    child.stdout!.once('data', (d: Buffer) => resolve(d.toString().trim()));
  });
  return { child, origin: `http://127.0.0.1:${port}` };
}

const { child, origin } = await startServer();
const url = `${origin}/items/12345`;
const ROUNDS = 4;

interface Contender {
  name: string;
  fn: () => Promise<unknown>;
  note?: string;
  runs: { opsPerSec: number; p50Ms: number; p99Ms: number }[];
}

/**
 * Runs every contender in ROUNDS interleaved slices of DURATION_MS / ROUNDS each, so that a noisy
 * neighbour on a shared machine hits all contenders alike instead of whichever ran at the wrong time.
 * Each contender still gets exactly the same total measured time.
 */
async function runAll(contenders: Contender[]): Promise<ContenderResult[]> {
  for (const c of contenders) {
    // Check once that the contender really gets the document before timing it.
    const sample = (await c.fn()) as { id?: number };
    if (sample?.id !== 12345) throw new Error(`${c.name} returned an unexpected body`);
  }
  for (let round = 0; round < ROUNDS; round++) {
    for (const c of contenders) {
      const r = await concurrentLoad(c.fn, {
        concurrency: CONCURRENCY,
        durationMs: DURATION_MS / ROUNDS,
        warmupMs: WARMUP_MS / ROUNDS,
      });
      if (r.errors > 0) throw new Error(`${c.name}: ${r.errors} errors during the run`);
      c.runs.push(r);
      console.error(`round ${round + 1} ${c.name}: ${Math.round(r.opsPerSec)} req/s`);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  return contenders.map((c) => ({
    name: c.name,
    opsPerSec: c.runs.reduce((sum, r) => sum + r.opsPerSec, 0) / c.runs.length,
    p50Ms: median(c.runs.map((r) => r.p50Ms)),
    p99Ms: median(c.runs.map((r) => r.p99Ms)),
    ...(c.note ? { note: c.note } : {}),
  }));
}

const pool = new Pool(origin, { connections: CONCURRENCY, pipelining: 1 });
const client = createHttpClient({
  baseUrl: origin,
  connections: CONCURRENCY,
  timeouts: { connectMs: 5_000, headersMs: 10_000, bodyMs: 10_000, totalMs: 30_000 },
  retry: { maxAttempts: 3 },
  breaker: { model: { kind: 'consecutive', threshold: 5 }, recoveryMs: 10_000 },
});
const agent = new HttpAgent({ keepAlive: true, maxSockets: CONCURRENCY });
const gotClient = got.extend({ agent: { http: agent }, retry: { limit: 0 } });
const ax = axios.create({ httpAgent: agent });
const gotName = `got ${version('got')}`;
const axiosName = `axios ${version('axios')}`;

try {
  const results = await runAll([
    {
      name: 'undici Pool.request',
      fn: async () => {
        const { body } = await pool.request({ path: '/items/12345', method: 'GET' });
        return body.json();
      },
      runs: [],
    },
    {
      name: 'conduit/http',
      fn: async () => (await client.get('/items/{id}', { params: { id: 12345 } })).json(),
      note: 'retry+breaker+timeouts',
      runs: [],
    },
    { name: 'fetch', fn: async () => (await fetch(url)).json(), runs: [] },
    { name: gotName, fn: () => gotClient(url).json(), runs: [] },
    { name: axiosName, fn: async () => (await ax.get(url)).data, runs: [] },
  ]);
  const result = report('http', 'undici Pool.request', results, {
    concurrency: CONCURRENCY,
    durationMsPerContender: DURATION_MS,
    rounds: ROUNDS,
    versions: { undici: version('undici'), got: version('got'), axios: version('axios') },
  });
  target('conduit/http vs undici Pool', ratio(result, 'conduit/http', 'undici Pool.request'), 0.9);
  target('conduit/http vs fetch', ratio(result, 'conduit/http', 'fetch'), 3);
  target('conduit/http vs got', ratio(result, 'conduit/http', gotName), 5);
  target('conduit/http vs axios', ratio(result, 'conduit/http', axiosName), 5);
} finally {
  await pool.close();
  await client.close();
  agent.destroy();
  child.kill('SIGTERM');
}
