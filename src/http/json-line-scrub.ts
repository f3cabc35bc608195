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
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return whole; // not JSON (no logger of ours writes such): no secret still matters more
  }
  const scrub = (text: string) => redactor.scrub(text);
  return JSON.stringify(scrubJsonValue(value, scrub)) + (line.endsWith('\n') ? '\n' : '');
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
