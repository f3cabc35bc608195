import { createHmac } from 'node:crypto';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveCommand, writeConfig } from '../mcp/helpers/spawn-gateway.js';
import { type RedisHandle, startRedis } from '../helpers/redis-server.js';
import { type ChaosUpstream, startChaosUpstream } from './lib/fault-upstream.js';
import { chaosConfig } from './lib/gateway.js';
import {
  crashLines,
  crashMonitorArgs,
  installProcessGuard,
  monitoredExitCode,
  processFailures,
} from './lib/guard.js';
import { ClientPool, round, type ToolResult } from './lib/load.js';
import { type GatewayProcess, rssMbOf, spawnGateway, stopGateway } from './lib/processes.js';
import { type ScenarioReport, writeScenario } from './lib/report.js';
import type { TestConfigInput } from '../helpers/gateway-config.js';

installProcessGuard();
const KEY = Buffer.from('chaos-webhook-secret');
const SECRET = `whsec_${KEY.toString('base64')}`;
const VALID = 1500;
const MAX_BODY = 16 * 1024;
const SENDERS = 32;
/** A sender's schedule (as providers do, compressed): up to this many attempts, backoff doubling to 1 s. */
const MAX_ATTEMPTS = 12;
/** Redis is frozen (SIGSTOP) this long, past the de-dup store's 2 s command timeout, then resumed. */
const PAUSE_MS = 3000;
const PAUSE_AT = [0.25, 0.6];
const report: ScenarioReport = {
  id: '6-webhook-flood',
  title:
    '6. Webhook flood through two gateway processes (HTTP transport + stdio side listener, shared Redis)',
  phases: {},
  claims: {},
};

let redis: RedisHandle;
let upstream: ChaosUpstream;
/** `conduit serve --transport http`: webhooks on the MCP listener. */
let httpGateway: GatewayProcess | undefined;
/** `conduit serve` on stdio: webhooks on `server.listener`. */
let stdio: { client: Client; transport: StdioClientTransport; listenerUrl: string; stderr: () => string };
let pool: ClientPool;

/** Both instances share cache prefix (de-dup keys, L2, bus) and differ in where they say they ran. */
function config(instance: 'a' | 'b', listener: boolean): TestConfigInput {
  const c = chaosConfig(
    { baseUrl: upstream.url, timeouts: { total: 5000 }, retry: { maxAttempts: 1 } },
    { redisUrl: redis.url, prefix: 'chaos6', cacheTtl: 600_000 },
  );
  if (listener) c.server = { ...c.server, listener: { host: '127.0.0.1', port: 0 } };
  c.webhooks = {
    endpoints: [
      {
        path: '/webhooks/items',
        name: 'items',
        scheme: 'standard',
        secrets: [SECRET],
        maxBodyBytes: MAX_BODY,
        events: {
          'item.updated': {
            invalidate: { keys: ['item:{data.id}'] },
            // The URI names the instance that ran the actions: each instance's own changes count
            // its processing (it also records the other's through Redis, under the other's name).
            notify: [`items://${instance}/{data.id}`],
          },
        },
      },
    ],
  };
  return c;
}

async function startStdio(): Promise<typeof stdio> {
  const { command, args } = serveCommand(writeConfig(config('b', true)));
  const transport = new StdioClientTransport({
    command,
    args: [...crashMonitorArgs, ...args],
    stderr: 'pipe',
  });
  let err = '';
  const listenerUrl = new Promise<string>((resolve) => {
    transport.stderr!.on('data', (chunk: Buffer) => {
      err += chunk.toString('utf8');
      const m = /"url":"(http:\/\/127\.0\.0\.1:\d+)"[^\n]*webhooks and metrics listening/.exec(err);
      if (m) resolve(m[1]!);
    });
  });
  const client = new Client({ name: 'chaos-stdio', version: '1.0.0' });
  await client.connect(transport);
  return { client, transport, listenerUrl: await listenerUrl, stderr: () => err };
}

beforeAll(async () => {
  [redis, upstream] = await Promise.all([startRedis(), startChaosUpstream()]);
  [httpGateway, stdio] = await Promise.all([spawnGateway(config('a', false)), startStdio()]);
  pool = new ClientPool(httpGateway.url, 8);
}, 60_000);

afterAll(async () => {
  await pool?.close();
  // Closing the stdio client ends its server (stdin closed; the transport waits for the exit).
  await stdio?.client.close();
  const httpExit = httpGateway ? await stopGateway(httpGateway) : undefined;
  await upstream?.close();
  await redis?.stop();
  // After both shut down, so a crash while stopping counts too; both must end with exit code 0.
  const crashes = [...crashLines(httpGateway?.stderr() ?? ''), ...crashLines(stdio?.stderr() ?? '')];
  // For the HTTP one also the monitor's own exit line: proof it was loaded (the stdio one has only that).
  const exits = {
    http: httpExit && { ...httpExit, monitored: monitoredExitCode(httpGateway!.stderr()) },
    stdio: stdio ? monitoredExitCode(stdio.stderr()) : undefined,
  };
  report.claims['no crash in either gateway process (crash monitor and stderr scan), both exit 0'] =
    crashes.length === 0 && exits.http?.code === 0 && exits.http.monitored === 0 && exits.stdio === 0;
  writeScenario(report);
  expect(processFailures).toEqual([]);
  expect(crashes).toEqual([]);
  expect(exits).toEqual({ http: { code: 0, signal: null, monitored: 0 }, stdio: 0 });
});

interface Delivery {
  kind: 'valid' | 'duplicate' | 'forged' | 'replayed' | 'oversized';
  id: string;
  /** The payload's `data.id`: the item the event is about (a unique one per refused delivery). */
  item: string;
  headers: Record<string, string>;
  body: string;
}

function signed(id: string, body: string, tsSeconds: number, key = KEY): Record<string, string> {
  const sig = createHmac('sha256', key).update(`${id}.${tsSeconds}.${body}`).digest('base64');
  return {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': String(tsSeconds),
    'webhook-signature': `v1,${sig}`,
  };
}

const event = (item: string, pad = '') => JSON.stringify({ type: 'item.updated', data: { id: item }, pad });

function deliveries(): Delivery[] {
  const now = Math.floor(Date.now() / 1000);
  const out: Delivery[] = [];
  for (let i = 0; i < VALID; i++) {
    const id = `evt_${i}`;
    const item = `w${i}`;
    const body = event(item);
    const headers = signed(id, body, now);
    out.push({ kind: 'valid', id, item, headers, body });
    if (i % 3 === 0) out.push({ kind: 'duplicate', id, item, headers, body });
    if (i % 4 === 0) {
      // A signature made with a guessed key.
      const forged = event(`forged${i}`);
      out.push({
        kind: 'forged',
        id: `${id}_f`,
        item: `forged${i}`,
        headers: signed(`${id}_f`, forged, now, Buffer.from('guessed')),
        body: forged,
      });
    }
    if (i % 5 === 0) {
      // Correctly signed an hour ago: outside the 5 min tolerance.
      const old = event(`replayed${i}`);
      out.push({
        kind: 'replayed',
        id: `${id}_r`,
        item: `replayed${i}`,
        headers: signed(`${id}_r`, old, now - 3600),
        body: old,
      });
    }
    if (i % 50 === 0) {
      const big = event(`big${i}`, 'x'.repeat(MAX_BODY * 2));
      out.push({
        kind: 'oversized',
        id: `${id}_o`,
        item: `big${i}`,
        headers: signed(`${id}_o`, big, now),
        body: big,
      });
    }
  }
  // Deterministic shuffle so duplicates race their originals.
  for (let i = out.length - 1; i > 0; i--) {
    const j = (i * 7919) % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

type Changes = { changes: { uri: string }[]; cursor: string };
/** One `recent_changes` poller: keeps every change in order and counts those the ring overwrote unread. */
function poller(call: (cursor: string | undefined) => Promise<ToolResult>) {
  const uris: string[] = [];
  let cursor: string | undefined;
  let missed = 0;
  let polls = 0;
  const once = async (): Promise<number> => {
    polls++;
    const r = await call(cursor);
    if (r.isError) throw new Error(`recent_changes failed: ${JSON.stringify(r.content)}`);
    const page = r.structuredContent as Changes;
    if (cursor !== undefined)
      missed += Math.max(0, Number(page.cursor) - Number(cursor) - page.changes.length);
    for (const c of page.changes) uris.push(c.uri);
    cursor = page.cursor;
    return page.changes.length;
  };
  return {
    uris,
    get missed() {
      return missed;
    },
    get polls() {
      return polls;
    },
    /** Polls until `done()` and then until a page comes back empty. */
    async run(done: () => boolean) {
      for (;;) {
        const n = await once();
        if (done() && n === 0) return;
        // Nothing new: poll again in 20 ms rather than in a tight loop (keeps the 2 cores for the flood).
        if (n === 0) await new Promise((r) => setTimeout(r, 20));
      }
    },
  };
}

const callA = (name: string, args: Record<string, unknown>, slot = 0) => pool.call(slot, name, args);
const callB = async (name: string, args: Record<string, unknown>) =>
  (await stdio.client.callTool({ name, arguments: args })) as ToolResult;

/** Runs `fn` over `items` with `n` concurrent workers. */
async function each<T>(items: readonly T[], n: number, fn: (item: T, worker: number) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async (_, w) => {
      for (let k = next++; k < items.length; k = next++) await fn(items[k]!, w);
    }),
  );
}

describe('chaos 6: webhook flood through the gateway', () => {
  it('accepts no forgery, applies each valid event exactly once, loses none while Redis is frozen', async () => {
    const all = deliveries();
    const valid = all.filter((d) => d.kind === 'valid');
    const items = valid.map((d) => d.item);
    const version = (r: ToolResult | undefined) =>
      (r?.structuredContent as { version?: number } | undefined)?.version;

    // Warm both instances' caches (A fills Redis, B reads it into its L1) with version 0 of every item.
    await each(items, 8, async (id, w) => {
      const a = await callA('get_item_cached', { id }, w);
      if (a.kind !== 'ok' || version(a.result) !== 0)
        throw new Error(`warm-up on A failed for ${id}: ${a.kind}`);
    });
    await each(items, 8, async (id) => {
      const b = await callB('get_item_cached', { id });
      if (b.isError || version(b) !== 0) throw new Error(`warm-up on B failed for ${id}`);
    });
    const warmUpstreamCalls = upstream.requests;
    // The items change behind the gateway's back; the webhooks say so.
    for (const id of items) upstream.bump(id);

    const statuses: Record<string, Record<string, number>> = {};
    const errorsByCode: Record<string, number> = {};
    const latencies: number[] = [];
    const gaveUp: Delivery[] = [];
    let requests = 0;
    let dispatched = 0;
    // Wakes the fault injector when the flood reaches its next mark (or ends): an event, not a spin.
    let onProgress: (() => void) | undefined;
    let floodDone = false;
    const pauses: { at: number; ms: number }[] = [];
    const pA = poller(
      async (cursor) =>
        (await callA('recent_changes', cursor ? { cursor, limit: 100 } : { limit: 100 }, 7)).result ?? {
          isError: true,
        },
    );
    const pB = poller((cursor) => callB('recent_changes', cursor ? { cursor, limit: 100 } : { limit: 100 }));
    const polling = Promise.all([pA.run(() => floodDone), pB.run(() => floodDone)]);

    // Freezes Redis twice while the flood runs: every store call in that window times out (503, the
    // sender retries) and calls queued on the sockets run once it resumes.
    const chaos = (async () => {
      for (const at of PAUSE_AT) {
        await new Promise<void>((reached) => {
          onProgress = () => {
            if (dispatched >= all.length * at || floodDone) {
              onProgress = undefined;
              reached();
            }
          };
          onProgress();
        });
        if (floodDone) return;
        const pid = redis.pid()!;
        const t = performance.now();
        process.kill(pid, 'SIGSTOP');
        await new Promise((r) => setTimeout(r, PAUSE_MS)); // the fault's length, not a synchronisation
        process.kill(pid, 'SIGCONT');
        pauses.push({ at: dispatched, ms: Math.round(performance.now() - t) });
      }
    })();

    const urls = [
      `${httpGateway!.url.replace(/\/mcp$/, '')}/webhooks/items`,
      `${stdio.listenerUrl}/webhooks/items`,
    ];
    const t0 = performance.now();
    await each(all, SENDERS, async (d, w) => {
      dispatched++;
      onProgress?.();
      let delay = 50;
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        requests++;
        const start = performance.now();
        let status: string;
        try {
          const res = await fetch(urls[(w + attempt) % 2]!, {
            method: 'POST',
            headers: d.headers,
            body: d.body,
          });
          const text = await res.text();
          status = String(res.status);
          if (res.status >= 400) {
            const code = (JSON.parse(text) as { error?: string }).error ?? '?';
            errorsByCode[`${res.status} ${code}`] = (errorsByCode[`${res.status} ${code}`] ?? 0) + 1;
          }
        } catch (e) {
          // The receiver closes the connection after a 413; anything else here is a failure.
          status = `fetch:${(e as Error).name}`;
        }
        latencies.push(performance.now() - start);
        statuses[d.kind] = statuses[d.kind] ?? {};
        const s = statuses[d.kind]!;
        s[status] = (s[status] ?? 0) + 1;
        // Providers retry 5xx and network failures, never a 4xx.
        if (/^[1-4]/.test(status)) return;
        await new Promise((r) => setTimeout(r, delay)); // the sender's backoff
        delay = Math.min(delay * 2, 1000);
      }
      gaveUp.push(d);
    });
    const floodMs = Math.round(performance.now() - t0);
    const rssAfterFlood = rssMbOf([httpGateway!.child.pid, stdio.transport.pid ?? undefined]);
    floodDone = true;
    onProgress?.();
    await chaos;
    await polling;

    // Processing count per item: A's own changes (items://a/...) plus B's own (items://b/...).
    const processed = new Map<string, number>();
    for (const [p, tag] of [
      [pA, 'a'],
      [pB, 'b'],
    ] as const)
      for (const uri of p.uris) {
        const m = /^items:\/\/(a|b)\/(.+)$/.exec(uri);
        if (m && m[1] === tag) processed.set(m[2]!, (processed.get(m[2]!) ?? 0) + 1);
      }
    const refused = new Set(
      all.filter((d) => d.kind !== 'valid' && d.kind !== 'duplicate').map((d) => d.item),
    );
    const refusedApplied = [...processed.keys()].filter((i) => refused.has(i));
    const twice = items.filter((i) => (processed.get(i) ?? 0) > 1);
    const lost = items.filter((i) => !processed.has(i));

    // Invalidation applied: with a 10 min TTL only the webhook can have evicted version 0, on both.
    const staleOn = { a: [] as string[], b: [] as string[] };
    await each(items, 8, async (id, w) => {
      const a = await callA('get_item_cached', { id }, w);
      if (version(a.result) !== 1) staleOn.a.push(id);
    });
    await each(items, 8, async (id) => {
      if (version(await callB('get_item_cached', { id })) !== 1) staleOn.b.push(id);
    });

    latencies.sort((a, b) => a - b);
    const q = (p: number) =>
      round(latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!);
    report.phases.flood = {
      deliveries: all.length,
      httpRequests: requests,
      byKind: Object.fromEntries(
        Object.entries(statuses).map(([k, v]) => [
          k,
          Object.entries(v)
            .map(([s, n]) => `${s}x${n}`)
            .join(' '),
        ]),
      ),
      refusals: errorsByCode,
      redisFrozen: pauses.map((p) => `${p.ms} ms after ${p.at} deliveries`).join('; '),
      senderGaveUp: gaveUp.length,
      p50Ms: q(0.5),
      p99Ms: q(0.99),
      durationMs: floodMs,
      gatewaysRssMbAfter: rssAfterFlood,
    };
    report.phases.outcome = {
      validIds: items.length,
      processedOnce: items.filter((i) => processed.get(i) === 1).length,
      processedByA: pA.uris.filter((u) => u.startsWith('items://a/')).length,
      processedByB: pB.uris.filter((u) => u.startsWith('items://b/')).length,
      changesMissedByPollers: pA.missed + pB.missed,
      freshOnAAfterFlood: items.length - staleOn.a.length,
      freshOnBAfterFlood: items.length - staleOn.b.length,
      upstreamCallsWarmUp: warmUpstreamCalls,
    };
    report.claims['zero forged, replayed or oversized deliveries accepted (no 2xx, no change applied)'] =
      refusedApplied.length === 0 &&
      ['forged', 'replayed', 'oversized'].every((k) =>
        Object.keys(statuses[k] ?? {}).every((s) => !s.startsWith('2')),
      );
    report.claims['each valid id processed exactly once across both instances (duplicates, retries)'] =
      twice.length === 0 && lost.length === 0;
    report.claims['none lost while Redis was frozen (503, the sender retried; no sender gave up)'] =
      lost.length === 0 && gaveUp.length === 0 && pauses.length === PAUSE_AT.length;
    report.claims['every invalidation applied on both instances (each item reads its new version)'] =
      staleOn.a.length === 0 && staleOn.b.length === 0;
    report.notes = [
      'Driven against the gateway`s own endpoints: `conduit serve --transport http` (webhooks on the MCP ' +
        'listener) and `conduit serve` on stdio (webhooks on `server.listener`), both spawned, one config ' +
        'each, sharing one redis-server for de-dup, L2 and the bus. Each valid event names an item the ' +
        'upstream changed behind the gateway`s back; processing is counted from each instance`s own ' +
        '`recent_changes` (its notify URI names it), invalidation by reading every item afterwards.',
    ];

    expect(pauses).toHaveLength(PAUSE_AT.length);
    expect(pA.missed + pB.missed).toBe(0);
    expect(refusedApplied).toEqual([]);
    expect(Object.keys(statuses.forged ?? {})).toEqual(['401']);
    expect(Object.keys(statuses.replayed ?? {})).toEqual(['401']);
    for (const s of Object.keys(statuses.oversized ?? {})) expect(s).toMatch(/^413$|^fetch:/);
    expect(twice).toEqual([]);
    expect(gaveUp.map((d) => d.id)).toEqual([]);
    expect(lost).toEqual([]);
    expect(staleOn).toEqual({ a: [], b: [] });
    // The freeze did make deliveries fail transiently (else the claim above proves nothing).
    expect(Object.keys(errorsByCode).some((k) => k.startsWith('503'))).toBe(true);
  });
});
