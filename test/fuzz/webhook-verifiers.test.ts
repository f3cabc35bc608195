import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  github,
  hmac,
  type SignatureVerifier,
  standardWebhooks,
  stripe,
  svix,
  type WebhookHeaders,
} from '../../src/webhooks/index.js';

const NOW = 1_800_000_000_000;
const SECRET = 'fuzz-secret-value';
const STD_SECRET = `whsec_${Buffer.from(SECRET).toString('base64')}`;

const verifiers: [string, SignatureVerifier, string[]][] = [
  [
    'standard',
    standardWebhooks({ secret: STD_SECRET }),
    ['webhook-id', 'webhook-timestamp', 'webhook-signature'],
  ],
  ['svix', svix({ secret: STD_SECRET }), ['svix-id', 'svix-timestamp', 'svix-signature']],
  ['github', github({ secret: SECRET }), ['x-hub-signature-256', 'x-github-event', 'x-github-delivery']],
  ['stripe', stripe({ secret: SECRET }), ['stripe-signature']],
  [
    'hmac',
    hmac({
      secret: SECRET,
      header: 'x-signature',
      prefix: 'sha256=',
      timestampHeader: 'x-timestamp',
      idHeader: 'x-id',
    }),
    ['x-signature', 'x-timestamp', 'x-id'],
  ],
];

// Header values built to trip parsers: near-miss formats, repeated headers, huge and empty values.
const headerValue = fc.oneof(
  fc.string({ maxLength: 60 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.constantFrom(
    '',
    ' ',
    'v1,',
    'v1,====',
    't=,v1=',
    't=1,v1=zz',
    `t=${NOW / 1000},v1=${'a'.repeat(64)}`,
    'sha256=',
    `sha256=${'0'.repeat(64)}`,
    String(NOW / 1000),
    '99999999999999999999',
    '-1',
    '1e10',
    'NaN',
    'v1,a v1,b v2,c',
    'x'.repeat(10_000),
  ),
  fc.array(fc.string({ maxLength: 10 }), { minLength: 0, maxLength: 3 }),
  fc.constant(undefined),
);

describe.each(verifiers)('%s verifier fuzz', (_scheme, verifier, names) => {
  it('arbitrary headers and bodies give a typed rejection, never a throw and never an acceptance', () => {
    fc.assert(
      fc.property(
        fc.record(Object.fromEntries(names.map((n) => [n, headerValue]))),
        fc.uint8Array({ maxLength: 200 }),
        fc.integer({ min: 0, max: 4_000_000_000_000 }),
        (headers, body, now) => {
          const result = verifier.verify(body, headers as WebhookHeaders, now);
          // A random signature matching an HMAC-SHA256 is not a thing that happens: ok is a forgery.
          expect(result.ok).toBe(false);
          if (!result.ok) {
            expect(typeof result.reason).toBe('string');
            expect(result.message.length).toBeGreaterThan(0);
            expect(result.message).not.toContain(SECRET);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('a correctly signed delivery with one byte changed is rejected', () => {
  it('github: any single-byte change to the body is refused; the original is accepted', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 100 }),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (body, at, delta) => {
          const sig = `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;
          const headers = { 'x-hub-signature-256': sig, 'x-github-event': 'push', 'x-github-delivery': 'd1' };
          expect(github({ secret: SECRET }).verify(body, headers, NOW).ok).toBe(true);
          const tampered = Uint8Array.from(body);
          const i = at % tampered.length;
          tampered[i] = (tampered[i]! + delta) % 256;
          const r = github({ secret: SECRET }).verify(tampered, headers, NOW);
          expect(r.ok).toBe(false);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('standard webhooks: a signed delivery outside the tolerance or with a changed id is refused', () => {
    const v = standardWebhooks({ secret: STD_SECRET });
    const key = Buffer.from(SECRET);
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 20 }).filter((s) => !/[\s,]/.test(s)),
        fc.integer({ min: -3600, max: 3600 }),
        (id, skewSeconds) => {
          const ts = String(Math.floor(NOW / 1000) + skewSeconds);
          const body = Buffer.from('{"type":"x"}');
          const sig = createHmac('sha256', key).update(`${id}.${ts}.${body.toString()}`).digest('base64');
          const headers = { 'webhook-id': id, 'webhook-timestamp': ts, 'webhook-signature': `v1,${sig}` };
          const r = v.verify(body, headers, NOW);
          expect(r.ok).toBe(Math.abs(skewSeconds) <= 300);
          const other = v.verify(body, { ...headers, 'webhook-id': `${id}x` }, NOW);
          expect(other.ok).toBe(false);
        },
      ),
      { numRuns: 200 },
    );
  });
});
