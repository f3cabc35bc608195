/**
 * bench/gateway row: a cached tool's L1 hit with a verified JWT access token and a policy, next to
 * the same hit without client auth (two gateways of one config, in one process of their own). The
 * token is verified once and then found by its digest, and the policy decision is memoized per
 * principal, so the authenticated hit should cost at most 10% more at 16 in flight.
 */
import type { ChildProcess } from 'node:child_process';
import type { ContenderResult } from '../lib.js';
import { openSession } from './session.js';

type Interleaved = (
  contenders: { name: string; fn: () => Promise<unknown> }[],
  concurrency: number,
  serverPid?: number,
) => Promise<ContenderResult[]>;
type Spawn = (
  file: string,
  args?: string[],
) => Promise<{ child: ChildProcess; info: Record<string, string> }>;

/** The rows: unauthenticated vs authenticated (JWT verified, cached; policy applied) L1 hit. */
export async function authenticatedHitRows(
  spawn: Spawn,
  interleaved: Interleaved,
  concurrency: number,
  upstreamUrl: string,
): Promise<ContenderResult[]> {
  const { child, info } = await spawn('auth-servers.ts', [upstreamUrl]);
  try {
    const plain = await openSession(info.plainUrl!, concurrency);
    const authed = await openSession(info.authUrl!, concurrency, { authorization: `Bearer ${info.token}` });
    const rows = await interleaved(
      [
        {
          name: '(b) conduit L1 hit, no client auth',
          fn: () => plain.call('get_assignment_cached', { id: '1' }),
        },
        {
          name: '(b5) conduit L1 hit, JWT verified (cached) + policy',
          fn: () => authed.call('get_assignment_cached', { id: '1' }),
        },
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
