import { once } from 'node:events';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { toNodeHandler, toWebRequest } from '@modelcontextprotocol/node';
import { createMcpHandler, isLegacyRequest, type ServerEventBus } from '@modelcontextprotocol/server';
import { type Clock, type Logger, refuseUpload, systemClock, errorForLog } from '../../core/index.js';
import type { Gateway } from '../gateway/gateway.js';
import { attachedAuthInfo, attachPrincipal } from './auth-info.js';
import { isListenRequest, ListenCallers } from './listen-callers.js';
import { CorsPolicy } from './cors-policy.js';
import { RequestGuard } from './http-guards.js';
import { OAuthGuard } from './oauth-guard.js';
import { shutdownHttp } from './http-shutdown.js';
import { endAtExpiry } from './stream-expiry.js';
import { createLimitedServer, type ListenerLimits } from './listener-limits.js';
import { PostTracker } from './post-tracker.js';
import type { Principal } from './principal.js';
import { ANSWERED, readJsonBody } from './json-body.js';
import { sendJsonError } from './json-rpc-answers.js';
import { legacySessionServer } from './legacy-sessions.js';
import { SessionRegistry } from './session-registry.js';
import { ClientAddresses } from './trusted-proxies.js';
import { AnonymousCallers } from './anonymous-callers.js';
import type { SideRoutes } from './side-routes.js';
import type { ResourceServerConfig, StaticTokenConfig } from '../../config/index.js';

export interface HttpServeOptions extends ListenerLimits {
  /** Default 127.0.0.1: reachable from this machine only. */
  host?: string;
  /** Default 0 (an ephemeral port; read `url`). */
  port?: number;
  /** Endpoint path, default `/mcp`. */
  path?: string;
  allowedHosts?: string[];
  allowedOrigins?: string[];
  authTokens?: readonly StaticTokenConfig[];
  /** OAuth 2.1 access tokens (`server.http.auth`); static `authTokens` are still accepted beside them. */
  auth?: ResourceServerConfig | undefined;
  /** The fetch the resource server reaches the authorization server with (tests). */
  authFetch?: typeof fetch;
  /** Largest accepted request body, bytes (default 1 MiB). */
  maxBodyBytes?: number;
  /** No sessions: every request stands alone, so instances behind a load balancer are interchangeable. */
  stateless?: boolean;
  /** A 2025-era session unused this long is closed (the client must initialize again). Default 30 min. */
  sessionIdleMs?: number;
  /** 2025-era sessions open at once; more initializes are answered 503. Default 1000. */
  maxSessions?: number;
  /**
   * 2025-era sessions one caller may hold (a principal, or one client address group of anonymous
   * callers); more of its initializes get 429. Default 100.
   */
  maxSessionsPerPrincipal?: number;
  /**
   * Reverse proxies (addresses, CIDR blocks) whose `X-Forwarded-For` names the client; default none:
   * the socket's peer is the client.
   */
  trustProxy?: readonly string[];
  /** Messages in one JSON-RPC batch; a larger batch is refused whole (400). Default 10. */
  maxBatchSize?: number;
  /** Interval of the SSE keep-alive comments on open streams, ms (the SDK's default, 15 s, when absent). */
  sseKeepAliveMs?: number;
  logger: Logger;
  clock?: Clock;
  /** Other paths served on this listener (webhooks, `/metrics`), outside the MCP guards. */
  routes?: SideRoutes | undefined;
}

export interface HttpGatewayServer {
  readonly url: string;
  readonly server: Server;
  /** Stops accepting, lets running tool calls finish up to `deadlineMs`, then closes every socket. */
  close(deadlineMs: number): Promise<void>;
}

const DEFAULT_MAX_BODY = 1024 * 1024;
export const DEFAULT_SESSION_IDLE_MS = 30 * 60_000;
export const DEFAULT_MAX_SESSIONS = 1000;
export const DEFAULT_MAX_SESSIONS_PER_PRINCIPAL = 100;
export const DEFAULT_MAX_BATCH_SIZE = 10;

const noFlush = (): void => {};
/** Requests whose SSE answer always carries at least one event: the answer itself. */
const ANSWERED_METHODS = new Set(['tools/call', 'resources/read', 'prompts/get']);
/** The HTTP methods of Streamable HTTP: POST a message, GET a stream, DELETE a session. */
const SERVED_METHODS = new Set(['POST', 'GET', 'DELETE']);

/**
 * A POST that calls a tool is answered on an SSE stream. The SDK's Node adapter flushes that stream's
 * headers at once when the answer is not ready yet (any tool that waits on I/O), which costs a write
 * of its own and a wake-up of the client on every call (measured here: ~0.06 ms of the median per
 * call, bench/gateway). The headers then leave with the first event instead: the answer, a progress
 * notification, or the SSE keep-alive comment the SDK writes every 15 s, so a client still sees the
 * stream start on long calls. Only for requests listed above: a `subscriptions/listen` stream or the
 * standalone GET stream has no first event to wait for.
 */
function deferHeaderFlush(res: ServerResponse, body: unknown): void {
  const method = (body as { method?: unknown } | null)?.method;
  if (typeof method === 'string' && ANSWERED_METHODS.has(method)) res.flushHeaders = noFlush;
}

/**
 * Serves the gateway over MCP Streamable HTTP on node:http. The 2026-07-28 era is per-request by
 * design; 2025-era clients get sessions (default) or stateless serving (`stateless: true`).
 * Each request: route → guard (Host, Origin, token → principal) → body (size, JSON, batch size) →
 * by era: a session of this principal, a new session, or the per-request handler.
 */
export async function serveHttp(gateway: Gateway, options: HttpServeOptions): Promise<HttpGatewayServer> {
  const host = options.host ?? '127.0.0.1';
  const path = options.path ?? '/mcp';
  const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY;
  const log = options.logger;
  const clock = options.clock ?? systemClock;
  const { guard, oauth, cors } = requestGuards(options, host, clock);
  const keepAlive = options.sseKeepAliveMs !== undefined ? { keepAliveMs: options.sseKeepAliveMs } : {};
  const listens = new ListenCallers(gateway.serverEvents, (uri, caller) => gateway.mayHear(uri, caller));
  const transportOptions = { maxRequestBodySize: maxBody, ...keepAlive };
  const eras = eraHandlers(gateway, listens.bus, transportOptions, options, log);
  const sessions = new SessionRegistry({
    idleMs: options.sessionIdleMs ?? DEFAULT_SESSION_IDLE_MS,
    maxSessions: options.maxSessions ?? DEFAULT_MAX_SESSIONS,
    maxPerPrincipal: options.maxSessionsPerPrincipal ?? DEFAULT_MAX_SESSIONS_PER_PRINCIPAL,
    clock,
    logger: log,
  });
  let closing = false;
  const anonymous = new AnonymousCallers(new ClientAddresses(options.trustProxy));
  const serveLegacy = legacySessionServer({
    gateway,
    sessions,
    keepAlive,
    logger: log,
    isClosing: () => closing,
  });
  const serveAsCaller = (serve: NodeHandler, req: IncomingMessage, res: ServerResponse, body: unknown) =>
    isListenRequest(body)
      ? listens.serve(attachedAuthInfo(req), () => serve(req, res, body), res)
      : serve(req, res, body);
  const bodyLimits = { maxBody, maxBatch: options.maxBatchSize ?? DEFAULT_MAX_BATCH_SIZE, logger: log };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const pathname = q === -1 ? url : url.slice(0, q);
    if (oauth?.isMetadataPath(pathname)) return oauth.serveMetadata(req, res);
    if (pathname !== path) {
      const notFound = () => sendJsonError(res, 404, `Not found: the MCP endpoint is ${path}`);
      return options.routes ? options.routes(req, res, notFound) : notFound();
    }
    // Host and Origin first, then CORS, then credentials: a preflight carries none, and a 401 is read too.
    const refused = guard.refuseSource(req) ?? cors.serve(req, res);
    if (refused === 'answered') return;
    const verdict = refused ?? guard.authenticate(req);
    if (!verdict.ok) {
      log.info({ status: verdict.status, method: req.method }, 'request refused');
      return sendJsonError(res, verdict.status, verdict.message, verdict.headers);
    }
    // Callers without a credential are one principal; per-caller limits tell them apart by address.
    const fixed = verdict.principal?.kind === 'anonymous' ? anonymous.of(req) : verdict.principal;
    if (fixed) attachPrincipal(req, fixed);
    const who = fixed ?? (await oauthPrincipal(oauth!, req, res, log));
    if (!who) return;
    // Before any session or era is looked at: no session or protocol revision serves another method.
    if (!SERVED_METHODS.has(req.method ?? ''))
      return sendJsonError(res, 405, 'Method not allowed: the MCP endpoint serves POST, GET and DELETE.', {
        allow: 'GET, POST, DELETE',
      });
    const body = await readJsonBody(req, res, bodyLimits);
    if (body === ANSWERED) return;
    if (who.expiresAt !== undefined && (req.method === 'GET' || isListenRequest(body)))
      endAtExpiry(res, who.expiresAt, clock);
    // A listen stream hears only what its caller may read: it subscribes as that caller.
    if (eras.serveStateless) return serveAsCaller(eras.serveStateless, req, res, body);
    // A known 2025 session id settles the era without building a web Request to classify it.
    const sessionId = req.headers['mcp-session-id'];
    if (typeof sessionId === 'string' && sessions.has(sessionId)) return serveLegacy(req, res, body, who);
    const probe = await toWebRequest(req, body);
    if (await isLegacyRequest(probe, body, { maxRequestBodySize: maxBody }))
      return serveLegacy(req, res, body, who);
    deferHeaderFlush(res, body);
    return serveAsCaller(eras.serveModern, req, res, body);
  };

  const posts = new PostTracker();
  const server = createLimitedServer(options, (req, res) => {
    posts.track(req, res);
    handle(req, res).catch((err: unknown) => {
      log.error({ err: errorForLog(err) }, 'MCP HTTP request failed');
      sendJsonError(res, 500, 'Internal server error');
    });
  });
  const url = await listen(server, options.port ?? 0, host, path);
  log.info({ url, stateless: Boolean(options.stateless) }, 'MCP Streamable HTTP listening');

  let closed: Promise<void> | undefined;
  const parts = { server, gateway, sessions, posts, handlers: eras.handlers, logger: log };
  return {
    url,
    server,
    close(deadlineMs) {
      closing = true;
      closed ??= shutdownHttp(parts, deadlineMs);
      return closed;
    },
  };
}

/**
 * The static-token guard (Host, Origin, tokens), with `auth` the OAuth resource server guard, and the
 * CORS grants for the origins the guard admits.
 */
function requestGuards(
  options: HttpServeOptions,
  host: string,
  clock: Clock,
): { guard: RequestGuard; oauth: OAuthGuard | undefined; cors: CorsPolicy } {
  const log = options.logger;
  const guard = new RequestGuard({
    allowedHosts: options.allowedHosts,
    allowedOrigins: options.allowedOrigins,
    authTokens: options.authTokens,
    bindHost: host,
    deferUnmatched: options.auth !== undefined,
  });
  const oauth = options.auth
    ? new OAuthGuard(options.auth, {
        clock,
        logger: log,
        ...(options.authFetch ? { fetch: options.authFetch } : {}),
      })
    : undefined;
  if ((host === '0.0.0.0' || host === '::') && !options.allowedHosts?.length)
    log.warn(
      { host },
      'listening on all interfaces, but only loopback Host headers are accepted: set server.http.allowedHosts to the names clients use',
    );
  const cors = new CorsPolicy({
    allowedOrigins: options.allowedOrigins,
    authenticated: oauth !== undefined || guard.takesTokens,
  });
  return { guard, oauth, cors };
}

type NodeHandler = ReturnType<typeof toNodeHandler>;

/**
 * The SDK's per-request handlers: the 2026-07-28 one (2025 requests refused: they go to sessions) and,
 * with `stateless`, one serving 2025 requests without sessions. `handlers` are what shutdown closes.
 */
function eraHandlers(
  gateway: Gateway,
  bus: ServerEventBus,
  transportOptions: { maxRequestBodySize: number; keepAliveMs?: number },
  options: HttpServeOptions,
  log: Logger,
): {
  serveModern: NodeHandler;
  serveStateless: NodeHandler | undefined;
  handlers: readonly ({ close(): Promise<void> } | undefined)[];
} {
  const onerror = (err: Error) => log.debug({ err: err.message }, 'MCP HTTP handler error');
  const factory = () => gateway.createServer();
  const handlerOptions = { ...transportOptions, onerror };
  const statelessHandler = options.stateless
    ? createMcpHandler(factory, { ...handlerOptions, bus, legacy: 'stateless' })
    : undefined;
  const modernHandler = createMcpHandler(factory, {
    ...handlerOptions,
    bus,
    legacy: 'reject',
  });
  return {
    serveModern: toNodeHandler(modernHandler, handlerOptions),
    serveStateless: statelessHandler ? toNodeHandler(statelessHandler, handlerOptions) : undefined,
    handlers: [modernHandler, statelessHandler],
  };
}

/**
 * The principal of the request's OAuth access token, attached for the handlers; undefined once the
 * request was refused (the body drained first, so the connection stays usable).
 */
async function oauthPrincipal(
  oauth: OAuthGuard,
  req: IncomingMessage,
  res: ServerResponse,
  log: Logger,
): Promise<Principal | undefined> {
  const checked = await oauth.check(req);
  if (!checked.ok) {
    log.info({ status: checked.status, method: req.method }, 'request refused');
    refuseUpload(req, res, { status: checked.status, headers: checked.headers, body: checked.body });
    return undefined;
  }
  attachPrincipal(req, checked.principal, checked.token);
  return checked.principal;
}

/** Listens and answers the endpoint's URL (an IPv6 address in brackets). */
async function listen(server: Server, port: number, host: string, path: string): Promise<string> {
  server.listen(port, host);
  await Promise.race([once(server, 'listening'), once(server, 'error').then(([e]) => Promise.reject(e))]);
  const addr = server.address() as AddressInfo;
  const urlHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return `http://${urlHost}:${addr.port}${path}`;
}
