import { CacheValueError } from '../errors.js';

/**
 * Estimated V8 heap bytes of a plain-data value, for `l1.maxBytes`. Why not its JSON length: JSON
 * is far denser than the objects it parses into (`[{},{},…]` is 2 bytes per element in JSON and 64 in
 * the heap), so a JSON byte budget let 30 such answers of 3.5 MiB hold 1.9 GB. Why not serialise at
 * all: an L1-only `set` would then pay a JSON.stringify it does not need.
 *
 * The figures are V8's on 64-bit with pointer compression, measured with `JSON.parse` output: an
 * element or property slot 8, an empty object 56 (its in-object slack), an object with n properties
 * 24 + 8n, an array 32 plus its slots, a string 16 plus one byte per character (two beyond Latin-1; short strings are always
 * counted at two),
 * a boxed double 16. Strings that V8 shares are counted each time: the estimate errs high.
 *
 * The walk stops as soon as the total passes `limit` (the value cannot fit; its exact size does not
 * matter), so its cost is bounded by what L1 may hold. A value nested deeper than `MAX_DEPTH`, or
 * circular, or holding a BigInt, is refused with `CacheValueError` (JSON could not carry it either).
 */
export function estimateBytes(value: unknown, limit: number): number {
  return typeof value === 'object' && value !== null ? walk(value, 0, limit) : leafBytes(value);
}

/** Recursive (no stack of its own to allocate); depth is bounded by `MAX_DEPTH`. */
function walk(v: object, depth: number, limit: number): number {
  if (depth > MAX_DEPTH) {
    throw new CacheValueError(
      `cached values must be plain data nested at most ${MAX_DEPTH} levels deep (circular values are refused)`,
    );
  }
  let total: number;
  if (Array.isArray(v)) {
    total = 32 + 8 * v.length;
    for (let i = 0; i < v.length; i++) {
      const x: unknown = v[i];
      total += typeof x === 'object' && x !== null ? walk(x, depth + 1, limit) : leafBytes(x);
      if (total > limit) return total;
    }
    return total;
  }
  let n = 0;
  total = 0;
  for (const k in v) {
    n++;
    const x = (v as Record<string, unknown>)[k];
    total += typeof x === 'object' && x !== null ? walk(x, depth + 1, limit) : leafBytes(x);
    if (total > limit) return total;
  }
  // Past a few dozen properties V8 may switch to a dictionary: key, value and details per entry.
  return total + (n === 0 ? 56 : n > 64 ? 24 + 24 * n : 24 + 8 * n);
}

/** Deeper than this is refused: no API answer nests so far, and a cycle always does. */
export const MAX_DEPTH = 1000;

function leafBytes(v: unknown): number {
  switch (typeof v) {
    case 'string':
      return stringBytes(v);
    case 'number':
      // Small integers live in the slot itself; other numbers may be boxed.
      return (v | 0) === v ? 0 : 16;
    case 'bigint':
      throw new CacheValueError('cached values must be plain data; a BigInt is not JSON-serializable');
    default:
      return 0; // booleans, null, undefined: shared constants
  }
}

const WIDE = /[\u0100-\uffff]/;

function stringBytes(s: string): number {
  const n = s.length;
  // Short strings count two bytes per character (an upper bound, no scan); long ones are scanned once
  // for a character beyond Latin-1, which makes V8 store two bytes per character.
  return 16 + (n <= 256 || WIDE.test(s) ? 2 * n : n);
}

/** What an L1 slot costs besides its value: its key, its Map entry and its column cells (counted high). */
export function slotOverheadBytes(key: string): number {
  return 160 + stringBytes(key);
}
