import { sign as githubSign } from '@octokit/webhooks-methods';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import Stripe from 'stripe';
import { Webhook as SvixWebhook } from 'svix';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/index.js';
import {
  assertVerified,
  github,
  hmac,
  standardWebhooks,
  stripe,
  svix,
  WebhookVerificationError,
} from '../../src/webhooks/index.js';
import { createHmac } from 'node:crypto';

// Fixed "now" for every check: timestamps are data, not wall-clock reads.
const NOW = 1_750_000_000_000;
const NOW_S = NOW / 1000;
const SECRET = `whsec_${Buffer.from('0123456789abcdef0123456789abcdef').toString('base64')}`;
const OTHER = `whsec_${Buffer.from('fedcba9876543210fedcba9876543210').toString('base64')}`;
const body = Buffer.from(JSON.stringify({ type: 'invoice.paid', id: 'evt_1', data: { id: 42, name: 'é' } }));

function standardHeaders(secret = SECRET, ts = NOW_S, id = 'msg_1', payload: Buffer = body) {
  const sig = new StandardWebhook(secret).sign(id, new Date(ts * 1000), payload);
  return { 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': sig };
}

const stripeClient = new Stripe('sk_test_not_a_real_key');
function stripeHeader(secret: string, ts = NOW_S, payload: Buffer | string = body) {
  return stripeClient.webhooks.generateTestHeaderString({
    payload: typeof payload === 'string' ? payload : payload.toString('utf8'),
    secret,
    timestamp: ts,
  });
}

describe('standard webhooks', () => {
  const v = standardWebhooks({ secret: SECRET });

  it('accepts a signature made by the standardwebhooks library, with its id and timestamp', () => {
    const r = v.verify(body, standardHeaders(), NOW);
    expect(r).toEqual({ ok: true, id: 'msg_1', timestampMs: NOW });
  });

  it('checks the exact bytes: invalid UTF-8 signed as bytes verifies, a lossy re-encoding does not', () => {
    const raw = Buffer.from([0x7b, 0xff, 0xfe, 0x7d]);
    const key = Buffer.from(SECRET.slice(6), 'base64');
    const mac = createHmac('sha256', key).update(`msg_2.${NOW_S}.`).update(raw).digest('base64');
    const h = { 'webhook-id': 'msg_2', 'webhook-timestamp': String(NOW_S), 'webhook-signature': `v1,${mac}` };
    expect(v.verify(raw, h, NOW).ok).toBe(true);
    // standardwebhooks' sign() decodes a Buffer to a string first (0xff 0xfe become U+FFFD): other bytes.
    expect(v.verify(raw, standardHeaders(SECRET, NOW_S, 'msg_2', raw), NOW)).toMatchObject({
      reason: 'signature_mismatch',
    });
  });

  it('rejects a tampered body, a wrong secret and a changed id', () => {
    const h = standardHeaders();
    const tampered = Buffer.from(body);
    tampered[tampered.length - 2]! ^= 1;
    expect(v.verify(tampered, h, NOW)).toMatchObject({ ok: false, reason: 'signature_mismatch' });
    expect(standardWebhooks({ secret: OTHER }).verify(body, h, NOW)).toMatchObject({
      reason: 'signature_mismatch',
    });
    expect(v.verify(body, { ...h, 'webhook-id': 'msg_other' }, NOW)).toMatchObject({
      reason: 'signature_mismatch',
    });
  });

  it('accepts any of several secrets (rotation) and any of several signatures in the header', () => {
    const rotated = standardWebhooks({ secrets: [OTHER, SECRET] });
    expect(rotated.verify(body, standardHeaders(), NOW).ok).toBe(true);
    const h = standardHeaders();
    const bad = `v1,${Buffer.alloc(32, 1).toString('base64')}`;
    const multi = { ...h, 'webhook-signature': `${bad} v1a,xyz ${h['webhook-signature']}` };
    expect(v.verify(body, multi, NOW).ok).toBe(true);
  });

  it('enforces the timestamp tolerance in both directions', () => {
    const old = standardHeaders(SECRET, NOW_S - 301);
    const future = standardHeaders(SECRET, NOW_S + 301);
    expect(v.verify(body, old, NOW)).toMatchObject({ ok: false, reason: 'timestamp_too_old' });
    expect(v.verify(body, future, NOW)).toMatchObject({ ok: false, reason: 'timestamp_in_future' });
    expect(v.verify(body, standardHeaders(SECRET, NOW_S - 299), NOW).ok).toBe(true);
    expect(v.verify(body, standardHeaders(SECRET, NOW_S + 299), NOW).ok).toBe(true);
    const tight = standardWebhooks({ secret: SECRET, toleranceMs: 10_000 });
    expect(tight.verify(body, standardHeaders(SECRET, NOW_S - 11), NOW)).toMatchObject({
      reason: 'timestamp_too_old',
    });
  });

  it('rejects missing, empty, repeated, malformed and truncated headers with a reason, never a throw', () => {
    const h = standardHeaders();
    const sig = h['webhook-signature'];
    const cases: [Record<string, string | string[] | undefined>, string][] = [
      [{ ...h, 'webhook-signature': undefined }, 'missing_header'],
      [{ ...h, 'webhook-id': '' }, 'empty_header'],
      [{ ...h, 'webhook-timestamp': '   ' }, 'empty_header'],
      [{ ...h, 'webhook-signature': [sig, sig] }, 'repeated_header'],
      [{ ...h, 'webhook-signature': [] }, 'missing_header'],
      [{ ...h, 'webhook-timestamp': '17e8' }, 'malformed_header'],
      [{ ...h, 'webhook-timestamp': '-5' }, 'malformed_header'],
      [{ ...h, 'webhook-signature': sig.slice(0, 20) }, 'malformed_header'],
      [{ ...h, 'webhook-signature': 'v1,' }, 'malformed_header'],
      [{ ...h, 'webhook-signature': sig.replace('v1,', 'v2,') }, 'malformed_header'],
      [{ ...h, 'webhook-signature': `${sig}, ${sig}` }, 'malformed_header'],
    ];
    for (const [headers, reason] of cases) {
      expect(v.verify(body, headers, NOW), JSON.stringify(headers)).toMatchObject({ ok: false, reason });
    }
  });

  it('throws WebhookVerificationError from assertVerified, with the reason', () => {
    expect(() => assertVerified(v, body, {}, NOW)).toThrow(WebhookVerificationError);
    try {
      assertVerified(v, body, {}, NOW);
    } catch (err) {
      expect((err as WebhookVerificationError).reason).toBe('missing_header');
      expect((err as WebhookVerificationError).code).toBe('WEBHOOK_VERIFICATION_FAILED');
    }
  });

  it('refuses bad secrets at construction without echoing them', () => {
    expect(() => standardWebhooks({ secret: 'whsec_not base64!' })).toThrow(ConfigError);
    expect(() => standardWebhooks({ secret: 'whsec_not base64!' })).not.toThrow(/not base64!/);
    expect(() => standardWebhooks({ secrets: [] })).toThrow(ConfigError);
    expect(() => standardWebhooks({ secret: SECRET, toleranceMs: -1 })).toThrow(ConfigError);
  });
});

describe('svix', () => {
  it('accepts svix-* headers signed by the svix library, and webhook-* names as well', () => {
    const v = svix({ secret: SECRET });
    const sig = new SvixWebhook(SECRET).sign('msg_s', new Date(NOW), body);
    const svixHeaders = { 'svix-id': 'msg_s', 'svix-timestamp': String(NOW_S), 'svix-signature': sig };
    expect(v.verify(body, svixHeaders, NOW)).toEqual({ ok: true, id: 'msg_s', timestampMs: NOW });
    expect(v.verify(body, standardHeaders(SECRET, NOW_S, 'msg_w'), NOW)).toMatchObject({
      ok: true,
      id: 'msg_w',
    });
    expect(v.verify(body, { ...svixHeaders, 'svix-id': undefined }, NOW)).toMatchObject({
      reason: 'missing_header',
    });
  });
});

describe('github', () => {
  const v = github({ secret: "It's a Secret to Everybody" });

  it('accepts a signature made by @octokit/webhooks-methods sign, with delivery id and event', async () => {
    const sig = await githubSign("It's a Secret to Everybody", body.toString('utf8'));
    const h = { 'x-hub-signature-256': sig, 'x-github-delivery': 'd-1', 'x-github-event': 'issues' };
    // The delivery id is not signed, so the signed digest comes along as the replay key.
    expect(v.verify(body, h, NOW)).toEqual({
      ok: true,
      id: 'd-1',
      type: 'issues',
      replayKey: sig.slice('sha256='.length),
    });
    // No timestamp in the scheme: an old delivery still verifies (de-dup is what stops a replay).
    expect(v.verify(body, h, NOW + 365 * 86_400_000).ok).toBe(true);
  });

  it('rejects wrong secret, tampering, truncation, wrong prefix and repeats', async () => {
    const sig = await githubSign("It's a Secret to Everybody", body.toString('utf8'));
    const other = await githubSign('another', body.toString('utf8'));
    const at = (s: string | string[]) => v.verify(body, { 'x-hub-signature-256': s }, NOW);
    expect(at(other)).toMatchObject({ reason: 'signature_mismatch' });
    expect(
      v.verify(Buffer.concat([body, Buffer.from(' ')]), { 'x-hub-signature-256': sig }, NOW),
    ).toMatchObject({
      reason: 'signature_mismatch',
    });
    expect(at(sig.slice(0, -2))).toMatchObject({ reason: 'malformed_header' });
    expect(at(sig.replace('sha256=', 'sha1='))).toMatchObject({ reason: 'malformed_header' });
    expect(at([sig, sig])).toMatchObject({ reason: 'repeated_header' });
    expect(at(`${sig}, ${sig}`)).toMatchObject({ reason: 'malformed_header' });
    expect(
      github({ secrets: ['old', "It's a Secret to Everybody"] }).verify(
        body,
        { 'x-hub-signature-256': sig },
        NOW,
      ).ok,
    ).toBe(true);
  });
});

describe('stripe', () => {
  const secret = 'whsec_test_secret_used_verbatim';
  const v = stripe({ secret });

  it("accepts stripe's generateTestHeaderString (the whsec_ secret used verbatim as the key)", () => {
    expect(v.verify(body, { 'stripe-signature': stripeHeader(secret) }, NOW)).toEqual({
      ok: true,
      timestampMs: NOW,
    });
  });

  it('takes any of several v1 entries and ignores v0', () => {
    const good = stripeHeader(secret);
    const goodSig = good.split(',').find((p) => p.startsWith('v1='))!;
    const header = `t=${NOW_S},v0=${'a'.repeat(64)},v1=${'b'.repeat(64)},${goodSig}`;
    expect(v.verify(body, { 'stripe-signature': header }, NOW).ok).toBe(true);
  });

  it('would not accept a base64-decoded key (the Standard Webhooks way) — schemes differ', () => {
    const b64Secret = `whsec_${Buffer.from('k'.repeat(24)).toString('base64')}`;
    const key = Buffer.from(b64Secret.slice(6), 'base64');
    const mac = createHmac('sha256', key).update(`${NOW_S}.`).update(body).digest('hex');
    const r = stripe({ secret: b64Secret }).verify(body, { 'stripe-signature': `t=${NOW_S},v1=${mac}` }, NOW);
    expect(r).toMatchObject({ ok: false, reason: 'signature_mismatch' });
  });

  it('rejects old and future timestamps, a duplicated header, truncation and missing parts', () => {
    const at = (h: string | string[] | undefined) => v.verify(body, { 'stripe-signature': h }, NOW);
    expect(at(stripeHeader(secret, NOW_S - 301))).toMatchObject({ reason: 'timestamp_too_old' });
    expect(at(stripeHeader(secret, NOW_S + 301))).toMatchObject({ reason: 'timestamp_in_future' });
    const h = stripeHeader(secret);
    expect(at(`${h}, ${h}`)).toMatchObject({ reason: 'malformed_header' });
    expect(at([h, h])).toMatchObject({ reason: 'repeated_header' });
    expect(at(h.slice(0, -10))).toMatchObject({ reason: 'malformed_header' });
    expect(at(`v1=${'a'.repeat(64)}`)).toMatchObject({ reason: 'malformed_header' });
    expect(at(`t=${NOW_S}`)).toMatchObject({ reason: 'malformed_header' });
    expect(at(undefined)).toMatchObject({ reason: 'missing_header' });
    expect(stripe({ secret: 'whsec_other' }).verify(body, { 'stripe-signature': h }, NOW)).toMatchObject({
      reason: 'signature_mismatch',
    });
  });
});

describe('generic hmac', () => {
  const mac = (content: string | Buffer, key = 'k3y', enc: 'hex' | 'base64' = 'hex') =>
    createHmac('sha256', key).update(content).digest(enc);

  it('checks hex over the body in x-signature by default, and takes an id header', () => {
    const v = hmac({ secret: 'k3y', idHeader: 'X-Event-Id' });
    expect(v.verify(body, { 'x-signature': mac(body), 'x-event-id': 'e-9' }, NOW)).toEqual({
      ok: true,
      id: 'e-9',
      replayKey: mac(body),
    });
    expect(v.verify(body, { 'x-signature': mac(body, 'nope') }, NOW)).toMatchObject({
      reason: 'signature_mismatch',
    });
    expect(v.verify(body, { 'x-signature': mac(body).slice(1) }, NOW)).toMatchObject({
      reason: 'malformed_header',
    });
  });

  it('includes a timestamp header in the signed content and enforces its window', () => {
    const v = hmac({
      secret: 'k3y',
      header: 'X-Sig',
      prefix: 'sha256=',
      encoding: 'base64',
      timestampHeader: 'X-Ts',
    });
    const signed = (ts: number) => ({
      'x-sig': `sha256=${mac(Buffer.concat([Buffer.from(`${ts}.`), body]), 'k3y', 'base64')}`,
      'x-ts': String(ts),
    });
    expect(v.verify(body, signed(NOW_S), NOW)).toEqual({ ok: true, timestampMs: NOW });
    expect(v.verify(body, signed(NOW_S - 600), NOW)).toMatchObject({ reason: 'timestamp_too_old' });
    expect(v.verify(body, { ...signed(NOW_S), 'x-ts': undefined }, NOW)).toMatchObject({
      reason: 'missing_header',
    });
    // The timestamp is signed: changing it breaks the signature.
    expect(v.verify(body, { ...signed(NOW_S), 'x-ts': String(NOW_S + 1) }, NOW)).toMatchObject({
      reason: 'signature_mismatch',
    });
  });
});
