import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Constant-time check of `expected` against each candidate. Lengths are compared first:
 * timingSafeEqual throws a RangeError on unequal lengths, and a short signature must be a mismatch.
 */
export function matchesAny(expected: Uint8Array, candidates: readonly Uint8Array[]): boolean {
  for (let i = 0; i < candidates.length; i++) {
    const c = candidates[i]!;
    if (c.length === expected.length && timingSafeEqual(c, expected)) return true;
  }
  return false;
}

/**
 * True when HMAC-SHA256 of `prefix` then `body` under one of `keys` (rotation: any configured secret)
 * is one of the candidates the sender put in its signature header.
 */
export function signedByAny(
  keys: readonly Buffer[],
  prefix: string,
  body: Uint8Array,
  candidates: readonly Uint8Array[],
): boolean {
  for (const key of keys) {
    const mac = createHmac('sha256', key);
    if (prefix.length > 0) mac.update(prefix);
    if (matchesAny(mac.update(body).digest(), candidates)) return true;
  }
  return false;
}

// No regex on the hot path: node's decoders stop at or skip invalid characters, so a string of the right
// length that is not clean hex/base64 decodes to fewer than 32 bytes and is refused by the length check.

/** Decodes a SHA-256 hex digest, or undefined if it is not exactly 64 hex digits. */
export function decodeHex256(s: string): Buffer | undefined {
  if (s.length !== 64) return undefined;
  const b = Buffer.from(s, 'hex');
  return b.length === 32 ? b : undefined;
}

/** Decodes a SHA-256 base64 digest, or undefined if it is not 44 base64 characters ending in one "=". */
export function decodeBase64256(s: string): Buffer | undefined {
  if (s.length !== 44 || s.charCodeAt(43) !== 61 /* = */ || s.charCodeAt(42) === 61) return undefined;
  const b = Buffer.from(s, 'base64');
  return b.length === 32 ? b : undefined;
}
