import { ConfigError } from './errors.js';

/** A plain JSON-like object: not null, not an array. */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * `value` when it is a finite number > 0, `fallback` when it is undefined; else a `ConfigError`
 * naming the option (`where` says whose option it is, e.g. `webhooks: endpoint github`).
 */
export function positive(name: string, value: number | undefined, fallback?: number, where?: string): number {
  return checked(
    name,
    value,
    fallback,
    where,
    value !== undefined && Number.isFinite(value) && value > 0,
    'a positive number',
  );
}

/** As {@link positive}, but 0 is allowed. */
export function nonNegative(
  name: string,
  value: number | undefined,
  fallback?: number,
  where?: string,
): number {
  return checked(
    name,
    value,
    fallback,
    where,
    value !== undefined && Number.isFinite(value) && value >= 0,
    'zero or a positive number',
  );
}

function checked(
  name: string,
  value: number | undefined,
  fallback: number | undefined,
  where: string | undefined,
  ok: boolean,
  what: string,
): number {
  if (value === undefined && fallback !== undefined) return fallback;
  if (ok) return value as number;
  throw new ConfigError(`${where ? `${where}: ` : ''}${name} must be ${what} (got ${value})`);
}

/** The string `code` of an error (or of anything thrown that carries one); undefined when it has none. */
export function errorCodeOf(err: unknown): string | undefined {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Whether undici refused to send a request at all (a header value with a line break, an `expect`
 * header): the request was wrong, so another attempt would be refused alike and the upstream never
 * saw it.
 */
export function isRefusedRequest(err: unknown): boolean {
  const code = errorCodeOf(err);
  return code === 'UND_ERR_INVALID_ARG' || code === 'UND_ERR_NOT_SUPPORTED';
}

/**
 * An error's stable code, else its name, else the thrown value's type: a label for logs and messages
 * that never quotes the error's message (which may carry a value).
 */
export function errorLabel(err: unknown): string {
  if (err && typeof err === 'object') {
    const e = err as { code?: unknown; name?: unknown };
    if (typeof e.code === 'string') return e.code;
    if (typeof e.name === 'string') return e.name;
  }
  return typeof err;
}

/** An error's message, or the thrown value itself as a string. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * What a log line says about an error: name, message and a string `code` when it has one. No stack,
 * no cause chain (either might carry payloads or secrets), the same shape for every module.
 */
export function errorForLog(err: unknown): { name?: string; message: string; code?: string } {
  if (err instanceof Error) {
    const code = errorCodeOf(err);
    return { name: err.name, message: err.message, ...(code !== undefined ? { code } : {}) };
  }
  return { message: String(err) };
}
