import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/index.js';
import {
  createWebhookHandler,
  github,
  hmac,
  MemoryDedupeStore,
  RedisDedupeStore,
  type SignatureVerifier,
  standardWebhooks,
  type WebhookResponse,
} from '../../src/webhooks/index.js';
import { deferred, NOW, SECRET, signStandard } from './helpers.js';
import { redisForSuite } from './redis-suite.js';

const enc = (v: unknown) => Buffer.from(JSON.stringify(v));
const json = (r: WebhookResponse) => JSON.parse(r.body) as Record<string, unknown>;
const hex = (key: string, content: string | Buffer) =>
  createHmac('sha256', key).update(content).digest('hex');

function receiver(verifier: SignatureVerifier, extra: { idPath?: string; deadlineMs?: number } = {}) {
  const clock = new ManualClock(NOW);
  const calls: unknown[] = [];
  const handler = createWebhookHandler({
    endpoints: [{ path: '/h', verifier, on: { '*': (e) => void calls.push(e.payload) }, ...extra }],
    clock,
  });
  const post = (body: Buffer, headers: Record<string, string>) =>
    handler.handle({ path: '/h', headers: { 'content-type': 'application/json', ...headers }, body });
  return { clock, calls, handler, post };
}

describe('in-flight mark refresh', () => {
  it('MemoryDedupeStore.extend pushes out only the holder’s mark', async () => {
    const clock = new ManualClock(0);
    const s = new MemoryDedupeStore({ clock });
    expect(await s.claim('k', 'tok', 1000)).toBe('claimed');
    expect(await s.extend('k', 'other', 5000)).toBe(false);
    clock.advance(900);
    expect(await s.extend('k', 'tok', 1000)).toBe(true);
    clock.advance(500); // 1400: past the first TTL, inside the extended one
    expect(await s.claim('k', 'late', 1000)).toBe('in_flight');
    await s.complete('k', 'tok', 10_000);
    expect(await s.extend('k', 'tok', 1000)).toBe(false);
  });

  it('a handler running past the in-flight TTL keeps its id: the retry is not run concurrently', async () => {
    const clock = new ManualClock(NOW);
    const gate = deferred();
    let runs = 0;
    const handler = createWebhookHandler({
      endpoints: [
        {
          path: '/h',
          verifier: standardWebhooks({ secret: SECRET, toleranceMs: 3_600_000 }),
          deadlineMs: 1000,
          on: {
            '*': async () => {
              runs++;
              await gate.promise;
            },
          },
        },
      ],
      clock,
    });
    const body = enc({ type: 'slow.job' });
    const deliver = () => handler.handle({ path: '/h', headers: signStandard('evt-slow', body), body });
    const first = deliver();
    await clock.advanceAsync(1000);
    expect((await first).status).toBe(503); // past the deadline; the handler still runs
    // In-flight TTL is deadline + 30 s = 31 s; go well past it, letting the refresh timer fire.
    for (let i = 0; i < 60; i++) await clock.advanceAsync(1000);
    const retry = await deliver();
    expect(retry.status).toBe(503);
    expect(json(retry).error).toBe('in_flight');
    expect(runs).toBe(1);
    gate.resolve();
    for (let i = 0; i < 20 && handler.inFlight > 0; i++) await clock.advanceAsync(0);
    expect(handler.inFlight).toBe(0);
    // Settled: the mark is done, and no refresh timer is left behind.
    expect(clock.pending()).toBe(0);
    const again = await deliver();
    expect(again.status).toBe(200);
    expect(json(again).duplicate).toBe(true);
    expect(runs).toBe(1);
  });

  describe('RedisDedupeStore (real redis-server)', () => {
    const db = redisForSuite();

    it('extend is a compare-and-PEXPIRE on the owner token', async () => {
      const s = new RedisDedupeStore({ redis: db.client, prefix: 'rf:' });
      expect(await s.claim('e', 'tok', 1000)).toBe('claimed');
      expect(await s.extend('e', 'other', 600_000)).toBe(false);
      expect(await db.client.pttl('rf:e')).toBeLessThanOrEqual(1000);
      expect(await s.extend('e', 'tok', 600_000)).toBe(true);
      expect(await db.client.pttl('rf:e')).toBeGreaterThan(1000);
      expect(await db.client.get('rf:e')).toBe('tok');
      await s.complete('e', 'tok', 86_400_000);
      expect(await s.extend('e', 'tok', 1000)).toBe(false);
      expect(await db.client.pttl('rf:e')).toBeGreaterThan(600_000);
      expect(await s.extend('missing', 'tok', 1000)).toBe(false);
      expect(await db.client.exists('rf:missing')).toBe(0);
    });
  });
});

describe('replay of a signed body under a new, unsigned id', () => {
  it('github: a captured delivery replayed with a fresh X-GitHub-Delivery is not processed again', async () => {
    const { calls, post } = receiver(github({ secret: 'gh-secret' }));
    const body = enc({ action: 'opened', n: 1 });
    const sig = { 'x-hub-signature-256': `sha256=${hex('gh-secret', body)}`, 'x-github-event': 'issues' };
    expect((await post(body, { ...sig, 'x-github-delivery': 'd-1' })).status).toBe(200);
    const replay = await post(body, { ...sig, 'x-github-delivery': 'd-2-forged' });
    expect(replay.status).toBe(200);
    expect(json(replay).duplicate).toBe(true);
    expect(calls).toHaveLength(1);
    // A different signed body is a different event.
    const other = enc({ action: 'opened', n: 2 });
    const r = await post(other, {
      'x-hub-signature-256': `sha256=${hex('gh-secret', other)}`,
      'x-github-event': 'issues',
      'x-github-delivery': 'd-3',
    });
    expect(r.status).toBe(200);
    expect(json(r).duplicate).toBeUndefined();
    expect(calls).toHaveLength(2);
  });

  it('hmac idHeader: same body under a new id is a duplicate; a fresh timestamp signs new content', async () => {
    const { calls, post } = receiver(
      hmac({ secret: 'k', idHeader: 'x-event-id', timestampHeader: 'x-ts', toleranceMs: 3_600_000 }),
    );
    const body = enc({ type: 'order.paid', order: 7 });
    const ts = String(NOW / 1000);
    const signed = { 'x-ts': ts, 'x-signature': hex('k', Buffer.concat([Buffer.from(`${ts}.`), body])) };
    expect((await post(body, { ...signed, 'x-event-id': 'e-1' })).status).toBe(200);
    const replay = await post(body, { ...signed, 'x-event-id': 'e-forged' });
    expect(json(replay).duplicate).toBe(true);
    expect(calls).toHaveLength(1);
    // The forged id was given back, not left in flight: its own later delivery is processed.
    const ts2 = String(NOW / 1000 + 1);
    const r = await post(body, {
      'x-ts': ts2,
      'x-signature': hex('k', Buffer.concat([Buffer.from(`${ts2}.`), body])),
      'x-event-id': 'e-forged',
    });
    expect(r.status).toBe(200);
    expect(json(r).duplicate).toBeUndefined();
    expect(calls).toHaveLength(2);
  });
});

describe('idPath', () => {
  it('an explicitly configured idPath wins over the scheme’s id header', async () => {
    const { calls, post } = receiver(standardWebhooks({ secret: SECRET }), { idPath: 'data.id' });
    const body = enc({ type: 'x.updated', data: { id: 'obj-1' } });
    expect((await post(body, signStandard('msg-1', body))).status).toBe(200);
    const sameObject = await post(body, signStandard('msg-2', body));
    expect(json(sameObject)).toMatchObject({ id: 'obj-1', duplicate: true });
    expect(calls).toHaveLength(1);
  });

  it('answers 400 missing_event_id when the configured idPath is absent, and runs nothing', async () => {
    const { calls, post } = receiver(standardWebhooks({ secret: SECRET }), { idPath: 'data.id' });
    const body = enc({ type: 'x.updated', data: {} });
    const r = await post(body, signStandard('msg-3', body));
    expect(r.status).toBe(400);
    expect(json(r).error).toBe('missing_event_id');
    expect(json(r).message).toContain('data.id');
    expect(calls).toHaveLength(0);
  });
});
