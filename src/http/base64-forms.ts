import type { SecretForm } from './secret-forms.js';

/**
 * Fewest bytes a value needs for its shifted base64 cores to be scanned for. Its cores are then at
 * least 10 characters: shorter ones (a 4-byte value's are 4 or 5) would turn up by chance inside
 * unrelated base64. A shorter value's base64 is still found where it stands alone.
 */
export const MIN_SHIFTED_BASE64_BYTES = 8;

/** `+`, `/` and `=` as a URL (percent-encoded, either case) or JSON (`\/`) may escape them. */
const PLUS = '(?:[+-]|%2[Bb])';
const SLASH = '(?:[/_]|%2[Ff]|\\\\/)';
const PAD = '(?:=|%3[Dd]){0,2}';
/** A base64 character of either alphabet (the mixed one at a core's edge), escaped or not. */
const B64_CHAR = `(?:[A-Za-z0-9_-]|${PLUS}|${SLASH})`;

/**
 * The regex forms of `bytes` in base64, standard or URL-safe (either alphabet at `+`/`/`), padded or
 * not. From `MIN_SHIFTED_BASE64_BYTES` on also inside a longer encoded value (`Basic
 * base64(user:secret)`, a JSON blob's base64): the value's bytes start 0, 1 or 2 bytes past a 3-byte
 * group, and each offset encodes them to its own run of characters. Each form is then that offset's
 * core (the characters that hold only the value's bits), and the mixed character that ends it and any
 * padding, if written. The mixed character that starts a shifted core (2 or 4 of the value's bits) is
 * left: the core alone tells the value is there.
 */
export function base64Forms(bytes: Buffer): SecretForm[] {
  if (bytes.length < MIN_SHIFTED_BASE64_BYTES) {
    const unpadded = bytes.toString('base64').replace(/=+$/, '');
    return [{ source: `${eitherAlphabet(unpadded)}${PAD}`, length: unpadded.length, inRun: true }];
  }
  return [0, 1, 2].map((offset) => shiftedCore(bytes, offset));
}

/** The form of `bytes` encoded `offset` bytes past a group boundary (see `base64Forms`). */
function shiftedCore(bytes: Buffer, offset: number): SecretForm {
  const endBit = 8 * (offset + bytes.length);
  // Zero bytes around stand for the neighbours; only characters wholly inside the value are kept.
  const encoded = Buffer.concat([Buffer.alloc(offset), bytes, Buffer.alloc(2)]).toString('base64');
  const core = encoded.slice(Math.ceil((8 * offset) / 6), Math.floor(endBit / 6));
  const tail = endBit % 6 !== 0 ? `(?:${B64_CHAR}${PAD})?` : '';
  return { source: eitherAlphabet(core) + tail, length: core.length, inRun: true };
}

/** Regex source of standard base64 text that also matches its URL-safe spelling, and its escapes. */
function eitherAlphabet(base64: string): string {
  return base64.replace(/\+/g, PLUS).replace(/\//g, SLASH);
}
