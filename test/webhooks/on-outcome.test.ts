import { afterEach, describe, expect, it } from 'vitest';
import { createRecordingLogger, ManualClock } from '../../src/core/index.js';
import { createWebhookHandler, standardWebhooks, type WebhookResponse } from '../../src/webhooks/index.js';
import { NOW, rawPost, SECRET, type Served, serve, signStandard } from './helpers.js';

const PATH = '/hooks/outcomes';
const enc = (v: unknown) => Buffer.from(JSON.stringify(v));

let served: Served | undefined;
afterEach(async () => {
  await served?.close();
  served = undefined;
});

function setup(onOutcome: (endpoint: string | undefined, r: WebhookResponse) => void) {
  const logger = createRecordingLogger();
  const handler = createWebhookHandler({
    endpoints: [
      {
        path: PATH,
        name: 'orders',
        verifier: standardWebhooks({ secret: SECRET }),
        on: { 'order.paid': () => {} },
        maxBodyBytes: 64,
      },
    ],
    clock: new ManualClock(NOW),
    logger,
    onOutcome,
  });
  return { handler, logger };
}

describe('onOutcome', () => {
  it('is told every answer of the node:http listener, refusals before reading included', async () => {
    const seen: [string | undefined, number, string][] = [];
    const { handler } = setup((ep, r) => seen.push([ep, r.status, JSON.parse(r.body).error ?? 'ok']));
    served = await serve(handler);
    const body = enc({ id: 'e1', type: 'order.paid' });
    expect((await served.post(PATH, body, signStandard('e1', body))).status).toBe(200);
    expect((await served.post(PATH, body, signStandard('e1', body))).status).toBe(200);
    expect(
      (await served.post(PATH, body, signStandard('e2', body, NOW / 1000, Buffer.alloc(32, 7)))).status,
    ).toBe(401);
    expect((await served.post(PATH, body, { 'content-type': 'text/plain' })).status).toBe(415);
    const big = Buffer.alloc(128, 0x20);
    expect(
      (await rawPost(served.url + PATH, { ...signStandard('e3', big), 'content-length': '128' }, [big]))
        .status,
    ).toBe(413);
    expect((await served.post('/nope', body, { 'content-type': 'application/json' })).status).toBe(404);
    expect(seen).toEqual([
      ['orders', 200, 'ok'],
      ['orders', 200, 'ok'],
      ['orders', 401, 'signature_mismatch'],
      ['orders', 415, 'unsupported_media_type'],
      ['orders', 413, 'body_too_large'],
      [undefined, 404, 'not_found'],
    ]);
  });

  it('is told handle() answers too, and a throwing hook changes no answer', async () => {
    const { handler, logger } = setup(() => {
      throw new Error('hook bug');
    });
    const body = enc({ id: 'e9', type: 'order.paid' });
    const r = await handler.handle({ path: PATH, headers: signStandard('e9', body), body });
    expect(r.status).toBe(200);
    expect(logger.records.some((l) => l.msg === 'webhook onOutcome hook threw')).toBe(true);
  });
});
