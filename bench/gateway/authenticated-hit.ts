/**
 * bench/gateway row: a cached tool's L1 hit with a verified JWT access token and a policy, next to
 * the same hit without client auth (two gateways of one config, in one process of their own). The
 * token is verified once and then found by its digest, and the policy decision is memoized per
 * principal, so the authenticated hit should cost at most 10% more at 16 in flight.
 */
import type { ChildProcess } from 'node:child_process';
import { Pool } from 'undici';
import type { ContenderResult } from '../lib.js';

type Interleaved = (
  contenders: { name: string; fn: () => Promise<unknown> }[],
  concurrency: number,
  serverPid?: number,
) => Promise<ContenderResult[]>;
type Spawn = (
  file: string,
  args?: string[],
) => Promise<{ child: ChildProcess; info: Record<string, string> }>;

/** A bare 2025-session client over undici, sending `headers` (the bearer token) with every POST. */
async function session(url: string, connections: number, extra: Record<string, string>) {
  const u = new URL(url);
  const pool = new Pool(u.origin, { connections, keepAliveTimeout: 60_000 });
  const base = {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    ...extra,
  };
  const post = async (headers: Record<string, string>, body: unknown) => {
    const res = await pool.request({ path: u.pathname, method: 'POST', headers, body: JSON.stringify(body) });
    return { headers: res.headers, text: await res.body.text(), status: res.statusCode };
  };
  const init = await post(base, {
    jsonrpc: '2.0',
    id: 0,
    method: 'initialize',
    params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
  });
  if (init.status !== 200) throw new Error(`initialize: ${init.status} ${init.text.slice(0, 200)}`);
  const headers = {
    ...base,
    'mcp-session-id': String(init.headers['mcp-session-id']),
    'mcp-protocol-version': '2025-06-18',
  };
  await post(headers, { jsonrpc: '2.0', method: 'notifications/initialized' });
  let id = 1;
  return {
    async call(): Promise<void> {
      const r = await post(headers, {
        jsonrpc: '2.0',
        id: id++,
        method: 'tools/call',
        params: { name: 'get_assignment_cached', arguments: { id: '1' } },
      });
      if (r.status !== 200 || !r.text.includes('"result"') || r.text.includes('"isError":true'))
        throw new Error(r.text.slice(0, 300));
    },
    close: () => pool.close(),
  };
}

/** The rows: unauthenticated vs authenticated (JWT verified, cached; policy applied) L1 hit. */
export async function authenticatedHitRows(
  spawn: Spawn,
  interleaved: Interleaved,
  concurrency: number,
  upstreamUrl: string,
): Promise<ContenderResult[]> {
  const { child, info } = await spawn('auth-servers.ts', [upstreamUrl]);
  try {
    const plain = await session(info.plainUrl!, concurrency, {});
    const authed = await session(info.authUrl!, concurrency, { authorization: `Bearer ${info.token}` });
    const rows = await interleaved(
      [
        { name: '(b) conduit L1 hit, no client auth', fn: () => plain.call() },
        { name: '(b5) conduit L1 hit, JWT verified (cached) + policy', fn: () => authed.call() },
      ],
      concurrency,
      child.pid,
    );
    const [p, a] = rows as [ContenderResult, ContenderResult];
    const cost = p.opsPerSec / a.opsPerSec - 1;
    console.log(
      `${cost <= 0.1 ? 'PASS' : 'MISS'}: (b5) authenticated L1 hit costs ${(cost * 100).toFixed(1)}% over (b) ` +
        `(target <= 10%): ${a.opsPerSec.toFixed(0)} vs ${p.opsPerSec.toFixed(0)} ops/s, ` +
        `p50 ${a.p50Ms!.toFixed(3)} vs ${p.p50Ms!.toFixed(3)} ms`,
    );
    await Promise.all([plain.close(), authed.close()]);
    return rows;
  } finally {
    child.kill('SIGTERM');
  }
}
