import { createHmac } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createWebhookHandler,
  RedisDedupeStore,
  standardWebhooks,
  type WebhookHandler,
} from '../../src/webhooks/index.js';
import { type RedisHandle, startRedis } from '../helpers/redis-server.js';
import { installProcessGuard, processFailures } from './lib/guard.js';
import { memoryMb, round } from './lib/load.js';
import { type ScenarioReport, writeScenario } from './lib/report.js';

installProcessGuard();
const SECRET = Buffer.from('chaos-webhook-secret');
const VALID = 1500;
const MAX_BODY = 16 * 1024;
const CONCURRENCY = 32;
const report: ScenarioReport = {
  id: '6-webhook-flood',
  title: '6. Webhook flood (two receivers, shared Redis de-dup; createWebhookHandler directly)',
  phases: {},
  claims: {},
  notes: [
    'Driven against `createWebhookHandler` from `conduit/webhooks` on node:http, two receivers sharing a ' +
      '`RedisDedupeStore`: the gateway`s own webhook endpoints were still being wired (issue 7) when this ' +
      'scenario was written.',
  ],
};

let redis: RedisHandle;
const receivers: { server: Server; handler: WebhookHandler; store: RedisDedupeStore; url: string }[] = [];
/** Times each event id was processed to completion, across both receivers. */
const processed = new Map<string, number>();
const failedOnce = new Set<string>();

beforeAll(async () => {
  redis = await startRedis();
  for (let i = 0; i < 2; i++) {
    const store = new RedisDedupeStore({ url: redis.url });
    const handler = createWebhookHandler({
      dedupe: store,
      endpoints: [
        {
          path: '/hooks',
          verifier: standardWebhooks({ secret: `whsec_${SECRET.toString('base64')}` }),
          maxBodyBytes: MAX_BODY,
          on: {
            '*': (event) => {
              // Every 10th event fails transiently the first time: the sender's retry must run it.
              if (event.id.endsWith('7') && !failedOnce.has(event.id)) {
                failedOnce.add(event.id);
                throw new Error('transient');
              }
              processed.set(event.id, (processed.get(event.id) ?? 0) + 1);
            },
          },
        },
      ],
    });
    const server = createServer(handler);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    receivers.push({
      server,
      handler,
      store,
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    });
  }
});

afterAll(async () => {
  for (const r of receivers) {
    await r.handler.close();
    r.server.closeAllConnections();
    await new Promise<void>((res) => r.server.close(() => res()));
    await r.store.close();
  }
  await redis?.stop();
  writeScenario(report);
  expect(processFailures).toEqual([]);
});

interface Delivery {
  kind: 'valid' | 'duplicate' | 'forged' | 'replayed' | 'oversized';
  id: string;
  headers: Record<string, string>;
  body: string;
}

function signed(id: string, body: string, tsSeconds: number): Record<string, string> {
  const sig = createHmac('sha256', SECRET).update(`${id}.${tsSeconds}.${body}`).digest('base64');
  return {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': String(tsSeconds),
    'webhook-signature': `v1,${sig}`,
  };
}

function deliveries(): Delivery[] {
  const now = Math.floor(Date.now() / 1000);
  const out: Delivery[] = [];
  for (let i = 0; i < VALID; i++) {
    const id = `evt_${i}`;
    const body = JSON.stringify({ type: 'item.updated', data: { i } });
    const headers = signed(id, body, now);
    out.push({ kind: 'valid', id, headers, body });
    if (i % 3 === 0) out.push({ kind: 'duplicate', id, headers, body });
    if (i % 4 === 0) {
      // Same id, same body, a signature made with another secret.
      const forged = createHmac('sha256', 'guessed').update(`${id}x.${now}.${body}`).digest('base64');
      out.push({
        kind: 'forged',
        id: `${id}x`,
        headers: { ...headers, 'webhook-id': `${id}x`, 'webhook-signature': `v1,${forged}` },
        body,
      });
    }
    if (i % 5 === 0) {
      const oldId = `${id}_old`;
      out.push({ kind: 'replayed', id: oldId, headers: signed(oldId, body, now - 3600), body });
    }
    if (i % 50 === 0) {
      const big = JSON.stringify({ type: 'item.updated', pad: 'x'.repeat(MAX_BODY * 2) });
      const bigId = `${id}_big`;
      out.push({ kind: 'oversized', id: bigId, headers: signed(bigId, big, now), body: big });
    }
  }
  // Deterministic shuffle so duplicates race their originals.
  for (let i = out.length - 1; i > 0; i--) {
    const j = (i * 7919) % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

describe('chaos 6: webhook flood', () => {
  it('accepts no forgery, processes each valid id once, loses none to transient failures', async () => {
    const all = deliveries();
    const statuses: Record<string, Record<number, number>> = {};
    const latencies: number[] = [];
    let attempts = 0;
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async (_, w) => {
        for (let k = next++; k < all.length; k = next++) {
          const d = all[k]!;
          // A sender retries 5xx (as providers do), alternating receivers.
          for (let attempt = 0; attempt < 5; attempt++) {
            attempts++;
            const start = performance.now();
            const res = await fetch(receivers[(w + attempt) % 2]!.url, {
              method: 'POST',
              headers: d.headers,
              body: d.body,
            });
            await res.arrayBuffer();
            latencies.push(performance.now() - start);
            statuses[d.kind] = statuses[d.kind] ?? {};
            const s = statuses[d.kind]!;
            s[res.status] = (s[res.status] ?? 0) + 1;
            if (res.status < 500) break;
          }
        }
      }),
    );
    latencies.sort((a, b) => a - b);
    const validIds = all.filter((d) => d.kind === 'valid').map((d) => d.id);
    const forgedProcessed = all.filter(
      (d) => d.kind !== 'valid' && d.kind !== 'duplicate' && processed.has(d.id),
    );
    const twice = [...processed.values()].filter((n) => n > 1).length;
    const lost = validIds.filter((id) => !processed.has(id));
    report.phases.flood = {
      deliveries: all.length,
      httpRequests: attempts,
      byKind: Object.fromEntries(
        Object.entries(statuses).map(([k, v]) => [
          k,
          Object.entries(v)
            .map(([s, n]) => `${s}x${n}`)
            .join(' '),
        ]),
      ),
      transientFailures: failedOnce.size,
      p50Ms: round(latencies[Math.floor(latencies.length * 0.5)]!),
      p99Ms: round(latencies[Math.floor(latencies.length * 0.99)]!),
      durationMs: Math.round(performance.now() - t0),
      ...memoryMb(),
    };
    report.claims['zero forged, replayed or oversized deliveries accepted'] =
      forgedProcessed.length === 0 &&
      !statuses.forged?.[200] &&
      !statuses.replayed?.[200] &&
      !statuses.oversized?.[200];
    report.claims['each valid id processed exactly once (duplicates across both receivers)'] = twice === 0;
    report.claims['none lost when a handler fails transiently (sender retry runs it)'] = lost.length === 0;
    expect(forgedProcessed).toEqual([]);
    expect(Object.keys(statuses.forged ?? {})).toEqual(['401']);
    expect(Object.keys(statuses.replayed ?? {})).toEqual(['401']);
    expect(Object.keys(statuses.oversized ?? {})).toEqual(['413']);
    expect(twice).toBe(0);
    expect(lost).toEqual([]);
    expect(failedOnce.size).toBeGreaterThan(0);
  });
});
