import { decodeBase64256, signedByAny } from './compare.js';
import type { WebhookHeaders } from './headers.js';
import { secretOption, standardKeys } from './secrets.js';
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
 * Options of the Standard Webhooks and Svix verifiers: `whsec_<base64>` (or bare base64) secret(s),
 * whose decoded bytes are the key (raw bytes are used as the key as is), and the allowed clock skew
 * of `webhook-timestamp`.
 */
export type StandardWebhooksOptions = SignedTimestampOptions;

interface HeaderNames {
  id: string;
  timestamp: string;
  signature: string;
}

const WEBHOOK: HeaderNames = {
  id: 'webhook-id',
  timestamp: 'webhook-timestamp',
  signature: 'webhook-signature',
};
const SVIX: HeaderNames = { id: 'svix-id', timestamp: 'svix-timestamp', signature: 'svix-signature' };

class StandardWebhooksVerifier implements SignatureVerifier {
  private readonly keys: Buffer[];
  private readonly timestamps: TimestampWindow;

  constructor(
    readonly scheme: string,
    private readonly names: readonly HeaderNames[],
    options: StandardWebhooksOptions,
  ) {
    this.keys = standardKeys(secretOption(options), scheme);
    this.timestamps = timestampWindow(options.toleranceMs, scheme);
  }

  verify(body: Uint8Array, headers: WebhookHeaders, nowMs: number): VerifyResult {
    // Svix sends svix-* names; its library also takes webhook-* ones. Pick the set whose signature is there.
    let names = this.names[0]!;
    if (this.names.length > 1 && headers[names.signature] === undefined) names = this.names[1]!;

    const id = requiredHeader(headers, names.id);
    if (typeof id !== 'string') return id;
    const ts = requiredHeader(headers, names.timestamp);
    if (typeof ts !== 'string') return ts;
    const sig = requiredHeader(headers, names.signature);
    if (typeof sig !== 'string') return sig;

    const timestampMs = this.timestamps.check(names.timestamp, ts, nowMs);
    if (typeof timestampMs !== 'number') return timestampMs;

    // Space-separated "v1,<base64>" entries; other versions (v1a: asymmetric) are not ours to check.
    const candidates: Buffer[] = [];
    for (let start = 0; start <= sig.length; ) {
      let end = sig.indexOf(' ', start);
      if (end === -1) end = sig.length;
      if (sig.startsWith('v1,', start)) {
        const decoded = decodeBase64256(sig.slice(start + 3, end));
        // Strict: a malformed v1 entry means a truncated or merged (sent twice, comma-joined) header.
        if (!decoded) {
          return reject(
            'malformed_header',
            `Header ${names.signature} has a v1 entry that is not 44 base64 characters (truncated or sent twice?)`,
          );
        }
        candidates.push(decoded);
      }
      start = end + 1;
    }
    if (candidates.length === 0) {
      return reject('malformed_header', `Header ${names.signature} has no "v1,<base64>" entry`);
    }

    if (signedByAny(this.keys, `${id}.${ts}.`, body, candidates)) return { ok: true, id, timestampMs };
    return reject(
      'signature_mismatch',
      `No signature in ${names.signature} matches the body and any configured secret`,
    );
  }
}

/**
 * Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64> …`). The
 * secret's base64 after `whsec_` is decoded to get the HMAC key. The event id is `webhook-id`.
 */
export function standardWebhooks(options: StandardWebhooksOptions): SignatureVerifier {
  return new StandardWebhooksVerifier('standard', [WEBHOOK], options);
}

/** Svix: the Standard Webhooks scheme under `svix-*` header names (`webhook-*` accepted too). */
export function svix(options: StandardWebhooksOptions): SignatureVerifier {
  return new StandardWebhooksVerifier('svix', [SVIX, WEBHOOK], options);
}
