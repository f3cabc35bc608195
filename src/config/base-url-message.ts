/** A loopback host, which a local API serves over plain http. */
const LOOPBACK = /^(localhost|127\.|\[::1\])/i;

/**
 * What an upstream `baseUrl` that is no http(s) URL lacks, from what was written: most often the
 * scheme (`api.example.com/v1`, `localhost:8080`, which URL parsing reads as the scheme
 * "localhost:"), else a scheme that is not http(s). A value from `${ENV}` quoted here is replaced
 * before any problem is shown (see `redactSecrets`).
 */
export function baseUrlMessage(input: unknown): string {
  const example = '"https://api.example.com/v1"';
  if (typeof input !== 'string' || input.trim() === '') return `expected an http(s) URL such as ${example}`;
  const scheme = /^([a-z][a-z0-9+.-]*:)\/\//i.exec(input)?.[1];
  if (scheme !== undefined) return `expected an http(s) URL, not ${scheme.toLowerCase()} (e.g. ${example})`;
  const withScheme = `${LOOPBACK.test(input) ? 'http' : 'https'}://${input.replace(/^\/+/, '')}`;
  return URL.canParse(withScheme)
    ? `expected an http(s) URL: add the scheme, e.g. ${JSON.stringify(withScheme)}`
    : `expected an http(s) URL such as ${example}`;
}
