/**
 * bench/gateway rows for per-caller upstream credentials:
 * - a cached tool behind a per-caller credential (private: keyed per principal, tagged for
 *   invalidation) answered from L1, next to the same tool declared `cache.scope: shared`, one
 *   gateway, one caller. Target: the private hit within 10% of the shared one at 16 in flight.
 * - a token refresh with 16 callers waiting on an expired token: identity provider requests per
 *   refresh (target 1) and how long the callers waited, next to one token request alone.
 */
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TokenEndpoint, TokenKeeper } from '../../src/credentials/index.js';
import { createHttpClient } from '../../src/http/index.js';
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

/** Private (per-caller credential) vs shared L1 hit, one gateway in its own process. */
async function hitRows(spawn: Spawn, interleaved: Interleaved, concurrency: number, upstreamUrl: string) {
  const { child, info } = await spawn('per-caller-servers.ts', [upstreamUrl]);
  try {
    const s = await openSession(info.url!, concurrency, { authorization: `Bearer ${info.token}` });
    const rows = await interleaved(
      [
        { name: '(b6) conduit L1 hit, cache.scope shared', fn: () => s.call('items_shared', { id: '1' }) },
        {
          name: '(b7) conduit L1 hit, private (per-caller credential)',
          fn: () => s.call('items_private', { id: '1' }),
        },
      ],
      concurrency,
      child.pid,
    );
    const [shared, priv] = rows as [ContenderResult, ContenderResult];
    const cost = shared.opsPerSec / priv.opsPerSec - 1;
    console.log(
      `${cost <= 0.1 ? 'PASS' : 'MISS'}: (b7) private L1 hit costs ${(cost * 100).toFixed(1)}% over (b6) shared ` +
        `(target <= 10%): ${priv.opsPerSec.toFixed(0)} vs ${shared.opsPerSec.toFixed(0)} ops/s, ` +
        `p50 ${priv.p50Ms!.toFixed(3)} vs ${shared.p50Ms!.toFixed(3)} ms`,
    );
    await s.close();
    return rows;
  } finally {
    child.kill('SIGTERM');
  }
}

/** A local token endpoint: every request a fresh 1-second token, counted. */
async function tokenEndpointServer() {
  let requests = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      requests++;
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify({ access_token: `t-${requests}`, token_type: 'Bearer', expires_in: 1 }));
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`;
  return { url, requests: () => requests, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/** Refreshes with `waiting` callers on an expired token: IdP requests per refresh and the wait. */
async function refreshRows(waiting: number, rounds = 200): Promise<ContenderResult[]> {
  const idp = await tokenEndpointServer();
  let offset = 0;
  const clock = {
    now: () => Date.now() + offset,
    setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms),
    clearTimeout: (h: unknown) => clearTimeout(h as NodeJS.Timeout),
  };
  const http = createHttpClient({ baseUrl: new URL(idp.url).origin, clock });
  const endpoint = new TokenEndpoint({
    upstream: 'bench',
    tokenUrl: idp.url,
    clientId: 'bench',
    clientSecret: 'bench-secret',
    http,
    refreshBeforeMs: 0,
    clock,
  });
  const keeper = new TokenKeeper({ fetch: () => endpoint.clientCredentials({}), clock });
  const time = async (n: number) => {
    const samples: number[] = [];
    for (let i = 0; i < rounds; i++) {
      offset += 2_000; // the held token has expired: every caller must wait for the new one
      const t0 = performance.now();
      await Promise.all(Array.from({ length: n }, () => keeper.get()));
      samples.push(performance.now() - t0);
    }
    samples.sort((a, b) => a - b);
    return samples[Math.floor(samples.length / 2)]!;
  };
  await time(1); // warm-up: connection open, code paths hot
  const before1 = idp.requests();
  const single = await time(1);
  const singleRequests = (idp.requests() - before1) / rounds;
  const beforeN = idp.requests();
  const many = await time(waiting);
  const perRefresh = (idp.requests() - beforeN) / rounds;
  console.log(
    `${perRefresh === 1 ? 'PASS' : 'MISS'}: a token refresh with ${waiting} callers waiting costs ${perRefresh} IdP request(s) ` +
      `(target 1); median wait ${many.toFixed(3)} ms vs ${single.toFixed(3)} ms for one caller alone (${singleRequests} request)`,
  );
  await endpoint.close();
  await idp.close();
  return [
    { name: `(r1) token refresh, 1 caller waiting`, opsPerSec: 1000 / single, p50Ms: single },
    {
      name: `(r16) token refresh, ${waiting} callers waiting`,
      opsPerSec: 1000 / many,
      p50Ms: many,
      note: `${perRefresh} IdP request(s) per refresh`,
    },
  ];
}

/** Both per-caller credential rows. */
export async function perCallerRows(
  spawn: Spawn,
  interleaved: Interleaved,
  concurrency: number,
  upstreamUrl: string,
): Promise<ContenderResult[]> {
  return [
    ...(await hitRows(spawn, interleaved, concurrency, upstreamUrl)),
    ...(await refreshRows(concurrency)),
  ];
}
