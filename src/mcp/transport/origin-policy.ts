/**
 * Which browser origins may call. Loopback pages (any scheme and port on localhost, 127.x, [::1]) are
 * always admitted. A configured full origin (`https://app.example.com:8443`) admits exactly that
 * scheme, host and port (default ports written or not); `vscode-webview://*` admits a non-web scheme
 * with any host; a bare host name (`app.example.com`) admits that host under any scheme and port.
 */
export class OriginPolicy {
  private readonly origins = new Set<string>();
  private readonly hostnames = new Set<string>();
  private readonly schemes = new Set<string>();

  constructor(entries: readonly string[]) {
    for (const entry of entries) {
      if (entry.endsWith('://*')) {
        this.schemes.add(entry.slice(0, -3).toLowerCase());
        continue;
      }
      if (entry.includes('://')) {
        const origin = originOf(entry);
        if (origin !== undefined) this.origins.add(origin);
        continue;
      }
      this.hostnames.add(entry.toLowerCase());
    }
  }

  /** True when a request with this Origin header may be served (no header: not a browser, admitted). */
  admits(header: string | undefined): boolean {
    if (header === undefined || header === '') return true;
    let url: URL;
    try {
      url = new URL(header);
    } catch {
      return false;
    }
    if (url.hostname === '') return false;
    if (isLoopbackHostname(url.hostname)) return true;
    const web = url.protocol === 'http:' || url.protocol === 'https:';
    if (!web) return this.schemes.has(url.protocol);
    return this.origins.has(url.origin) || this.hostnames.has(url.hostname);
  }
}

/** `scheme://host[:port]` with the default port dropped, as browsers send it; undefined if unparsable. */
function originOf(entry: string): string | undefined {
  try {
    const origin = new URL(entry).origin;
    return origin === 'null' ? undefined : origin;
  } catch {
    return undefined;
  }
}

function isLoopbackHostname(host: string): boolean {
  return host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
