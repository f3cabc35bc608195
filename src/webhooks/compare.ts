import { timingSafeEqual } from 'node:crypto';

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

const HEX_64 = /^[0-9a-fA-F]{64}$/;
const BASE64_32 = /^[A-Za-z0-9+/]{43}=$/;

/** Decodes a SHA-256 hex digest, or undefined if it is not exactly 64 hex digits. */
export function decodeHex256(s: string): Buffer | undefined {
  return HEX_64.test(s) ? Buffer.from(s, 'hex') : undefined;
}

/** Decodes a SHA-256 base64 digest, or undefined if it is not exactly 44 base64 characters. */
export function decodeBase64256(s: string): Buffer | undefined {
  return BASE64_32.test(s) ? Buffer.from(s, 'base64') : undefined;
}
