import { REDACTED, type Redactor } from './redact.js';

/**
 * One JSON log line with every secret `redactor` knows replaced inside its strings (keys too), so the
 * line stays JSON with its fields: a scrub of the raw text would cut its syntax wherever an `${ENV}`
 * value is also JSON's own text (`"stateless":false` with a flag's `false`, `"tries":8080` with a
 * port's). A number that is a secret whole becomes `[REDACTED]`; the digits of a longer number (a
 * timestamp's, by chance) are not the secret and stay, as do flags, which hold none.
 */
export function scrubJsonLine(line: string, redactor: Redactor): string {
  // Most lines hold no secret: one scan, and the line is written as it is.
  const whole = redactor.scrub(line);
  if (whole === line) return line;
  try {
    JSON.parse(line);
  } catch {
    return whole; // not JSON (no logger of ours writes such): no secret still matters more
  }
  return scrubJsonText(line, (text) => redactor.scrub(text));
}

/** A string or number of JSON text; a string is taken whole, so a digit inside one is no number. */
const JSON_TOKEN = /"[^"\\]*(?:\\.[^"\\]*)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g;

/**
 * Valid JSON `text` with `scrub` applied to each string (keys too), as decoded, so every escape the
 * raw text may hold a secret in is covered; a number whose text `scrub` replaces whole becomes
 * `"[REDACTED]"`. The rest stays as written: a number past 2^53 keeps its digits, which a parse and
 * re-serialisation would round, and a string without a secret keeps its escapes.
 */
export function scrubJsonText(text: string, scrub: (text: string) => string): string {
  return text.replace(JSON_TOKEN, (token) => {
    if (token.charCodeAt(0) !== 0x22) {
      const secret = scrub(token) === REDACTED || scrub(String(Number(token))) === REDACTED;
      return secret ? `"${REDACTED}"` : token;
    }
    const value = JSON.parse(token) as string;
    const clean = scrub(value);
    return clean === value ? token : JSON.stringify(clean);
  });
}

/**
 * A copy of a parsed JSON `value` with `scrub` applied to each string (keys too); a number whose
 * text `scrub` replaces whole becomes `[REDACTED]`; flags and null stay. For JSON whose raw text a
 * scrub would cut (an upstream's answer, a log line): its strings are scrubbed as decoded, so every
 * escape the raw text may hold a secret in is covered too.
 */
export function scrubJsonValue(value: unknown, scrub: (text: string) => string): unknown {
  if (typeof value === 'string') return scrub(value);
  if (typeof value === 'number') return scrub(String(value)) === REDACTED ? REDACTED : value;
  if (Array.isArray(value)) return value.map((v) => scrubJsonValue(v, scrub));
  if (value === null || typeof value !== 'object') return value;
  // fromEntries defines each key, so a `__proto__` key stays a key.
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [scrub(k), scrubJsonValue(v, scrub)]));
}
