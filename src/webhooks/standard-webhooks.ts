import { createHmac } from 'node:crypto';
import { decodeBase64256, matchesAny } from './compare.js';
import { headerValue, type WebhookHeaders } from './headers.js';
import { type SecretInput, secretOption, standardKeys } from './secrets.js';
import {
  checkTimestamp,
  headerProblem,
  reject,
  type SignatureVerifier,
  toleranceOption,
  type VerifyResult,
} from './verifier.js';

/** Options of the Standard Webhooks and Svix verifiers. */
export interface StandardWebhooksOptions {
  /** `whsec_<base64>` (or bare base64) secret(s); raw bytes are used as the key as is. */
  secret?: SecretInput;
  /** Several secrets accepted at once, for rotation. */
  secrets?: SecretInput;
  /** Allowed clock skew of `webhook-timestamp`, past and future. Default 5 minutes. */
  toleranceMs?: number;
}

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
  private readonly toleranceMs: number;

  constructor(
    readonly scheme: string,
    private readonly names: readonly HeaderNames[],
    options: StandardWebhooksOptions,
  ) {
    this.keys = standardKeys(secretOption(options), scheme);
    this.toleranceMs = toleranceOption(options.toleranceMs, scheme);
  }

  verify(body: Uint8Array, headers: WebhookHeaders, nowMs: number): VerifyResult {
    // Svix sends svix-* names; its library also takes webhook-* ones. Pick the set whose signature is there.
    let names = this.names[0]!;
    if (this.names.length > 1 && headers[names.signature] === undefined) names = this.names[1]!;

    const id = headerValue(headers, names.id);
    if (typeof id !== 'string') return headerProblem(names.id, id);
    const ts = headerValue(headers, names.timestamp);
    if (typeof ts !== 'string') return headerProblem(names.timestamp, ts);
    const sig = headerValue(headers, names.signature);
    if (typeof sig !== 'string') return headerProblem(names.signature, sig);

    const timestampMs = checkTimestamp(names.timestamp, ts, nowMs, this.toleranceMs);
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

    const prefix = `${id}.${ts}.`;
    for (const key of this.keys) {
      const expected = createHmac('sha256', key).update(prefix).update(body).digest();
      if (matchesAny(expected, candidates)) return { ok: true, id, timestampMs };
    }
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
