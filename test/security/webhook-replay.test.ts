import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { createWebhookHandler, github, hmac, type SignatureVerifier } from '../../src/webhooks/index.js';
import { rawPost, type Served, serve } from '../webhooks/helpers.js';

// A captured delivery is replayed by an attacker who cannot sign but can change the headers the
// signature does not cover: the id header removed, sent empty, or sent twice. The payload carries its
// own `id`, the field the receiver falls back to, so each replay "looks new" unless the signed digest
// is claimed on every path.

const SECRET = 'replay-test-secret-0123456789';
const BODY = Buffer.from(JSON.stringify({ id: 'payload-id-1', action: 'opened', type: 'order.paid' }));
const digest = createHmac('sha256', SECRET).update(BODY).digest('hex');

interface Scheme {
  name: string;
  verifier: SignatureVerifier;
  signature: Record<string, string>;
  idHeader: string;
}

const schemes: Scheme[] = [
  {
    name: 'github (X-GitHub-Delivery is not signed)',
    verifier: github({ secret: SECRET }),
    signature: { 'x-hub-signature-256': `sha256=${digest}`, 'x-github-event': 'order' },
    idHeader: 'x-github-delivery',
  },
  {
    name: 'hmac with idHeader (the id header is not signed)',
    verifier: hmac({ secret: SECRET, idHeader: 'x-event-id' }),
    signature: { 'x-signature': digest },
    idHeader: 'x-event-id',
  },
];

let served: Served | undefined;
afterEach(async () => {
  await served?.close();
  served = undefined;
});

describe.each(schemes)('a replayed signed body is processed once: $name', (scheme) => {
  const variants: [string, Record<string, string | string[]>][] = [
    ['removed', {}],
    ['empty', { [scheme.idHeader]: '' }],
    ['repeated', { [scheme.idHeader]: ['replay-a', 'replay-b'] }],
    ['changed', { [scheme.idHeader]: 'another-fresh-id' }],
  ];

  it.each(variants)('with the id header %s after the original delivery', async (_label, idHeaders) => {
    let runs = 0;
    const handler = createWebhookHandler({
      endpoints: [{ path: '/hook', verifier: scheme.verifier, on: { '*': () => void runs++ } }],
    });
    served = await serve(handler);
    const url = `${served.url}/hook`;
    const base = { 'content-type': 'application/json', ...scheme.signature };
    const first = await rawPost(url, { ...base, [scheme.idHeader]: 'original-delivery' }, [BODY]);
    expect(first.status).toBe(200);
    expect(runs).toBe(1);
    const replay = await rawPost(url, { ...base, ...idHeaders }, [BODY]);
    expect(replay.status).toBe(200);
    expect(replay.json.duplicate).toBe(true);
    expect(runs).toBe(1);
  });

  it('a delivery without the id header first, then with one, is still processed once', async () => {
    let runs = 0;
    const handler = createWebhookHandler({
      endpoints: [{ path: '/hook', verifier: scheme.verifier, on: { '*': () => void runs++ } }],
    });
    served = await serve(handler);
    const url = `${served.url}/hook`;
    const base = { 'content-type': 'application/json', ...scheme.signature };
    expect((await rawPost(url, base, [BODY])).status).toBe(200);
    const replay = await rawPost(url, { ...base, [scheme.idHeader]: 'fresh' }, [BODY]);
    expect(replay.json.duplicate).toBe(true);
    expect(runs).toBe(1);
  });
});

describe.each(schemes)(
  'a sender-chosen id cannot stand for another delivery’s signature: $name',
  (scheme) => {
    it('a delivery whose id is "sig:<digest of another body>" does not suppress that body’s delivery', async () => {
      const runs: string[] = [];
      const handler = createWebhookHandler({
        endpoints: [
          {
            path: '/hook',
            verifier: scheme.verifier,
            on: { '*': (e) => void runs.push((e.payload as { id: string }).id) },
          },
        ],
      });
      served = await serve(handler);
      const url = `${served.url}/hook`;
      // Another body, validly signed, sent first under an id naming BODY's signature key.
      const other = Buffer.from(JSON.stringify({ id: 'payload-id-2', action: 'opened', type: 'order.paid' }));
      const otherDigest = createHmac('sha256', SECRET).update(other).digest('hex');
      const otherSignature = Object.fromEntries(
        Object.entries(scheme.signature).map(([k, v]) => [k, v.replace(digest, otherDigest)]),
      );
      const squat = await rawPost(
        url,
        { 'content-type': 'application/json', ...otherSignature, [scheme.idHeader]: `sig:${digest}` },
        [other],
      );
      expect(squat.status).toBe(200);
      const real = await rawPost(
        url,
        { 'content-type': 'application/json', ...scheme.signature, [scheme.idHeader]: 'real-delivery' },
        [BODY],
      );
      expect(real.status).toBe(200);
      expect(real.json.duplicate).toBeUndefined();
      expect(runs).toEqual(['payload-id-2', 'payload-id-1']);
    });
  },
);
