import { createHmac } from 'node:crypto';
import { once } from 'node:events';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRecordingLogger, ManualClock } from '../../src/core/index.js';
import {
  createWebhookHandler,
  github,
  hmac,
  standardWebhooks,
  stripe,
  publish,
  type PublishedWebhookEvent,
  type WebhookEvent,
} from '../../src/webhooks/index.js';
import { deferred, KEY, NOW, rawPost, SECRET, type Served, serve } from './helpers.js';

/**
 * A hostile sender against a real node:http listener: signature and timestamp forms the verifiers
 * must refuse (or take) exactly, answers that must not help it, and payloads that must not cost the
 * receiver more than their size.
 */

const STRIPE_SECRET = 'whsec_stripe_secret_0123456789';
const GH_SECRET = 'github-secret-0123456789';
const HMAC_SECRET = 'hmac-secret-0123456789';
const T = NOW / 1000;

const seen: WebhookEvent[] = [];
const published: PublishedWebhookEvent[] = [];
const logger = createRecordingLogger();
const clock = new ManualClock(NOW);
const handler = createWebhookHandler({
  clock,
  logger,
  endpoints: [
    { path: '/std', verifier: standardWebhooks({ secret: SECRET }), on: { '*': (e) => void seen.push(e) } },
    { path: '/stripe', verifier: stripe({ secret: STRIPE_SECRET }), on: { '*': (e) => void seen.push(e) } },
    { path: '/gh', verifier: github({ secret: GH_SECRET }), on: { '*': (e) => void seen.push(e) } },
    {
      path: '/hmac',
      verifier: hmac({
        secret: HMAC_SECRET,
        header: 'x-sig',
        encoding: 'base64',
        timestampHeader: 'x-ts',
        idHeader: 'x-id',
      }),
      on: { '*': (e) => void seen.push(e) },
    },
    {
      path: '/pub',
      verifier: standardWebhooks({ secret: SECRET }),
      on: {
        '*': publish({
          publisher: { publish: (e) => void published.push(e) },
          uris: ['items://{data.id}', 'items://all'],
        }),
      },
    },
  ],
});

let served: Served;
beforeAll(async () => {
  served = await serve(handler);
});
afterAll(async () => {
  await served?.close();
});

const mac = (key: Buffer | string, text: string, enc: 'hex' | 'base64') =>
  createHmac('sha256', key).update(text).digest(enc);
const JSON_TYPE = { 'content-type': 'application/json' };

/** Standard Webhooks headers with the timestamp exactly as written (`ts` is signed as sent). */
const std = (id: string, body: string, ts: string) => ({
  ...JSON_TYPE,
  'webhook-id': id,
  'webhook-timestamp': ts,
  'webhook-signature': `v1,${mac(KEY, `${id}.${ts}.${body}`, 'base64')}`,
});
const stripeHeader = (body: string, t: string) => `t=${t},v1=${mac(STRIPE_SECRET, `${t}.${body}`, 'hex')}`;
const ghHeader = (body: string) => `sha256=${mac(GH_SECRET, body, 'hex')}`;

/** Writes one request as raw bytes (header values beyond Latin-1, as an attacker's client may send). */
async function rawBytes(
  head: Buffer,
  body: string,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const u = new URL(served.url);
  const socket = connect(Number(u.port), u.hostname);
  await once(socket, 'connect');
  let text = '';
  socket.setEncoding('utf8');
  socket.on('data', (d: string) => {
    text += d;
  });
  socket.write(
    Buffer.concat([head, Buffer.from(`content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`)]),
  );
  await new Promise<void>((resolve) => {
    const check = () => {
      const split = text.indexOf('\r\n\r\n');
      if (split !== -1) {
        const len = Number(/content-length: (\d+)/i.exec(text.slice(0, split))?.[1] ?? NaN);
        if (text.length - split - 4 >= len) {
          socket.off('data', check);
          resolve();
        }
      }
    };
    socket.on('data', check);
    socket.on('close', () => resolve());
  });
  socket.destroy();
  const split = text.indexOf('\r\n\r\n');
  return { status: Number(text.slice(9, 12)), json: JSON.parse(text.slice(split + 4)) };
}

describe('signature forms a hostile sender may try', () => {
  const body = JSON.stringify({ id: 'evt_sig', type: 'x.y' });

  it('wrong lengths, non-hex, lookalike prefixes and merged headers are refused with a reason; none leaks the expected value', async () => {
    const good = {
      std: std('m_sig', body, String(T))['webhook-signature'],
      stripe: stripeHeader(body, String(T)),
      gh: ghHeader(body),
      hmac: mac(HMAC_SECRET, `${T}.${body}`, 'base64'),
    };
    const digest = good.gh.slice(7);
    const cases: [path: string, headers: Record<string, string | string[]>, reason: string][] = [
      ['/gh', { 'x-hub-signature-256': `sha256=${digest.slice(0, 63)}` }, 'malformed_header'],
      ['/gh', { 'x-hub-signature-256': `sha256=${digest}0` }, 'malformed_header'],
      ['/gh', { 'x-hub-signature-256': `sha256=${digest}${digest}` }, 'malformed_header'],
      ['/gh', { 'x-hub-signature-256': `sha256=${digest.slice(0, 62)}zz` }, 'malformed_header'],
      ['/gh', { 'x-hub-signature-256': `sha256=${digest.slice(0, 62)} ` + 'a' }, 'malformed_header'],
      ['/gh', { 'x-hub-signature-256': `SHA256=${digest}` }, 'malformed_header'],
      ['/gh', { 'x-hub-signature-256': `sha256=${'0'.repeat(64)}` }, 'signature_mismatch'],
      // Two values in one header (a proxy's comma join) and the header twice.
      ['/gh', { 'x-hub-signature-256': `${good.gh}, sha256=${'0'.repeat(64)}` }, 'malformed_header'],
      ['/gh', { 'x-hub-signature-256': [good.gh, good.gh] }, 'repeated_header'],
      ['/gh', { 'x-hub-signature-256': [`sha256=${'0'.repeat(64)}`, good.gh] }, 'repeated_header'],
      ['/stripe', { 'stripe-signature': `t=${T},v1=${'0'.repeat(63)}` }, 'malformed_header'],
      ['/stripe', { 'stripe-signature': `t=${T},v1=${'g'.repeat(64)}` }, 'malformed_header'],
      ['/stripe', { 'stripe-signature': `${good.stripe},t=${T}` }, 'malformed_header'],
      ['/stripe', { 'stripe-signature': [good.stripe, good.stripe] }, 'repeated_header'],
      ['/stripe', { 'stripe-signature': `t=${T},v0=${good.stripe.split('v1=')[1]}` }, 'malformed_header'],
      ['/stripe', { 'stripe-signature': `t=${T},V1=${good.stripe.split('v1=')[1]}` }, 'malformed_header'],
      [
        '/stripe',
        {
          'stripe-signature': `t=${T},${Array(50)
            .fill(`v1=${'0'.repeat(64)}`)
            .join(',')}`,
        },
        'signature_mismatch',
      ],
      ['/std', { ...std('m_sig', body, String(T)), 'webhook-signature': 'v1,' }, 'malformed_header'],
      [
        '/std',
        { ...std('m_sig', body, String(T)), 'webhook-signature': `v1,${'A'.repeat(43)}=` },
        'signature_mismatch',
      ],
      [
        '/std',
        { ...std('m_sig', body, String(T)), 'webhook-signature': `v1,${good.std.slice(3, 46)}` },
        'malformed_header',
      ],
      [
        '/std',
        { ...std('m_sig', body, String(T)), 'webhook-signature': `v1,${good.std.slice(3)}==` },
        'malformed_header',
      ],
      [
        '/std',
        { ...std('m_sig', body, String(T)), 'webhook-signature': `v1a,${good.std.slice(3)}` },
        'malformed_header',
      ],
      [
        '/std',
        { ...std('m_sig', body, String(T)), 'webhook-signature': `${good.std},${good.std}` },
        'malformed_header',
      ],
      [
        '/std',
        { ...std('m_sig', body, String(T)), 'webhook-signature': [good.std, good.std] },
        'repeated_header',
      ],
      ['/hmac', { 'x-sig': good.hmac.slice(0, 43), 'x-ts': String(T) }, 'malformed_header'],
      ['/hmac', { 'x-sig': `${good.hmac.slice(0, 42)}==`, 'x-ts': String(T) }, 'malformed_header'],
      [
        '/hmac',
        { 'x-sig': `${good.hmac.slice(0, 41)}.${good.hmac.slice(42)}`, 'x-ts': String(T) },
        'malformed_header',
      ],
    ];
    for (const [path, headers, reason] of cases) {
      const r = await rawPost(served.url + path, { ...JSON_TYPE, ...headers }, [Buffer.from(body)]);
      expect([path, headers, r.status, r.json.error]).toEqual([path, headers, 401, reason]);
      const text = JSON.stringify(r.json);
      for (const leak of [digest, good.stripe.split('v1=')[1]!, good.std.slice(3), good.hmac]) {
        expect(text).not.toContain(leak);
      }
      for (const secret of [STRIPE_SECRET, GH_SECRET, HMAC_SECRET, SECRET.slice(6)]) {
        expect(text).not.toContain(secret);
      }
    }
    expect(seen.filter((e) => e.id === 'evt_sig' || e.id === 'm_sig')).toEqual([]);
    const logged = JSON.stringify(logger.records);
    for (const leak of [digest, good.stripe.split('v1=')[1]!, good.std.slice(3), good.hmac, GH_SECRET]) {
      expect(logged).not.toContain(leak);
    }
  });

  it('several signatures in one header: any valid one is taken (rotation), a bad one beside it changes nothing', async () => {
    const b = JSON.stringify({ id: 'evt_multi', type: 'x.y' });
    const stripeGood = stripeHeader(b, String(T));
    const r1 = await rawPost(
      `${served.url}/stripe`,
      {
        ...JSON_TYPE,
        'stripe-signature': `t=${T},v1=${'0'.repeat(64)},${stripeGood.slice(stripeGood.indexOf('v1='))}`,
      },
      [Buffer.from(b)],
    );
    expect(r1).toMatchObject({ status: 200, json: { ok: true, id: 'evt_multi' } });
    const h = std('m_multi', b, String(T));
    const r2 = await rawPost(
      `${served.url}/std`,
      { ...h, 'webhook-signature': `v1,${'A'.repeat(43)}= v2,whatever ${h['webhook-signature']}` },
      [Buffer.from(b)],
    );
    expect(r2).toMatchObject({ status: 200, json: { ok: true, id: 'm_multi' } });
  });

  it('header values beyond ASCII (fullwidth lookalikes sent as raw UTF-8 bytes) are refused, never a crash', async () => {
    const b = JSON.stringify({ id: 'evt_uni', type: 'x.y' });
    const digest = ghHeader(b).slice(7);
    const lookalikes = [
      `ｓha256=${digest}`, // fullwidth s
      `sha256＝${digest}`, // fullwidth equals sign
      `sha256=${digest.slice(0, 63)}ａ`, // fullwidth a as the last digit
      `sha256=${digest.slice(0, 32)}\u200b${digest.slice(32)}`, // zero-width space inside
    ];
    for (const sig of lookalikes) {
      const head = Buffer.concat([
        Buffer.from(
          `POST /gh HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\nx-hub-signature-256: `,
        ),
        Buffer.from(sig, 'utf8'),
        Buffer.from('\r\nconnection: close\r\n'),
      ]);
      const r = await rawBytes(head, b);
      expect([sig, r.status, r.json.error]).toEqual([sig, 401, 'malformed_header']);
    }
    // A lookalike event id (Cyrillic "е" in "evt") is simply another id, signed as sent.
    const id = 'еvt_uni';
    const sb = JSON.stringify({ type: 'x.y' });
    const h = std(id, sb, String(T));
    const head = Buffer.from(
      `POST /std HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\nwebhook-id: ${id}\r\nwebhook-timestamp: ${T}\r\nwebhook-signature: ${h['webhook-signature']}\r\nconnection: close\r\n`,
      'utf8',
    );
    const r = await rawBytes(head, sb);
    // node reads header bytes as Latin-1, so the id the sender signed (UTF-8) is not the one read.
    expect(r.status).toBe(401);
    expect(r.json.error).toBe('signature_mismatch');
  });
});

describe('timestamp tolerance edges (ManualClock at NOW, tolerance 300 s)', () => {
  const body = JSON.stringify({ type: 'x.y' });
  let n = 0;
  const sendStd = (ts: string) => {
    const id = `ts_${++n}`;
    return rawPost(`${served.url}/std`, std(id, body, ts), [Buffer.from(body)]);
  };
  const sendStripe = (t: string) => {
    const b = JSON.stringify({ id: `evt_ts_${++n}`, type: 'x.y' });
    return rawPost(`${served.url}/stripe`, { ...JSON_TYPE, 'stripe-signature': stripeHeader(b, t) }, [
      Buffer.from(b),
    ]);
  };
  const sendHmac = (t: string) => {
    const b = JSON.stringify({ type: 'x.y' });
    return rawPost(
      `${served.url}/hmac`,
      { ...JSON_TYPE, 'x-sig': mac(HMAC_SECRET, `${t}.${b}`, 'base64'), 'x-ts': t, 'x-id': `h_${++n}` },
      [Buffer.from(b)],
    );
  };

  it.each([
    ['exactly at the past edge', String(T - 300), 200, undefined],
    ['exactly at the future edge', String(T + 300), 200, undefined],
    ['one second past the edge', String(T - 301), 401, 'timestamp_too_old'],
    ['one second into the future past the edge', String(T + 301), 401, 'timestamp_in_future'],
    ['zero', '0', 401, 'timestamp_too_old'],
    ['negative', String(-T), 401, 'malformed_header'],
    ['a plus sign', `+${T}`, 401, 'malformed_header'],
    ['exponent notation', '1.75e9', 401, 'malformed_header'],
    ['exponent notation, integral', '1e10', 401, 'malformed_header'],
    ['fractional seconds', `${T}.0`, 401, 'malformed_header'],
    ['milliseconds', String(NOW), 401, 'timestamp_in_future'],
    ['hex', `0x${T.toString(16)}`, 401, 'malformed_header'],
    ['15 nines (huge)', '9'.repeat(15), 401, 'timestamp_in_future'],
    ['16 digits', '1'.repeat(16), 401, 'malformed_header'],
    ['forty digits', '9'.repeat(40), 401, 'malformed_header'],
    ['Infinity', 'Infinity', 401, 'malformed_header'],
    ['NaN', 'NaN', 401, 'malformed_header'],
    ['an ISO date', '2025-06-15T15:06:40Z', 401, 'malformed_header'],
    ['fullwidth digits', '１７５００００００', 401, 'malformed_header'],
  ])('%s (%s): %s %s, on every scheme with a signed timestamp', async (_what, ts, status, reason) => {
    for (const send of [sendStd, sendStripe, sendHmac]) {
      // Latin-1 only on the wire: node's client refuses other characters in a header value.
      if ([...ts].some((c) => c.charCodeAt(0) > 255)) continue;
      const r = await send(ts);
      expect([send.name, r.status, r.json.error]).toEqual([send.name, status, reason]);
    }
  });

  it('leading zeros sign a different string: the same instant cannot re-sign a captured delivery', async () => {
    const id = 'ts_zero';
    const h = std(id, body, String(T));
    const replay = { ...h, 'webhook-timestamp': `0${T}` };
    const r = await rawPost(`${served.url}/std`, replay, [Buffer.from(body)]);
    expect([r.status, r.json.error]).toEqual([401, 'signature_mismatch']);
  });

  it('the window follows the injected clock: a delivery good now is refused 301 s later', async () => {
    const own = new ManualClock(NOW);
    const later = await serve(
      createWebhookHandler({
        clock: own,
        endpoints: [{ path: '/std', verifier: standardWebhooks({ secret: SECRET }), on: { '*': () => {} } }],
      }),
    );
    try {
      const h = std('ts_later', body, String(T));
      own.advance(301_000);
      const r = await rawPost(`${later.url}/std`, h, [Buffer.from(body)]);
      expect([r.status, r.json.error]).toEqual([401, 'timestamp_too_old']);
    } finally {
      await later.close();
    }
  });
});

describe('payloads that must not cost the receiver more than their size', () => {
  const post = (path: string, id: string, payload: unknown) => {
    const b = JSON.stringify(payload);
    return rawPost(served.url + path, std(id, b, String(T)), [Buffer.from(b)]);
  };

  it('an event type longer than 512 characters is refused 400 invalid_event_type and runs nothing', async () => {
    const before = seen.length;
    const ok = await post('/std', 'type_512', { type: `x.${'y'.repeat(510)}` });
    expect(ok.status).toBe(200);
    const r = await post('/std', 'type_long', { type: `x.${'y'.repeat(100_000)}` });
    expect([r.status, r.json.error]).toEqual([400, 'invalid_event_type']);
    expect(String(r.json.message)).toContain('512');
    expect(seen.slice(before).map((e) => e.id)).toEqual(['type_512']);
  });

  it('github: a long payload action makes the type too long too (X-GitHub-Event.action)', async () => {
    const before = seen.length;
    const b = JSON.stringify({ action: 'a'.repeat(100_000) });
    const r = await rawPost(
      `${served.url}/gh`,
      {
        ...JSON_TYPE,
        'x-hub-signature-256': ghHeader(b),
        'x-github-event': 'issues',
        'x-github-delivery': 'gh_long',
      },
      [Buffer.from(b)],
    );
    expect([r.status, r.json.error]).toEqual([400, 'invalid_event_type']);
    expect(seen.length).toBe(before);
  });

  it('a resource URI rendered longer than 8 KiB is skipped (logged); the others are still published', async () => {
    published.length = 0;
    const r = await post('/pub', 'uri_long', { type: 'x.y', data: { id: 'é'.repeat(5_000) } });
    expect(r.status).toBe(200);
    expect(published.map((e) => e.uris)).toEqual([['items://all']]);
    expect(logger.records.some((l) => l.msg === 'webhook action skipped a URI: too long')).toBe(true);
    const fine = await post('/pub', 'uri_ok', { type: 'x.y', data: { id: 'a'.repeat(8_000) } });
    expect(fine.status).toBe(200);
    expect(published[1]!.uris).toEqual([`items://${'a'.repeat(8_000)}`, 'items://all']);
  });

  it('JSON nested 500 000 levels deep under a valid signature is processed, and the listener keeps serving', async () => {
    const depth = 500_000;
    const b = `{"type":"x.y","d":${'['.repeat(depth)}${']'.repeat(depth)}}`;
    const r = await rawPost(`${served.url}/std`, std('deep', b, String(T)), [Buffer.from(b)]);
    expect(r).toMatchObject({ status: 200, json: { ok: true, id: 'deep' } });
    const after = await post('/std', 'after_deep', { type: 'x.y' });
    expect(after.status).toBe(200);
  });

  it('duplicate keys: the last value wins for the id, the type and the handlers alike', async () => {
    const b = '{"id":"evt_dup_a","type":"x.a","id":"evt_dup_b","type":"x.b"}';
    const r = await rawPost(
      `${served.url}/stripe`,
      { ...JSON_TYPE, 'stripe-signature': stripeHeader(b, String(T)) },
      [Buffer.from(b)],
    );
    expect(r.json).toEqual({ ok: true, id: 'evt_dup_b' });
    expect(seen.at(-1)).toMatchObject({
      id: 'evt_dup_b',
      type: 'x.b',
      payload: { id: 'evt_dup_b', type: 'x.b' },
    });
    const again = JSON.stringify({ id: 'evt_dup_b', type: 'x.b' });
    const dup = await rawPost(
      `${served.url}/stripe`,
      { ...JSON_TYPE, 'stripe-signature': stripeHeader(again, String(T)) },
      [Buffer.from(again)],
    );
    expect(dup.json).toMatchObject({ duplicate: true });
  });
});

describe('a sender that stops sending mid-body', () => {
  it('is answered 408 body_timeout after bodyTimeoutMs (default 30 s) and its connection closed; nothing runs', async () => {
    const slowClock = new ManualClock(NOW);
    const ran: WebhookEvent[] = [];
    const slowLogger = createRecordingLogger();
    const slow = createWebhookHandler({
      clock: slowClock,
      logger: slowLogger,
      endpoints: [
        {
          path: '/std',
          verifier: standardWebhooks({ secret: SECRET }),
          on: { '*': (e) => void ran.push(e) },
        },
      ],
    });
    const reading = deferred<void>();
    const s = await serve(((req, res, next) => {
      slow(req, res, next);
      reading.resolve();
    }) as typeof slow);
    try {
      const u = new URL(s.url);
      const socket = connect(Number(u.port), u.hostname);
      await once(socket, 'connect');
      let text = '';
      socket.setEncoding('utf8');
      socket.on('data', (d: string) => {
        text += d;
      });
      const closed = once(socket, 'close');
      socket.write(
        'POST /std HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{"type":',
      );
      await reading.promise;
      slowClock.advance(29_999);
      expect(text).toBe('');
      slowClock.advance(1);
      await closed;
      expect(text).toMatch(/^HTTP\/1\.1 408 /);
      expect(text).toMatch(/connection: close/i);
      expect(JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4))).toMatchObject({ error: 'body_timeout' });
      expect(ran).toEqual([]);
      expect(slowLogger.records.some((e) => e.reason === 'body_timeout')).toBe(true);
    } finally {
      await s.close();
    }
  });

  it('a whole body in time clears the timer: no 408 later, and bodyTimeoutMs must be positive', async () => {
    const c = new ManualClock(NOW);
    const outcomes: number[] = [];
    expect(() =>
      createWebhookHandler({
        clock: c,
        bodyTimeoutMs: 0,
        endpoints: [{ path: '/std', verifier: standardWebhooks({ secret: SECRET }), on: {} }],
      }),
    ).toThrow(/bodyTimeoutMs/);
    const h = createWebhookHandler({
      clock: c,
      bodyTimeoutMs: 5_000,
      onOutcome: (_e, r) => void outcomes.push(r.status),
      endpoints: [{ path: '/std', verifier: standardWebhooks({ secret: SECRET }), on: { '*': () => {} } }],
    });
    const s = await serve(h);
    try {
      const b = JSON.stringify({ type: 'x.y' });
      const r = await rawPost(`${s.url}/std`, std('in_time', b, String(T)), [Buffer.from(b)]);
      expect(r.status).toBe(200);
      c.advance(5_000);
      expect(outcomes).toEqual([200]);
    } finally {
      await s.close();
    }
  });
});
