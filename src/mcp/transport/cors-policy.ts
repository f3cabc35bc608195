import type { IncomingMessage, ServerResponse } from 'node:http';
import type { GuardRefusal } from './http-guards.js';
import { OriginPolicy } from './origin-policy.js';

/**
 * What browser clients send beyond the CORS-safelisted headers: the SDK's transports (`mcp-*`, the
 * `last-event-id` of a resumed stream, a JSON `content-type`, an `accept` listing SSE), the bearer
 * token, and W3C trace context, which the gateway continues.
 */
const ALLOW_HEADERS =
  'content-type, accept, authorization, mcp-session-id, mcp-protocol-version, mcp-method, mcp-name, ' +
  'last-event-id, traceparent, tracestate';
/** What a page must read: the session it was given, the challenge of a 401, how long to back off. */
const EXPOSE_HEADERS = 'mcp-session-id, mcp-protocol-version, www-authenticate, retry-after';
/**
 * Two hours, Chromium's cap (Firefox allows a day). The preflight answer grants nothing by itself:
 * each request is checked again, so an origin removed from the list is refused at once regardless.
 */
export const PREFLIGHT_MAX_AGE_SECONDS = 7200;

/** The headers of every preflight answer but `access-control-allow-origin`, as a flat list. */
const PREFLIGHT_HEADERS = [
  'vary',
  'Origin',
  'access-control-allow-methods',
  'GET, POST, DELETE',
  'access-control-allow-headers',
  ALLOW_HEADERS,
  'access-control-max-age',
  String(PREFLIGHT_MAX_AGE_SECONDS),
];

/** `scheme://host[:port]`, nothing after: what a browser sends as `Origin` (`null` aside). */
const ORIGIN_SHAPE = /^[a-z][a-z0-9+.-]*:\/\/[^/?#\s]+$/i;

/** A browser's CORS preflight: OPTIONS naming the method the page wants to send. */
export function isPreflight(req: IncomingMessage): boolean {
  return req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined;
}

export interface CorsConfig {
  /** `server.http.allowedOrigins` as configured (`['*']`: any origin passes the Origin check). */
  allowedOrigins: readonly string[] | undefined;
  /** The endpoint asks for client auth (static tokens or OAuth access tokens). */
  authenticated: boolean;
}

/**
 * Which origins the MCP endpoint grants cross-origin reads, for an Origin the request guard already
 * admitted. The grant names the calling origin, never `*`, with `Vary: Origin`, and no
 * `Allow-Credentials` (the gateway reads no cookies: its credential is the Authorization header the
 * page sets itself). Under `allowedOrigins: ['*']` every site is granted only when client auth is
 * on: otherwise any page a user opens could call the gateway's tools as that user's machine, so only
 * loopback pages are. The opaque `null` origin (sandboxed frames, `file:` pages) is never granted.
 */
export class CorsPolicy {
  /** Under `['*']`: with auth any well-formed origin is granted, without it loopback pages only. */
  private readonly anyOrigin: 'any' | 'loopback' | undefined;
  private readonly loopback = new OriginPolicy([]);
  /** The last origin `loopback` granted: a page sends the same one on every call. */
  private granted: string | undefined;

  constructor(config: CorsConfig) {
    if (config.allowedOrigins?.includes('*') === true)
      this.anyOrigin = config.authenticated ? 'any' : 'loopback';
  }

  /** True when a page on `origin` (admitted by the guard) may read the answers. */
  grants(origin: string): boolean {
    if (origin === 'null' || origin === '') return false;
    // Without `*` the guard parsed the origin and matched it against the list: nothing to add.
    if (this.anyOrigin === undefined || origin === this.granted) return true;
    // The guard checked nothing: echo back only what has the shape of an origin.
    if (this.anyOrigin === 'any') return ORIGIN_SHAPE.test(origin);
    if (!this.loopback.admits(origin)) return false;
    this.granted = origin;
    return true;
  }

  /**
   * For a request whose Host and Origin the guard admitted: a preflight is answered (204, `'answered'`)
   * or refused (the refusal to send, without CORS headers); any other request from a granted origin
   * gets its answer marked readable (undefined: serve it on). No Origin: nothing happens.
   */
  serve(req: IncomingMessage, res: ServerResponse): GuardRefusal | 'answered' | undefined {
    const origin = req.headers.origin;
    if (origin === undefined) return undefined;
    const granted = this.grants(origin);
    if (isPreflight(req)) {
      if (!granted) return { ok: false, status: 403, message: this.refusal(origin) };
      res.writeHead(204, ['access-control-allow-origin', origin, ...PREFLIGHT_HEADERS]);
      res.end();
      return 'answered';
    }
    // Set before anything writes the head: every later answer (the SDK's, a 401, a 429) keeps them.
    if (granted) {
      res.setHeader('access-control-allow-origin', origin);
      res.setHeader('vary', 'Origin');
      res.setHeader('access-control-expose-headers', EXPOSE_HEADERS);
    }
    return undefined;
  }

  private refusal(origin: string): string {
    return `Forbidden: Origin ${JSON.stringify(origin)} is not granted cross-origin access: the opaque "null" origin never is, and with server.http.allowedOrigins ["*"] other sites are only when client auth is on (server.http.authTokens or server.http.auth). List the origin in server.http.allowedOrigins.`;
  }
}
