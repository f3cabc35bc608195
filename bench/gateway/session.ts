/**
 * What the gateway bench entry and its stage tools share: a bench/gateway script started in a process
 * of its own, and a bare Streamable HTTP session (the 2025 handshake, then POSTs on undici), so that a
 * measure is the server's cost and not an SDK Client's (several ms of CPU per call on this machine).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';

const here = dirname(fileURLToPath(import.meta.url));

/** A started bench/gateway script and what it printed as JSON on its first stdout line. */
export interface Child {
  child: ChildProcess;
  info: Record<string, string>;
}

/** Starts bench/gateway/`file` under tsx (`node` flags first, e.g. `--cpu-prof`); resolves once it says where it listens. */
export function spawnChild(file: string, args: string[] = [], node: string[] = []): Promise<Child> {
  const child = spawn(process.execPath, [...node, '--import', 'tsx', join(here, file), ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
    cwd: join(here, '../..'),
  });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${file} exited with ${code}`)));
    createInterface({ input: child.stdout! }).once('line', (line) =>
      resolve({ child, info: JSON.parse(line) }),
    );
  });
}

/** One answer to a POST of the session: its status and body text. */
export interface Answer {
  status: number;
  text: string;
}

/** An initialized 2025-era session: POST any JSON-RPC message on it. */
export interface BareSession {
  post(body: unknown): Promise<Answer>;
  /** A tools/call that throws unless the answer is a result and not a tool error. */
  call(tool: string, args: Record<string, string>): Promise<void>;
  close(): Promise<void>;
}

/**
 * Opens a session on `url` over `connections` keep-alive connections; `headers` (say, a bearer token)
 * go with every POST, the handshake's included.
 */
export async function openSession(
  url: string,
  connections: number,
  headers: Record<string, string> = {},
): Promise<BareSession> {
  const u = new URL(url);
  const pool = new Pool(u.origin, { connections, keepAliveTimeout: 60_000 });
  const base = {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    ...headers,
  };
  const post = async (h: Record<string, string>, body: unknown) => {
    const res = await pool.request({
      path: u.pathname,
      method: 'POST',
      headers: h,
      body: JSON.stringify(body),
    });
    return { headers: res.headers, text: await res.body.text(), status: res.statusCode };
  };
  const init = await post(base, {
    jsonrpc: '2.0',
    id: 0,
    method: 'initialize',
    params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
  });
  if (init.status !== 200) throw new Error(`initialize: ${init.status} ${init.text.slice(0, 200)}`);
  const session = {
    ...base,
    'mcp-session-id': String(init.headers['mcp-session-id']),
    'mcp-protocol-version': '2025-06-18',
  };
  await post(session, { jsonrpc: '2.0', method: 'notifications/initialized' });
  let id = 1;
  return {
    post: (body) => post(session, body),
    async call(tool, args) {
      const r = await post(session, toolsCall(id++, tool, args));
      if (r.status !== 200 || !r.text.includes('"result"') || r.text.includes('"isError":true'))
        throw new Error(r.text.slice(0, 300));
    },
    close: () => pool.close(),
  };
}

/** The JSON-RPC request of a tools/call. */
export function toolsCall(id: number, name: string, args: Record<string, string>) {
  return { jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } };
}

/**
 * `calls` tools/call of `tool` over one fresh session, `concurrency` in flight; the miss tool gets
 * nonces from `from` + 1 on, so each call is a real miss. Throws on the first failed call.
 */
export async function drive(
  url: string,
  tool: string,
  calls: number,
  concurrency: number,
  from = 0,
): Promise<void> {
  const session = await openSession(url, concurrency);
  let next = 0;
  const worker = async () => {
    while (next < calls) {
      const id = ++next;
      const args: Record<string, string> = tool.includes('miss')
        ? { id: '1', nonce: String(from + id) }
        : { id: '1' };
      const r = await session.post(toolsCall(id, tool, args));
      if (r.status !== 200 || r.text.includes('"isError":true')) throw new Error(r.text.slice(0, 300));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  await session.close();
}
