/** The placeholder that replaces every secret in logs, errors and metrics. */
export const REDACTED = '[REDACTED]';

/** Headers that always carry credentials, whatever the configuration says. */
const ALWAYS_SECRET_HEADERS = [
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
  'api-key',
];

/** Query parameters that commonly carry credentials; configured ones are added to these. */
const ALWAYS_SECRET_QUERY = [
  'api_key',
  'apikey',
  'access_token',
  'token',
  'key',
  'secret',
  'client_secret',
  'password',
  'signature',
  'sig',
];

/**
 * Knows which header names and query parameters are secret and strips their values from anything that
 * leaves the client as text: log fields, error messages, metric labels.
 */
export class Redactor {
  private readonly headers: Set<string>;
  private readonly query: Set<string>;

  constructor(secretHeaders: readonly string[] = [], secretQueryParams: readonly string[] = []) {
    this.headers = new Set([...ALWAYS_SECRET_HEADERS, ...secretHeaders.map((h) => h.toLowerCase())]);
    this.query = new Set([...ALWAYS_SECRET_QUERY, ...secretQueryParams.map((q) => q.toLowerCase())]);
  }

  isSecretHeader(name: string): boolean {
    return this.headers.has(name.toLowerCase());
  }

  isSecretQueryParam(name: string): boolean {
    return this.query.has(name.toLowerCase());
  }

  /** A copy of `headers` with secret values replaced; for logs only (never sent). */
  headersForLog(headers: Readonly<Record<string, unknown>> | undefined): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    if (!headers) return out;
    for (const name of Object.keys(headers)) {
      out[name] = this.isSecretHeader(name) ? REDACTED : headers[name];
    }
    return out;
  }

  /**
   * Replaces the values of secret query parameters in a path or URL ("/x?api_key=abc" becomes
   * "/x?api_key=[REDACTED]"). Works on raw (encoded) text so nothing is decoded into a log.
   */
  url(pathOrUrl: string): string {
    const q = pathOrUrl.indexOf('?');
    if (q < 0) return pathOrUrl;
    const hash = pathOrUrl.indexOf('#', q);
    const end = hash < 0 ? pathOrUrl.length : hash;
    const parts = pathOrUrl.slice(q + 1, end).split('&');
    let changed = false;
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!;
      const eq = part.indexOf('=');
      const rawName = eq < 0 ? part : part.slice(0, eq);
      let name = rawName;
      try {
        name = decodeURIComponent(rawName.replace(/\+/g, ' '));
      } catch {
        // A malformed name is not one of ours; leave it as is.
      }
      if (this.isSecretQueryParam(name)) {
        parts[i] = `${rawName}=${REDACTED}`;
        changed = true;
      }
    }
    if (!changed) return pathOrUrl;
    return `${pathOrUrl.slice(0, q + 1)}${parts.join('&')}${pathOrUrl.slice(end)}`;
  }

  /**
   * Removes known secret values from free text (e.g. an upstream's error body that echoes a token).
   * `values` are the literal secrets in play for this request.
   */
  text(text: string, values: readonly string[]): string {
    let out = text;
    for (const v of values) {
      if (v.length >= 4 && out.includes(v)) out = out.split(v).join(REDACTED);
    }
    return out;
  }
}
