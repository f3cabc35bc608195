import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { validateHostHeader } from '@modelcontextprotocol/server';
import type { StaticTokenConfig } from '../../config/index.js';
import { OriginPolicy } from './origin-policy.js';
import { ANONYMOUS, bearerPrincipal, type Principal } from './principal.js';

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
  /**
   * Origins browsers may call from besides loopback: full origins (scheme, host and port compared) or
   * bare host names (any scheme and port); `['*']` turns the check off.
   */
  allowedOrigins: string[] | undefined;
  /** Accepted bearer tokens (alone or with the principal each stands for); empty or undefined = no auth. */
  authTokens: readonly StaticTokenConfig[] | undefined;
  /** The address the server binds, for the defaults. */
  bindHost: string;
  /**
   * Another check (the OAuth resource server) takes a request no static token matched: `check`
   * answers it `{ ok: true, principal: undefined }` instead of 401.
   */
  deferUnmatched?: boolean;
}

/** A request the guard refuses: the status, what to do about it, and any challenge headers. */
export type GuardRefusal = { ok: false; status: number; message: string; headers?: Record<string, string> };

export type GuardVerdict =
  /**
   * `principal`: who the request authenticated as (`ANONYMOUS` without client auth); undefined when
   * no static token matched and `deferUnmatched` hands the request on.
   */
  { ok: true; principal: Principal | undefined } | GuardRefusal;

/**
 * DNS-rebinding protection and client auth in front of the MCP endpoint. Defaults: the Host header
 * must name loopback (or the bound address); an Origin, when a browser sends one, must be loopback.
 * Tokens are compared in constant time over their SHA-256 digests, so neither content nor length leaks.
 */
export class RequestGuard {
  private readonly hosts: string[] | undefined;
  private readonly origins: OriginPolicy | undefined;
  private readonly tokenDigests: Buffer[];
  private readonly principals: Principal[];
  private readonly deferUnmatched: boolean;
  /**
   * The last Host header admitted: the check is a pure function of the header, and a client sends
   * the same one on every request, so its URL parse (~2 µs) is paid once, not per call.
   */
  private admittedHost: string | undefined;

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
      : new OriginPolicy(config.allowedOrigins ?? []);
    const tokens = (config.authTokens ?? [])
      .map((t) => (typeof t === 'string' ? { token: t } : t))
      .filter((t) => t.token.length > 0);
    this.tokenDigests = tokens.map((t) => digest(t.token));
    this.deferUnmatched = config.deferUnmatched === true;
    this.principals = tokens.map(({ token: _token, ...fields }, i) => bearerPrincipal(i, fields));
  }

  check(req: IncomingMessage): GuardVerdict {
    return this.refuseSource(req) ?? this.authenticate(req);
  }

  /**
   * The Host and Origin checks alone, which a CORS preflight gets (it carries no credentials):
   * the refusal, or undefined when the request may go on to authenticate.
   */
  refuseSource(req: IncomingMessage): GuardRefusal | undefined {
    const hostHeader = req.headers.host;
    if (this.hosts && (hostHeader === undefined || hostHeader !== this.admittedHost)) {
      const host = validateHostHeader(hostHeader, this.hosts);
      if (host.ok) this.admittedHost = hostHeader;
      else
        return {
          ok: false,
          status: 403,
          message: `Forbidden: Host header ${JSON.stringify(req.headers.host ?? '')} is not allowed (DNS rebinding protection). Add the hostname to server.http.allowedHosts if this server is reached under that name.`,
        };
    }
    if (this.origins && !this.origins.admits(req.headers.origin)) {
      return {
        ok: false,
        status: 403,
        message: `Forbidden: Origin ${JSON.stringify(req.headers.origin ?? '')} is not allowed (scheme, host and port are compared). Add it to server.http.allowedOrigins to let that web page call this server.`,
      };
    }
    return undefined;
  }

  /** The token check alone, for a request `refuseSource` let through. */
  authenticate(req: IncomingMessage): GuardVerdict {
    if (this.tokenDigests.length === 0)
      return { ok: true, principal: this.deferUnmatched ? undefined : ANONYMOUS };
    const principal = this.tokenPrincipal(req.headers.authorization);
    if (!principal) {
      if (this.deferUnmatched) return { ok: true, principal: undefined };
      return {
        ok: false,
        status: 401,
        message:
          'Unauthorized: send "Authorization: Bearer <token>" with one of the tokens in server.http.authTokens.',
        headers: { 'www-authenticate': 'Bearer realm="conduit"' },
      };
    }
    return { ok: true, principal };
  }

  /** True when requests must carry one of the client tokens. */
  get takesTokens(): boolean {
    return this.tokenDigests.length > 0;
  }

  /** True when the request carries one of the client tokens (or none are configured). */
  authenticates(req: IncomingMessage): boolean {
    return this.tokenDigests.length === 0 || this.tokenPrincipal(req.headers.authorization) !== undefined;
  }

  private tokenPrincipal(header: string | undefined): Principal | undefined {
    const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!match) return undefined;
    const given = digest(match[1]!);
    let matched = -1;
    // Compare against every token (no early exit) so timing does not tell which one matched.
    for (let i = 0; i < this.tokenDigests.length; i++)
      if (timingSafeEqual(given, this.tokenDigests[i]!)) matched = i;
    return matched === -1 ? undefined : this.principals[matched];
  }
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}
