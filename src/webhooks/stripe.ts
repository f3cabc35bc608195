import { decodeHex256, signedByAny } from './compare.js';
import type { WebhookHeaders } from './headers.js';
import { secretOption, verbatimKeys } from './secrets.js';
import {
  reject,
  requiredHeader,
  type SignatureVerifier,
  type SignedTimestampOptions,
  type TimestampWindow,
  timestampWindow,
  type VerifyResult,
} from './verifier.js';

/**
 * Options of the Stripe verifier: the endpoint's `whsec_…` signing secret(s), used verbatim (not
 * base64-decoded) as the HMAC key, and the allowed clock skew of `t=`.
 */
export type StripeOptions = SignedTimestampOptions;

const HEADER = 'stripe-signature';

class StripeVerifier implements SignatureVerifier {
  readonly scheme = 'stripe';
  private readonly keys: Buffer[];
  private readonly timestamps: TimestampWindow;

  constructor(options: StripeOptions) {
    this.keys = verbatimKeys(secretOption(options), 'stripe');
    this.timestamps = timestampWindow(options.toleranceMs, 'stripe');
  }

  verify(body: Uint8Array, headers: WebhookHeaders, nowMs: number): VerifyResult {
    const header = requiredHeader(headers, HEADER);
    if (typeof header !== 'string') return header;

    // "t=<seconds>,v1=<hex>,v1=<hex>,v0=…": exactly one t, any number of v1; other schemes ignored.
    let t: string | undefined;
    const candidates: Buffer[] = [];
    for (const item of header.split(',')) {
      const eq = item.indexOf('=');
      if (eq <= 0) continue;
      const key = item.slice(0, eq).trim();
      const value = item.slice(eq + 1).trim();
      if (key === 't') {
        if (t !== undefined) {
          return reject('malformed_header', `Header ${HEADER} has more than one t= (header sent twice?)`);
        }
        t = value;
      } else if (key === 'v1') {
        const decoded = decodeHex256(value);
        if (!decoded) {
          return reject(
            'malformed_header',
            `Header ${HEADER} has a v1= entry that is not 64 hex digits (truncated?)`,
          );
        }
        candidates.push(decoded);
      }
    }
    if (t === undefined) return reject('malformed_header', `Header ${HEADER} has no t=<timestamp>`);
    const timestampMs = this.timestamps.check(`${HEADER} t=`, t, nowMs);
    if (typeof timestampMs !== 'number') return timestampMs;
    if (candidates.length === 0) {
      return reject('malformed_header', `Header ${HEADER} has no v1= signature`);
    }
    if (signedByAny(this.keys, `${t}.`, body, candidates)) return { ok: true, timestampMs };
    return reject(
      'signature_mismatch',
      `No v1 signature in ${HEADER} matches the body and any configured secret`,
    );
  }
}

/**
 * Stripe (`Stripe-Signature: t=…,v1=…`). The event id and type come from the payload (`id`, `type`).
 */
export function stripe(options: StripeOptions): SignatureVerifier {
  return new StripeVerifier(options);
}
