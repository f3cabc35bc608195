import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { github, hmac, standardWebhooks, stripe, svix } from '../../src/webhooks/index.js';
import { eventIdKey, signatureKey } from '../../src/webhooks/dedupe-keys.js';
import { NOW, SECRET } from './helpers.js';

const verifiers = [
  standardWebhooks({ secret: SECRET }),
  svix({ secret: SECRET }),
  github({ secret: 'gh' }),
  stripe({ secret: 'whsec_x' }),
  hmac({ secret: 'k', timestampHeader: 'x-ts', prefix: 'sha256=', idHeader: 'x-id' }),
];
const names = [
  'webhook-id',
  'webhook-timestamp',
  'webhook-signature',
  'svix-id',
  'svix-timestamp',
  'svix-signature',
  'x-hub-signature-256',
  'x-github-delivery',
  'stripe-signature',
  'x-signature',
  'x-ts',
  'x-id',
];

// Values shaped like the real ones, plus anything at all (unicode, huge, arrays, non-strings).
const near = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.constantFrom('v1,', 't=', 'v1=', 'sha256=', ' ', ',', '=', 'v1,====', 't=1,t=2'),
  fc
    .tuple(
      fc.constantFrom('v1,', 'sha256=', 't=1750000000,v1=', ''),
      fc.base64String(),
      fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), maxLength: 70 }),
    )
    .map((p) => p.join('')),
  fc.integer().map(String),
  fc.double().map(String),
);
const value = fc.oneof(
  near,
  fc.array(near, { maxLength: 3 }),
  fc.constantFrom(undefined, null, 42, {}, [] as string[]) as fc.Arbitrary<unknown>,
);
const headers = fc.dictionary(fc.constantFrom(...names), value, { maxKeys: names.length });

describe('verifiers never throw on input', () => {
  it('any header values and body give a result, never an exception', () => {
    fc.assert(
      fc.property(
        headers,
        fc.uint8Array({ maxLength: 256 }),
        fc.integer({ min: 0, max: 4e12 }),
        (h, body, now) => {
          for (const v of verifiers) {
            const r = v.verify(body, h as never, now);
            expect(typeof r.ok).toBe('boolean');
            if (!r.ok) expect(r.message.length).toBeGreaterThan(0);
          }
        },
      ),
      { numRuns: 400 },
    );
  });

  it('random values never verify (no accidental acceptance)', () => {
    fc.assert(
      fc.property(headers, fc.uint8Array({ maxLength: 64 }), (h, body) => {
        for (const v of verifiers) expect(v.verify(body, h as never, NOW).ok).toBe(false);
      }),
      { numRuns: 200 },
    );
  });
});

describe('the receiver never throws on input', () => {
  it('random signature headers through handle() always get a 401 JSON answer', async () => {
    const { createWebhookHandler } = await import('../../src/webhooks/index.js');
    const { ManualClock } = await import('../../src/core/index.js');
    let calls = 0;
    const handler = createWebhookHandler({
      endpoints: verifiers.map((verifier, i) => ({
        path: `/v${i}`,
        verifier,
        on: { '*': () => void calls++ },
      })),
      clock: new ManualClock(NOW),
    });
    await fc.assert(
      fc.asyncProperty(headers, fc.integer({ min: 0, max: verifiers.length - 1 }), async (h, i) => {
        const r = await handler.handle({
          path: `/v${i}`,
          headers: { ...(h as object), 'content-type': 'application/json' },
          body: Buffer.from('{"type":"x","id":"1"}'),
        });
        expect(r.status).toBe(401);
        expect(JSON.parse(r.body).error).toMatch(/_header$|^signature_mismatch$|^timestamp_/);
      }),
      { numRuns: 200 },
    );
    expect(calls).toBe(0);
  });
});

describe('de-dup keys', () => {
  const part = fc.string({ unit: fc.constantFrom('a', ':', '~', 's', 'i', 'g', '1'), maxLength: 8 });
  it('no event id key equals a signature key or another endpoint’s id key, whatever the names and ids', () => {
    fc.assert(
      fc.property(part, part, part, part, (ep1, id1, ep2, id2) => {
        expect(eventIdKey(ep1, id1)).not.toBe(signatureKey(ep2, id2));
        if (ep1 !== ep2 || id1 !== id2) expect(eventIdKey(ep1, id1)).not.toBe(eventIdKey(ep2, id2));
        if (ep1 !== ep2 || id1 !== id2) expect(signatureKey(ep1, id1)).not.toBe(signatureKey(ep2, id2));
      }),
      { numRuns: 2000 },
    );
  });

  it('keep the form stored before for plain names and ids, so earlier marks still count', () => {
    expect(eventIdKey('/hooks/github', 'evt_123')).toBe('/hooks/github:evt_123');
    expect(eventIdKey('stripe', 'a:b')).toBe('stripe:a:b');
    expect(signatureKey('/hooks/github', 'ab12')).toBe('/hooks/github:sig:ab12');
    expect(eventIdKey('/hooks/github', 'sig:ab12')).toBe('/hooks/github:~sig:ab12');
  });
});
