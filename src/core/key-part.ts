/**
 * Cache keys and tags are built from templates (`profile:{id}`) whose holes take argument or payload
 * values. A raw value could forge the template's separators (`a="1:2", b="3"` and `a="1", b="2:3"` both
 * giving `pair:1:2:3`), so every value is encoded to the characters below, percent-escaping the rest.
 * A literal character outside this set is therefore always a separator the values cannot produce.
 */
const PLAIN = /^[A-Za-z0-9_.~-]*$/;

/** True for a character an encoded value may contain (`%` starts an escape). */
export function isKeyValueChar(c: string): boolean {
  return c === '%' || /^[A-Za-z0-9_.~-]$/.test(c);
}

/** What a missing (undefined) value renders as: no encoded value can contain `%-`. */
export const KEY_MISSING = '%-';
/** What a null value renders as (a JSON body sends null, unlike a missing field). */
export const KEY_NULL = '%~';
/** Prefix of an object or array value (its canonical JSON, encoded): no string can produce `%J`. */
export const KEY_JSON = '%J';

/**
 * Encodes one value for a key or tag: `[A-Za-z0-9_.~-]` stay, everything else is `%XX` (UTF-8), a lone
 * surrogate `%uXXXX`. Allocation-free for the common plain ids. Used by the gateway's key templates and
 * by the webhook invalidation templates alike, so an invalidation renders the key it targets.
 */
export function encodeKeyPart(text: string): string {
  if (PLAIN.test(text)) return text;
  let encoded: string;
  try {
    encoded = encodeURIComponent(text);
  } catch {
    return encodeWithSurrogates(text);
  }
  return encoded.replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** `encodeURIComponent` throws on a lone surrogate: encode those code units as `%uXXXX`. */
function encodeWithSurrogates(text: string): string {
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (ch.length === 1 && code >= 0xd800 && code <= 0xdfff)
      out += `%u${code.toString(16).toUpperCase().padStart(4, '0')}`;
    else out += encodeKeyPart(ch);
  }
  return out;
}
