/**
 * Header access for verifiers. Node gives `string | string[]` (`req.headers`) or `string[]`
 * (`req.headersDistinct`); a header sent twice must be refused, not silently merged, so arrays of more
 * than one value are reported as repeated.
 */

/** Request headers with lower-case names, as node:http gives them. */
export type WebhookHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

/** Why a header could not be read as one value. */
export type HeaderProblem = 'missing_header' | 'empty_header' | 'repeated_header';

/** One header value, or the problem with it. A string result is never empty. */
export interface HeaderRead {
  value?: string;
  problem?: HeaderProblem;
}

const MISSING: HeaderRead = Object.freeze({ problem: 'missing_header' as const });
const EMPTY: HeaderRead = Object.freeze({ problem: 'empty_header' as const });
const REPEATED: HeaderRead = Object.freeze({ problem: 'repeated_header' as const });

/**
 * The hot-path form: the value itself, or a frozen problem object (no allocation either way).
 * Never throws, whatever the input holds.
 */
export function headerValue(headers: WebhookHeaders, name: string): string | HeaderRead {
  const raw: unknown = headers[name];
  let value: unknown = raw;
  if (Array.isArray(raw)) {
    if (raw.length === 0) return MISSING;
    if (raw.length > 1) return REPEATED;
    value = raw[0];
  }
  if (typeof value !== 'string') return value === undefined || value === null ? MISSING : EMPTY;
  // Trim only when needed: most values have no surrounding whitespace.
  const trimmed =
    value.length > 0 && value.charCodeAt(0) > 32 && value.charCodeAt(value.length - 1) > 32
      ? value
      : value.trim();
  return trimmed.length === 0 ? EMPTY : trimmed;
}

/** Reads exactly one non-blank value of `name` (lower-case). Never throws, whatever the input holds. */
export function readHeader(headers: WebhookHeaders, name: string): HeaderRead {
  const v = headerValue(headers, name);
  return typeof v === 'string' ? { value: v } : v;
}

/** Lower-cases header names of a plain record, a fetch `Headers`, or node's `rawHeaders` pairs list. */
export function normalizeHeaders(
  input:
    | Readonly<Record<string, string | readonly string[] | undefined>>
    | Iterable<readonly [string, string]>
    | readonly string[],
): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = Object.create(null);
  const add = (name: string, value: string) => {
    const key = name.toLowerCase();
    const prev = out[key];
    if (prev === undefined) out[key] = value;
    else if (Array.isArray(prev)) prev.push(value);
    else out[key] = [prev, value];
  };
  if (Array.isArray(input) && (input.length === 0 || typeof input[0] === 'string')) {
    // node's rawHeaders: [name, value, name, value, ...]; keeps repeats apart.
    const raw = input as readonly string[];
    for (let i = 0; i + 1 < raw.length; i += 2) add(raw[i]!, raw[i + 1]!);
    return out;
  }
  if (typeof (input as Iterable<unknown>)[Symbol.iterator] === 'function') {
    for (const [name, value] of input as Iterable<readonly [string, string]>) add(name, value);
    return out;
  }
  for (const [name, value] of Object.entries(
    input as Record<string, string | readonly string[] | undefined>,
  )) {
    if (value === undefined) continue;
    if (typeof value === 'string') add(name, value);
    else for (const v of value) add(name, v);
  }
  return out;
}
