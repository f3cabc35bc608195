import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import {
  createGatewayMetrics,
  type GatewayMetrics,
  metricsHandler,
  webhookOutcomeHook,
} from '../../src/metrics/index.js';
import { createWebhookHandler, hmac, type WebhookHandler } from '../../src/webhooks/index.js';
import { parseExposition, seriesValue, sumOf } from './exposition.js';
import { type Listening, listen } from './helpers.js';

const SECRET = 'metrics-test-secret';
const sign = (body: string) => createHmac('sha256', SECRET).update(body).digest('hex');

describe('webhook outcomes', () => {
  let metrics: GatewayMetrics;
  let receiver: WebhookHandler;
  let server: Listening;
  const processed: string[] = [];

  beforeAll(async () => {
    metrics = createGatewayMetrics();
    receiver = createWebhookHandler({
      onOutcome: webhookOutcomeHook(metrics),
      endpoints: [
        {
          path: '/hooks/orders',
          name: 'orders',
          verifier: hmac({ secret: SECRET }),
          on: {
            'order.updated': (e) => {
              processed.push(e.id);
            },
            'order.broken': () => {
              throw new Error('handler bug');
            },
          },
        },
      ],
    });
    // One listener for /metrics and the webhooks, as the gateway's side listener in stdio mode.
    const scrapeOrNot = metricsHandler(metrics);
    server = await listen((req, res) => scrapeOrNot(req, res, () => receiver(req, res)));
  });
  afterAll(async () => {
    await server.close();
    await receiver.close();
    metrics.close();
  });

  const deliver = async (doc: unknown, opts: { signature?: string | null; path?: string } = {}) => {
    const body = JSON.stringify(doc);
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (opts.signature !== null) headers['x-signature'] = opts.signature ?? sign(body);
    const res = await request(`${server.url}${opts.path ?? '/hooks/orders'}`, {
      method: 'POST',
      body,
      headers,
    });
    await res.body.text();
    return res.statusCode;
  };
  const scrape = async () => {
    const res = await request(`${server.url}/metrics`);
    expect(res.statusCode).toBe(200);
    return parseExposition(await res.body.text());
  };

  it('counts accepted, duplicate, unhandled, rejected with reason and failed deliveries', async () => {
    expect(await deliver({ id: 'evt_1', type: 'order.updated' })).toBe(200);
    expect(await deliver({ id: 'evt_1', type: 'order.updated' })).toBe(200); // same id again
    expect(await deliver({ id: 'evt_2', type: 'order.created' })).toBe(200); // no handler for it
    expect(await deliver({ id: 'evt_3', type: 'order.updated' }, { signature: '00'.repeat(32) })).toBe(401);
    expect(await deliver({ id: 'evt_4', type: 'order.updated' }, { signature: null })).toBe(401);
    expect(await deliver({ id: 'evt_5', type: 'order.broken' })).toBe(500);
    expect(await deliver({ id: 'evt_6', type: 'order.updated' }, { path: '/hooks/nope' })).toBe(404);
    expect(processed).toEqual(['evt_1']);

    const f = await scrape();
    const n = (outcome: string, reason = '', endpoint = 'orders') =>
      seriesValue(f, 'conduit_webhook_deliveries_total', { endpoint, outcome, reason });
    expect(n('accepted')).toBe(1);
    expect(n('duplicate', 'done')).toBe(1);
    expect(n('unhandled')).toBe(1);
    expect(n('rejected', 'signature_mismatch')).toBe(1);
    expect(n('rejected', 'missing_header')).toBe(1);
    expect(n('failed', 'handler_failed')).toBe(1);
    expect(n('rejected', 'not_found', '(unmatched)')).toBe(1);
    expect(sumOf(f, 'conduit_webhook_deliveries_total')).toBe(7);
    // The scrapes themselves are not webhook deliveries.
    expect(await deliver({ id: 'evt_7', type: 'order.updated' })).toBe(200);
    expect(sumOf(await scrape(), 'conduit_webhook_deliveries_total')).toBe(8);
  });

  it('counts deliveries through handle() (framework adapters) and direct webhookOutcome calls', async () => {
    const before = sumOf(await scrape(), 'conduit_webhook_deliveries_total', { endpoint: 'orders' });
    const body = JSON.stringify({ id: 'evt_h1', type: 'order.updated' });
    const r = await receiver.handle({
      path: '/hooks/orders',
      headers: { 'content-type': 'application/json', 'x-signature': sign(body) },
      body: Buffer.from(body),
    });
    expect(r.status).toBe(200);
    metrics.webhookOutcome('orders', 'rejected', 'a reason nobody listed');
    const f = await scrape();
    expect(sumOf(f, 'conduit_webhook_deliveries_total', { endpoint: 'orders' })).toBe(before + 2);
    expect(
      seriesValue(f, 'conduit_webhook_deliveries_total', {
        endpoint: 'orders',
        outcome: 'rejected',
        reason: 'other',
      }),
    ).toBe(1);
  });

  it('leaves requests for other paths to next() uncounted (connect-style chaining)', async () => {
    const before = sumOf(await scrape(), 'conduit_webhook_deliveries_total');
    const chained = await listen((req, res) =>
      receiver(req, res, () => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('someone else');
      }),
    );
    try {
      const res = await request(`${chained.url}/not-a-webhook`, { method: 'POST', body: '{}' });
      expect(await res.body.text()).toBe('someone else');
      expect(sumOf(await scrape(), 'conduit_webhook_deliveries_total')).toBe(before);
    } finally {
      await chained.close();
    }
  });
});
