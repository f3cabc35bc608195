import { sign as githubSign } from '@octokit/webhooks-methods';
import Stripe from 'stripe';
import { Webhook as SvixWebhook } from 'svix';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/index.js';
import {
  createWebhookHandler,
  github,
  hmac,
  stripe,
  svix,
  type WebhookEvent,
  type WebhookHeaders,
} from '../../src/webhooks/index.js';
import { NOW, SECRET } from './helpers.js';

const seen: WebhookEvent[] = [];
const handler = createWebhookHandler({
  clock: new ManualClock(NOW),
  endpoints: [
    {
      path: '/stripe',
      verifier: stripe({ secret: 'whsec_stripe' }),
      on: { 'invoice.*': (e) => void seen.push(e) },
    },
    { path: '/github', verifier: github({ secret: 'gh' }), on: { 'issues.*': (e) => void seen.push(e) } },
    { path: '/svix', verifier: svix({ secret: SECRET }), on: { '*': (e) => void seen.push(e) } },
    {
      path: '/custom',
      verifier: hmac({ secret: 'k' }),
      idPath: 'meta.eventId',
      typePath: 'meta.kind',
      on: { '*': (e) => void seen.push(e) },
    },
  ],
});
const call = async (path: string, body: string, headers: WebhookHeaders) => {
  const r = await handler.handle({
    path,
    headers: { 'content-type': 'application/json', ...headers },
    body: Buffer.from(body),
  });
  return { status: r.status, json: JSON.parse(r.body) };
};

describe('each scheme end to end (ids and types where each scheme keeps them)', () => {
  it('stripe: id and type from the payload; a redelivery with a fresh signature is a duplicate', async () => {
    const s = new Stripe('sk_test_not_a_real_key');
    const body = JSON.stringify({ id: 'evt_123', type: 'invoice.paid', data: { object: {} } });
    const header = (t: number) =>
      s.webhooks.generateTestHeaderString({ payload: body, secret: 'whsec_stripe', timestamp: t });
    expect(await call('/stripe', body, { 'stripe-signature': header(NOW / 1000) })).toEqual({
      status: 200,
      json: { ok: true, id: 'evt_123' },
    });
    expect(seen.at(-1)).toMatchObject({ id: 'evt_123', type: 'invoice.paid', timestampMs: NOW });
    const again = await call('/stripe', body, { 'stripe-signature': header(NOW / 1000 + 60) });
    expect(again.json).toMatchObject({ duplicate: true });
  });

  it('github: delivery id from X-GitHub-Delivery, type is event.action', async () => {
    const body = JSON.stringify({ action: 'opened', issue: { number: 1 } });
    const sig = await githubSign('gh', body);
    const r = await call('/github', body, {
      'x-hub-signature-256': sig,
      'x-github-delivery': 'guid-1',
      'x-github-event': 'issues',
    });
    expect(r.json).toEqual({ ok: true, id: 'guid-1' });
    expect(seen.at(-1)).toMatchObject({ id: 'guid-1', type: 'issues.opened' });
    // No delivery id: cannot de-duplicate, refused with 400 (not processed).
    const noId = await call('/github', body, { 'x-hub-signature-256': sig, 'x-github-event': 'issues' });
    expect(noId).toMatchObject({ status: 400, json: { error: 'missing_event_id' } });
  });

  it('svix: svix-id is the event id', async () => {
    const body = JSON.stringify({ type: 'user.created' });
    const sig = new SvixWebhook(SECRET).sign('msg_svix', new Date(NOW), body);
    const r = await call('/svix', body, {
      'svix-id': 'msg_svix',
      'svix-timestamp': String(NOW / 1000),
      'svix-signature': sig,
    });
    expect(r.json).toEqual({ ok: true, id: 'msg_svix' });
    expect(seen.at(-1)).toMatchObject({ id: 'msg_svix', type: 'user.created' });
  });

  it('hmac: id and type from configured JSON paths; a numeric id is accepted', async () => {
    const { createHmac } = await import('node:crypto');
    const body = JSON.stringify({ meta: { eventId: 99, kind: 'thing.changed' } });
    const sig = createHmac('sha256', 'k').update(body).digest('hex');
    expect((await call('/custom', body, { 'x-signature': sig })).json).toEqual({ ok: true, id: '99' });
    expect(seen.at(-1)).toMatchObject({ id: '99', type: 'thing.changed' });
  });
});
