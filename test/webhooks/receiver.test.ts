import { afterEach, describe, expect, it } from 'vitest';
import { createRecordingLogger, ManualClock } from '../../src/core/index.js';
import {
  createWebhookHandler,
  type DedupeStore,
  MemoryDedupeStore,
  standardWebhooks,
  type WebhookContext,
  type WebhookEvent,
  type WebhookHandlerOptions,
} from '../../src/webhooks/index.js';
import { deferred, NOW, rawPost, SECRET, type Served, serve, signStandard } from './helpers.js';

const PATH = '/hooks/std';

/** The real memory store, with a promise per completed or released key so tests can wait on it. */
class WatchedStore implements DedupeStore {
  private readonly waits = new Map<string, ReturnType<typeof deferred<string>>>();
  constructor(private readonly inner: DedupeStore) {}
  settled(key: string): Promise<string> {
    return this.wait(key).promise;
  }
  private wait(key: string) {
    let d = this.waits.get(key);
    if (!d) {
      d = deferred<string>();
      this.waits.set(key, d);
    }
    return d;
  }
  claim(key: string, token: string, ttl: number) {
    return this.inner.claim(key, token, ttl);
  }
  async complete(key: string, token: string, ttl: number) {
    await this.inner.complete(key, token, ttl);
    this.wait(key).resolve('complete');
  }
  async release(key: string, token: string) {
    await this.inner.release(key, token);
    this.wait(key).resolve('release');
  }
  close() {
    return this.inner.close();
  }
}
const enc = (v: unknown) => Buffer.from(JSON.stringify(v));

let served: Served | undefined;
afterEach(async () => {
  await served?.close();
  served = undefined;
});

function setup(
  on: WebhookHandlerOptions['endpoints'][number]['on'],
  extra: { maxBodyBytes?: number; deadlineMs?: number } = {},
) {
  const clock = new ManualClock(NOW);
  const logger = createRecordingLogger();
  const dedupe = new WatchedStore(new MemoryDedupeStore({ clock }));
  const handler = createWebhookHandler({
    endpoints: [{ path: PATH, verifier: standardWebhooks({ secret: SECRET }), on, ...extra }],
    dedupe,
    logger,
    clock,
  });
  return { clock, logger, dedupe, handler };
}

describe('node:http receiver', () => {
  it('processes a verified delivery before answering 200, and logs it without secrets or payload', async () => {
    const seen: WebhookEvent[] = [];
    const { handler, logger } = setup({ 'invoice.paid': (e) => void seen.push(e) });
    served = await serve(handler);
    const body = enc({ type: 'invoice.paid', data: { secretish: 'PAYLOAD-MARKER' } });
    const r = await served.post(PATH, body, signStandard('msg_1', body));
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ ok: true, id: 'msg_1' });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ id: 'msg_1', type: 'invoice.paid', endpoint: PATH, timestampMs: NOW });
    expect(Buffer.from(seen[0]!.rawBody).equals(body)).toBe(true);
    const processed = logger.records.find((l) => l.msg === 'webhook processed');
    expect(processed).toMatchObject({ eventId: 'msg_1', eventType: 'invoice.paid', durationMs: 0 });
    const dump = JSON.stringify(logger.records);
    expect(dump).not.toContain('PAYLOAD-MARKER');
    expect(dump).not.toContain(SECRET.slice(6));
    expect(dump).not.toContain(signStandard('msg_1', body)['webhook-signature'].slice(3));
  });

  it('answers 401 with the reason for bad signatures, and runs nothing', async () => {
    let calls = 0;
    const { handler, logger } = setup({ '*': () => void calls++ });
    served = await serve(handler);
    const body = enc({ type: 'x' });
    const good = signStandard('m', body);
    const tampered = Buffer.from(body);
    tampered[2] = 0x58;
    const cases: [Uint8Array, Record<string, string>, string][] = [
      [tampered, good, 'signature_mismatch'],
      [body, { ...good, 'webhook-signature': good['webhook-signature'].slice(0, 30) }, 'malformed_header'],
      [body, signStandard('m', body, NOW / 1000 - 301), 'timestamp_too_old'],
      [body, signStandard('m', body, NOW / 1000 + 301), 'timestamp_in_future'],
      [
        body,
        { 'content-type': 'application/json', 'webhook-id': 'm', 'webhook-timestamp': String(NOW / 1000) },
        'missing_header',
      ],
      [body, { ...good, 'webhook-id': ' ' }, 'empty_header'],
    ];
    for (const [b, h, reason] of cases) {
      const r = await served.post(PATH, b, h);
      expect(r.status, reason).toBe(401);
      expect(r.json.error).toBe(reason);
      expect(typeof r.json.message).toBe('string');
    }
    expect(calls).toBe(0);
    expect(logger.records.filter((l) => l.msg === 'webhook rejected').map((l) => l.reason)).toEqual(
      cases.map((c) => c[2]),
    );
  });

  it('answers 401 when a signature header is sent twice (node headersDistinct)', async () => {
    let calls = 0;
    const { handler } = setup({ '*': () => void calls++ });
    served = await serve(handler);
    const body = enc({ type: 'x' });
    const h = signStandard('m', body);
    const r = await rawPost(
      served.url + PATH,
      { ...h, 'webhook-signature': [h['webhook-signature'], h['webhook-signature']] },
      [body],
    );
    expect(r.status).toBe(401);
    expect(r.json.error).toBe('repeated_header');
    const r2 = await rawPost(served.url + PATH, { ...h, 'webhook-id': ['m', 'm'] }, [body]);
    expect(r2.json.error).toBe('repeated_header');
    expect(calls).toBe(0);
  });

  // 400 missing_event_id is covered in dedupe-and-replay.test.ts (it needs an endpoint with an idPath).
  it('answers 400 for a valid signature over invalid JSON or invalid UTF-8', async () => {
    let calls = 0;
    const { handler } = setup({ '*': () => void calls++ });
    served = await serve(handler);
    const notJson = Buffer.from('{"type": nope');
    expect((await served.post(PATH, notJson, signStandard('a', notJson))).json.error).toBe('invalid_json');
    const badUtf8 = Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]); // {"a":"\xff"}
    const r = await served.post(PATH, badUtf8, signStandard('b', badUtf8));
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ error: 'invalid_json', message: expect.stringContaining('UTF-8') });
    expect(calls).toBe(0);
  });

  it('answers 415 without a JSON content type and 405 for other methods', async () => {
    const { handler } = setup({});
    served = await serve(handler);
    const body = enc({ type: 'x' });
    const r = await served.post(PATH, body, { ...signStandard('a', body), 'content-type': 'text/plain' });
    expect(r.status).toBe(415);
    const ok = await served.post(PATH, body, {
      ...signStandard('a', body),
      'content-type': 'application/cloudevents+json; charset=utf-8',
    });
    expect(ok.status).toBe(200);
    const { request } = await import('undici');
    const g = await request(served.url + PATH, { method: 'GET' });
    await g.body.dump();
    expect(g.statusCode).toBe(405);
    expect(g.headers.allow).toBe('POST');
  });

  it('answers 404 for unknown paths, or defers to next() when mounted as middleware', async () => {
    const { handler } = setup({});
    served = await serve(handler);
    expect((await served.post('/nope', '{}', { 'content-type': 'application/json' })).status).toBe(404);
    let nextCalled = false;
    handler({ url: '/elsewhere', method: 'POST', headers: {} } as never, {} as never, () => {
      nextCalled = true;
    });
    expect(nextCalled).toBe(true);
  });

  it('answers 413 for a declared Content-Length over the limit, without reading', async () => {
    let calls = 0;
    const { handler } = setup({ '*': () => void calls++ }, { maxBodyBytes: 1024 });
    served = await serve(handler);
    const body = Buffer.alloc(4096, 0x20);
    const r = await rawPost(
      served.url + PATH,
      { ...signStandard('big', body), 'content-length': String(body.length) },
      [body],
    );
    expect(r.status).toBe(413);
    expect(r.json.error).toBe('body_too_large');
    expect(calls).toBe(0);
  });

  it('answers 413 for a chunked body over the default 1 MiB and stops reading there', async () => {
    let calls = 0;
    const { handler, logger } = setup({ '*': () => void calls++ });
    served = await serve(handler);
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    const total = 8 * 1024 * 1024;
    const chunks = Array.from({ length: total / chunk.length }, () => chunk);
    const r = await rawPost(served.url + PATH, signStandard('huge', Buffer.alloc(0)), chunks);
    expect(r.status).toBe(413);
    expect(calls).toBe(0);
    const rejected = logger.records.find((l) => l.reason === 'body_too_large');
    // The count at which reading stopped: just past the limit, far short of what was sent.
    expect(rejected?.bytes).toBeGreaterThan(1024 * 1024);
    expect(rejected?.bytes as number).toBeLessThan(1024 * 1024 + 2 * chunk.length);
    // A fresh connection still works afterwards.
    const ok = enc({ type: 'x' });
    expect((await served.post(PATH, ok, signStandard('after', ok))).status).toBe(200);
  });

  it('acknowledges an unknown type with 200 and logs it; dispatches exact and wildcard handlers in order', async () => {
    const order: string[] = [];
    const { handler, logger } = setup({
      '*': () => void order.push('*'),
      'invoice.*': [() => void order.push('invoice.* #1'), () => void order.push('invoice.* #2')],
      'invoice.paid': () => void order.push('exact'),
    });
    served = await serve(handler);
    const b1 = enc({ type: 'invoice.paid' });
    expect((await served.post(PATH, b1, signStandard('e1', b1))).json).toEqual({ ok: true, id: 'e1' });
    expect(order).toEqual(['exact', 'invoice.* #1', 'invoice.* #2', '*']);

    const only = setup({ 'invoice.*': () => void order.push('never') });
    await served.close();
    served = await serve(only.handler);
    const b2 = enc({ type: 'customer.created' });
    const r = await served.post(PATH, b2, signStandard('e2', b2));
    expect(r.json).toEqual({ ok: true, id: 'e2', unhandled: true });
    expect(
      only.logger.records.some((l) => l.msg?.includes('not handled') && l.eventType === 'customer.created'),
    ).toBe(true);
    // Acknowledged means done: a redelivery is a duplicate.
    expect((await served.post(PATH, b2, signStandard('e2', b2))).json).toMatchObject({ duplicate: true });
    expect(logger.records.length).toBeGreaterThan(0);
  });
});

describe('de-duplication and nothing lost', () => {
  it('a sequential duplicate gets 200 duplicate and is not processed again', async () => {
    let calls = 0;
    const { handler, logger } = setup({ '*': () => void calls++ });
    served = await serve(handler);
    const body = enc({ type: 't' });
    expect((await served.post(PATH, body, signStandard('d1', body))).json).toEqual({ ok: true, id: 'd1' });
    const again = await served.post(PATH, body, signStandard('d1', body));
    expect(again.status).toBe(200);
    expect(again.json).toEqual({ ok: true, id: 'd1', duplicate: true });
    expect(calls).toBe(1);
    expect(logger.records.filter((l) => l.msg === 'webhook duplicate')).toHaveLength(1);
  });

  it('two concurrent deliveries of one id never both run the handler: the second gets 503 Retry-After', async () => {
    const gate = deferred();
    const entered = deferred();
    let calls = 0;
    const { handler } = setup({
      '*': async () => {
        calls++;
        entered.resolve();
        await gate.promise;
      },
    });
    served = await serve(handler);
    const body = enc({ type: 't' });
    const first = served.post(PATH, body, signStandard('c1', body));
    await entered.promise;
    const second = await served.post(PATH, body, signStandard('c1', body));
    expect(second.status).toBe(503);
    expect(second.json.error).toBe('in_flight');
    expect(second.headers['retry-after']).toBe('10');
    gate.resolve();
    expect((await first).status).toBe(200);
    expect((await served.post(PATH, body, signStandard('c1', body))).json).toMatchObject({ duplicate: true });
    expect(calls).toBe(1);
  });

  it('a handler that throws answers 500 and releases the id; the retry is processed', async () => {
    let calls = 0;
    const { handler, logger } = setup({
      '*': () => {
        calls++;
        if (calls === 1) throw new Error('database down');
      },
    });
    served = await serve(handler);
    const body = enc({ type: 't' });
    const r1 = await served.post(PATH, body, signStandard('f1', body));
    expect(r1.status).toBe(500);
    expect(r1.json.error).toBe('handler_failed');
    expect(logger.records.find((l) => l.msg === 'webhook handler failed')).toMatchObject({
      eventId: 'f1',
      err: { name: 'Error', message: 'database down' },
    });
    const r2 = await served.post(PATH, body, signStandard('f1', body));
    expect(r2.json).toEqual({ ok: true, id: 'f1' });
    expect((await served.post(PATH, body, signStandard('f1', body))).json).toMatchObject({ duplicate: true });
    expect(calls).toBe(2);
  });

  it('a handler past the deadline: 503, signal aborted, id held until it settles, then marked done', async () => {
    const entered = deferred();
    const finish = deferred();
    let calls = 0;
    let signal: AbortSignal | undefined;
    const { handler, clock, dedupe } = setup(
      {
        '*': async (_e, ctx) => {
          calls++;
          signal = ctx.signal;
          entered.resolve();
          await finish.promise; // ignores the abort: the worst case
        },
      },
      { deadlineMs: 2_000 },
    );
    served = await serve(handler);
    const body = enc({ type: 't' });
    const first = served.post(PATH, body, signStandard('s1', body));
    await entered.promise;
    await clock.advanceAsync(2_000);
    const r1 = await first;
    expect(r1.status).toBe(503);
    expect(r1.json.error).toBe('handler_timeout');
    expect(r1.headers['retry-after']).toBe('2');
    expect(signal?.aborted).toBe(true);
    expect(clock.pending()).toBe(0);
    // Still running: a retry must not start a second run.
    expect((await served.post(PATH, body, signStandard('s1', body))).json.error).toBe('in_flight');
    expect(handler.inFlight).toBe(1);
    finish.resolve();
    expect(await dedupe.settled(`${PATH}:s1`)).toBe('complete');
    // It did finish: the sender's retry is a duplicate, not a second run.
    expect((await served.post(PATH, body, signStandard('s1', body))).json).toMatchObject({ duplicate: true });
    expect(calls).toBe(1);
    await handler.close();
    expect(handler.inFlight).toBe(0);
  });

  it('a timed-out handler that then fails releases the id, and the sender retry is processed', async () => {
    const finish = deferred();
    const entered = deferred();
    let calls = 0;
    let late: WebhookContext | undefined;
    const { handler, clock, dedupe } = setup(
      {
        '*': async (_e, ctx) => {
          calls++;
          if (calls === 1) {
            late = ctx;
            entered.resolve();
            await finish.promise;
            throw new Error('late failure');
          }
        },
      },
      { deadlineMs: 1_000 },
    );
    served = await serve(handler);
    const body = enc({ type: 't' });
    const first = served.post(PATH, body, signStandard('s2', body));
    await entered.promise;
    await clock.advanceAsync(1_000);
    expect((await first).status).toBe(503);
    // First look at the signal after the deadline: already aborted, with the timeout as reason.
    expect(late?.signal.aborted).toBe(true);
    expect(late?.signal.reason).toMatchObject({ code: 'WEBHOOK_HANDLER_TIMEOUT' });
    finish.resolve();
    expect(await dedupe.settled(`${PATH}:s2`)).toBe('release');
    const retry = await served.post(PATH, body, signStandard('s2', body));
    expect(retry.json).toEqual({ ok: true, id: 's2' });
    expect(calls).toBe(2);
  });

  it('answers 503 when the de-dup store fails, and runs nothing', async () => {
    let calls = 0;
    const clock = new ManualClock(NOW);
    const handler = createWebhookHandler({
      endpoints: [
        { path: PATH, verifier: standardWebhooks({ secret: SECRET }), on: { '*': () => void calls++ } },
      ],
      dedupe: {
        claim: () => Promise.reject(new Error('redis down')),
        complete: async () => {},
        release: async () => {},
        close: async () => {},
      },
      clock,
    });
    const body = enc({ type: 't' });
    const r = await handler.handle({ path: PATH, headers: signStandard('x', body), body });
    expect(r.status).toBe(503);
    expect(JSON.parse(r.body).error).toBe('dedupe_unavailable');
    expect(r.headers['retry-after']).toBe('10');
    expect(calls).toBe(0);
  });
});

describe('adapter entry point', () => {
  it('handle() takes raw body + headers and returns { status, headers, body }', async () => {
    const seen: string[] = [];
    const { handler } = setup({ '*': (e) => void seen.push(e.id) }, { maxBodyBytes: 100 });
    const body = enc({ type: 't' });
    const r = await handler.handle({ path: `${PATH}?x=1`, headers: signStandard('h1', body), body });
    expect(r).toEqual({
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: '{"ok":true,"id":"h1"}',
    });
    expect(seen).toEqual(['h1']);
    // headersDistinct-style input (every value an array) works as well.
    const distinct = Object.fromEntries(Object.entries(signStandard('h3', body)).map(([k, v]) => [k, [v]]));
    expect((await handler.handle({ path: PATH, headers: distinct, body })).status).toBe(200);
    const big = Buffer.alloc(101, 0x20);
    expect((await handler.handle({ path: PATH, headers: signStandard('h2', big), body: big })).status).toBe(
      413,
    );
    expect((await handler.handle({ path: PATH, headers: {}, body })).status).toBe(415);
    expect((await handler.handle({ path: '/other', headers: {}, body })).status).toBe(404);
    expect((await handler.handle({ path: PATH, method: 'PUT', headers: {}, body })).status).toBe(405);
  });

  it('after close() new deliveries get 503', async () => {
    const { handler } = setup({ '*': () => {} });
    await handler.close();
    const body = enc({ type: 't' });
    const r = await handler.handle({ path: PATH, headers: signStandard('z', body), body });
    expect(r.status).toBe(503);
  });
});
