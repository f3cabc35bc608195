import { ConfigError } from '../core/index.js';

/** One secret or several accepted at once (rotation: add the new one, later drop the old one). */
export type SecretInput = string | Uint8Array | readonly (string | Uint8Array)[];

function list(input: SecretInput | undefined, scheme: string): (string | Uint8Array)[] {
  const items =
    input === undefined
      ? []
      : typeof input === 'string' || input instanceof Uint8Array
        ? [input]
        : [...input];
  if (items.length === 0) {
    throw new ConfigError(`${scheme}: at least one secret is required (option "secret" or "secrets")`);
  }
  items.forEach((s, i) => {
    if (s.length === 0) throw new ConfigError(`${scheme}: secret #${i + 1} is empty`);
  });
  return items;
}

/**
 * Keys for schemes that use the secret string's bytes verbatim (GitHub, Stripe — whose `whsec_…` is
 * NOT base64-decoded — and generic HMAC).
 */
export function verbatimKeys(input: SecretInput | undefined, scheme: string): Buffer[] {
  // Plain Buffers: createHmac with a KeyObject measured ~15% slower per call.
  return list(input, scheme).map((s) => (typeof s === 'string' ? Buffer.from(s, 'utf8') : Buffer.from(s)));
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * Keys for Standard Webhooks / Svix: the part after `whsec_` is base64 and the decoded bytes are the
 * key. Raw bytes are taken as the key itself.
 */
export function standardKeys(input: SecretInput | undefined, scheme: string): Buffer[] {
  return list(input, scheme).map((s, i) => {
    if (typeof s !== 'string') return Buffer.from(s);
    const b64 = s.startsWith('whsec_') ? s.slice('whsec_'.length) : s;
    if (!BASE64.test(b64) || b64.length % 4 === 1) {
      // Never echo the secret itself.
      throw new ConfigError(
        `${scheme}: secret #${i + 1} is not base64 after the optional "whsec_" prefix; copy it exactly as the sender shows it`,
      );
    }
    const key = Buffer.from(b64, 'base64');
    if (key.length === 0) throw new ConfigError(`${scheme}: secret #${i + 1} decodes to no bytes`);
    return key;
  });
}

/**
 * The secret options of every signature scheme: one secret, or several accepted at once during a
 * rotation. How a secret becomes the HMAC key depends on the scheme (see its options).
 */
export interface SecretOptions {
  /** The signing secret. */
  secret?: SecretInput;
  /** Several secrets accepted at once, for rotation. */
  secrets?: SecretInput;
}

/** Accepts `secret` or `secrets` from options. */
export function secretOption(options: SecretOptions): SecretInput | undefined {
  if (options.secret !== undefined && options.secrets !== undefined) {
    throw new ConfigError('Give either "secret" or "secrets", not both');
  }
  return options.secrets ?? options.secret;
}
