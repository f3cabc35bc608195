/** Shorter values would blank out ordinary words (as for every `${ENV}` value). */
const MIN_LENGTH = 4;

/**
 * Loopback names hide nothing (every machine has them) and the gateway's own messages need them: its
 * listen URL, the `--host 127.0.0.1` hint. Their `host:port` forms stay secret.
 */
const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|::1|\[::1\]|0\.0\.0\.0)$/i;

/** `scheme://`: only a URL with an authority has a host to hide. */
const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;

/**
 * The host of config string `url`, in each form logs, errors and spans write it (as written, host:port,
 * host name, an IPv6 address without brackets), when one of `envValues` reaches into it: a whole base
 * URL from `${UPSTREAM_URL}`, `http://${HOST_AND_PORT}/v1`, `https://${TENANT}.example.com`. Each is
 * then a secret of its own: a lookup error names the host alone, and URL drops a default port, so
 * neither shows the value as substituted. Empty when the values touch only the path, query or user
 * info, or `url` has no authority. A loopback host name or address alone is never one.
 */
export function secretHosts(url: string, envValues: readonly string[]): string[] {
  const scheme = SCHEME.exec(url);
  if (scheme === null) return [];
  const authorityStart = scheme[0].length;
  const slash = url.slice(authorityStart).search(/[/?#]/);
  const end = slash < 0 ? url.length : authorityStart + slash;
  const at = url.lastIndexOf('@', end - 1);
  const start = at >= authorityStart ? at + 1 : authorityStart;
  if (!envValues.some((v) => overlaps(url, v, start, end))) return [];
  const forms = new Set([url.slice(start, end)]);
  try {
    const parsed = new URL(url);
    forms
      .add(parsed.host)
      .add(parsed.hostname)
      .add(parsed.hostname.replace(/^\[|\]$/g, ''));
  } catch {
    // Not a URL the client would take: its text as written is all there is to hide.
  }
  return [...forms].filter((f) => f.length >= MIN_LENGTH && !LOOPBACK.test(f));
}

/** True when an occurrence of `value` (a secret: 4 characters or more) in `text` overlaps `[start, end)`. */
function overlaps(text: string, value: string, start: number, end: number): boolean {
  if (value.length < MIN_LENGTH) return false;
  for (let i = text.indexOf(value); i >= 0 && i < end; i = text.indexOf(value, i + 1))
    if (i + value.length > start) return true;
  return false;
}
