import { ConfigError } from '../core/index.js';
import { decodeBase64256, decodeHex256, signedByAny } from './compare.js';
import { headerValue, type WebhookHeaders } from './headers.js';
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
 * Options of the generic HMAC-SHA256 verifier. The shared secret(s) are used verbatim (UTF-8 bytes)
 * as the HMAC key.
 */
export interface HmacOptions extends SignedTimestampOptions {
  /** Header holding the signature. Default `x-signature`. */
  header?: string;
  /** Text before the digest in the header, e.g. `sha256=`. Default none. */
  prefix?: string;
  /** Digest encoding. Default `hex`. */
  encoding?: 'hex' | 'base64';
  /**
   * Header with a Unix-seconds timestamp. When set, the signed content is `<timestamp>.<body>` and the
   * timestamp must be within `toleranceMs`; otherwise the body alone is signed.
   */
  timestampHeader?: string;
  /** Header holding the event id for de-duplication (otherwise the endpoint's `idPath`). */
  idHeader?: string;
}

class HmacVerifier implements SignatureVerifier {
  readonly scheme = 'hmac';
  private readonly keys: Buffer[];
  private readonly header: string;
  private readonly prefix: string;
  private readonly decode: (s: string) => Buffer | undefined;
  private readonly timestampHeader: string | undefined;
  private readonly timestamps: TimestampWindow;
  private readonly idHeader: string | undefined;

  constructor(options: HmacOptions) {
    this.keys = verbatimKeys(secretOption(options), 'hmac');
    this.header = (options.header ?? 'x-signature').toLowerCase();
    this.prefix = options.prefix ?? '';
    const encoding = options.encoding ?? 'hex';
    if (encoding !== 'hex' && encoding !== 'base64') {
      throw new ConfigError(`hmac: encoding must be "hex" or "base64", got ${JSON.stringify(encoding)}`);
    }
    this.decode = encoding === 'hex' ? decodeHex256 : decodeBase64256;
    this.timestampHeader = options.timestampHeader?.toLowerCase();
    this.timestamps = timestampWindow(options.toleranceMs, 'hmac');
    this.idHeader = options.idHeader?.toLowerCase();
  }

  verify(body: Uint8Array, headers: WebhookHeaders, nowMs: number): VerifyResult {
    const sig = requiredHeader(headers, this.header);
    if (typeof sig !== 'string') return sig;
    let timestampMs: number | undefined;
    let ts: string | undefined;
    if (this.timestampHeader !== undefined) {
      const read = requiredHeader(headers, this.timestampHeader);
      if (typeof read !== 'string') return read;
      const checked = this.timestamps.check(this.timestampHeader, read, nowMs);
      if (typeof checked !== 'number') return checked;
      timestampMs = checked;
      ts = read;
    }
    if (!sig.startsWith(this.prefix)) {
      return reject('malformed_header', `Header ${this.header} must start with "${this.prefix}"`);
    }
    const candidate = this.decode(sig.slice(this.prefix.length));
    if (!candidate) {
      return reject(
        'malformed_header',
        `Header ${this.header} does not hold a whole SHA-256 digest (truncated?)`,
      );
    }
    if (signedByAny(this.keys, ts === undefined ? '' : `${ts}.`, body, [candidate])) {
      const result: VerifyResult = { ok: true };
      if (timestampMs !== undefined) result.timestampMs = timestampMs;
      if (this.idHeader !== undefined) {
        const id = headerValue(headers, this.idHeader);
        if (typeof id === 'string') result.id = id;
        // The id header is not signed: the digest (of `<timestamp>.<body>` or the body) is. Set
        // whether or not the header came, so a replay that drops it is still recognised.
        result.replayKey = candidate.toString('hex');
      }
      return result;
    }
    return reject(
      'signature_mismatch',
      `The signature in ${this.header} does not match the body and any configured secret`,
    );
  }
}

/** Generic HMAC-SHA256 in a configurable header, optionally over `<timestamp>.<body>`. */
export function hmac(options: HmacOptions): SignatureVerifier {
  return new HmacVerifier(options);
}
