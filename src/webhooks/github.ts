import { decodeHex256, signedByAny } from './compare.js';
import { type HeaderRead, headerValue, type WebhookHeaders } from './headers.js';
import { type SecretOptions, secretOption, verbatimKeys } from './secrets.js';
import { reject, requiredHeader, type SignatureVerifier, type VerifyResult } from './verifier.js';

/** Options of the GitHub verifier: the webhook secret(s), used verbatim as the HMAC key. */
export type GitHubOptions = SecretOptions;

const SIGNATURE = 'x-hub-signature-256';

class GitHubVerifier implements SignatureVerifier {
  readonly scheme = 'github';
  private readonly keys: Buffer[];

  constructor(options: GitHubOptions) {
    this.keys = verbatimKeys(secretOption(options), 'github');
  }

  verify(body: Uint8Array, headers: WebhookHeaders): VerifyResult {
    const sig = requiredHeader(headers, SIGNATURE);
    if (typeof sig !== 'string') return sig;
    if (!sig.startsWith('sha256=')) {
      return reject('malformed_header', `Header ${SIGNATURE} must look like "sha256=<64 hex digits>"`);
    }
    const candidate = decodeHex256(sig.slice(7));
    if (!candidate) {
      return reject(
        'malformed_header',
        `Header ${SIGNATURE} must hold 64 hex digits after "sha256=" (truncated?)`,
      );
    }
    if (signedByAny(this.keys, '', body, [candidate])) {
      // Neither header is signed: they only name the delivery (id for de-dup) and its event.
      // The digest covers the body, so a replay under a fresh, empty, repeated or missing
      // delivery id still maps to it: the receiver claims it on every path.
      return {
        ok: true,
        id: optional(headerValue(headers, 'x-github-delivery')),
        replayKey: candidate.toString('hex'),
        type: optional(headerValue(headers, 'x-github-event')),
      };
    }
    return reject(
      'signature_mismatch',
      `The signature in ${SIGNATURE} does not match the body and any configured secret`,
    );
  }
}

const optional = (v: string | HeaderRead): string | undefined => (typeof v === 'string' ? v : undefined);

/**
 * GitHub (`X-Hub-Signature-256: sha256=<hex>` over the body only). There is no signed timestamp, so
 * only de-duplication on `X-GitHub-Delivery` stops a replay.
 */
export function github(options: GitHubOptions): SignatureVerifier {
  return new GitHubVerifier(options);
}
