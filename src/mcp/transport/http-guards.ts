import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { validateHostHeader, validateOriginHeader } from '@modelcontextprotocol/server';

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || host.startsWith('127.');
}

function bracketed(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/** Hostname of an allow-list entry given as a bare host or a full origin (`https://app.example.com`). */
function entryHostname(entry: string): string {
  if (entry.includes('://') && !entry.endsWith('://*')) {
    try {
      return new URL(entry).hostname;
    } catch {
      return entry;
    }
  }
  return entry;
}

export interface GuardConfig {
  /** Hostnames the Host header may name besides loopback (and the bound address); `['*']` turns the check off. */
  allowedHosts: string[] | undefined;
  /** Origins (hostnames or full origins) browsers may call from besides loopback; `['*']` turns the check off. */
  allowedOrigins: string[] | undefined;
  /** Accepted bearer tokens; empty or undefined = no auth. */
  authTokens: string[] | undefined;
  /** The address the server binds, for the defaults. */
  bindHost: string;
}

export type GuardVerdict =
  | { ok: true }
  | { ok: false; status: number; message: string; headers?: Record<string, string> };

/**
 * DNS-rebinding protection and client auth in front of the MCP endpoint. Defaults: the Host header
 * must name loopback (or the bound address); an Origin, when a browser sends one, must be loopback.
 * Tokens are compared in constant time over their SHA-256 digests, so neither content nor length leaks.
 */
export class RequestGuard {
  private readonly hosts: string[] | undefined;
  private readonly origins: string[] | undefined;
  private readonly tokenDigests: Buffer[];

  constructor(config: GuardConfig) {
    const defaults = [...LOOPBACK_NAMES];
    if (!isLoopback(config.bindHost) && config.bindHost !== '0.0.0.0' && config.bindHost !== '::')
      defaults.push(bracketed(config.bindHost));
    // Loopback names always pass: the server is reachable under them from this machine anyway.
    this.hosts = config.allowedHosts?.includes('*')
      ? undefined
      : [...defaults, ...(config.allowedHosts ?? []).map((h) => bracketed(entryHostname(h)))];
    this.origins = config.allowedOrigins?.includes('*')
      ? undefined
      : [...LOOPBACK_NAMES, ...(config.allowedOrigins ?? []).map(entryHostname)];
    this.tokenDigests = (config.authTokens ?? []).filter((t) => t.length > 0).map(digest);
  }

  check(req: IncomingMessage): GuardVerdict {
    if (this.hosts) {
      const host = validateHostHeader(req.headers.host, this.hosts);
      if (!host.ok)
        return {
          ok: false,
          status: 403,
          message: `Forbidden: Host header ${JSON.stringify(req.headers.host ?? '')} is not allowed (DNS rebinding protection). Add the hostname to server.http.allowedHosts if this server is reached under that name.`,
        };
    }
    if (this.origins) {
      const origin = validateOriginHeader(req.headers.origin, this.origins);
      if (!origin.ok)
        return {
          ok: false,
          status: 403,
          message: `Forbidden: Origin ${JSON.stringify(req.headers.origin ?? '')} is not allowed. Add it to server.http.allowedOrigins to let that web page call this server.`,
        };
    }
    if (this.tokenDigests.length > 0 && !this.tokenAccepted(req.headers.authorization)) {
      return {
        ok: false,
        status: 401,
        message:
          'Unauthorized: send "Authorization: Bearer <token>" with one of the tokens in server.http.authTokens.',
        headers: { 'www-authenticate': 'Bearer realm="conduit"' },
      };
    }
    return { ok: true };
  }

  private tokenAccepted(header: string | undefined): boolean {
    const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!match) return false;
    const given = digest(match[1]!);
    let ok = false;
    // Compare against every token (no early exit) so timing does not tell which one matched.
    for (const d of this.tokenDigests) ok = timingSafeEqual(given, d) || ok;
    return ok;
  }
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}
