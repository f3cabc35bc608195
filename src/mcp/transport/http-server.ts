import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { NodeStreamableHTTPServerTransport, toNodeHandler, toWebRequest } from '@modelcontextprotocol/node';
import { createMcpHandler, isInitializeRequest, isLegacyRequest } from '@modelcontextprotocol/server';
import { type Clock, type Logger, systemClock } from '../../core/index.js';
import type { Gateway } from '../gateway/gateway.js';
import { cancelOnClose } from './cancel-on-close.js';
import { RequestGuard } from './http-guards.js';
import type { SideRoutes } from './side-routes.js';

export interface HttpServeOptions {
  /** Default 127.0.0.1: reachable from this machine only. */
  host?: string;
  /** Default 0 (an ephemeral port; read `url`). */
  port?: number;
  /** Endpoint path, default `/mcp`. */
  path?: string;
  allowedHosts?: string[];
  allowedOrigins?: string[];
  authTokens?: string[];
  /** Largest accepted request body, bytes (default 1 MiB). */
  maxBodyBytes?: number;
  /** No sessions: every request stands alone, so instances behind a load balancer are interchangeable. */
  stateless?: boolean;
  /** A 2025-era session unused this long is closed (the client must initialize again). Default 30 min. */
  sessionIdleMs?: number;
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
const DEFAULT_SESSION_IDLE_MS = 30 * 60_000;
/** After the deadline aborts running calls, how long their error results get to be written. */
const ABORT_GRACE_MS = 1000;

function sendJsonError(
  res: ServerResponse,
  status: number,
  message: string,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const body = JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message }, id: null });
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(body);
}

const noFlush = (): void => {};
/** Requests whose SSE answer always carries at least one event: the answer itself. */
const ANSWERED_METHODS = new Set(['tools/call', 'resources/read', 'prompts/get']);

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

/** Reads the request body up to `limit` bytes; undefined when it is larger. */
async function readBody(req: IncomingMessage, limit: number): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Serves the gateway over MCP Streamable HTTP on node:http. The 2026-07-28 era is per-request by
 * design; 2025-era clients get sessions (default) or stateless serving (`stateless: true`).
 */
export async function serveHttp(gateway: Gateway, options: HttpServeOptions): Promise<HttpGatewayServer> {
  const host = options.host ?? '127.0.0.1';
  const path = options.path ?? '/mcp';
  const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY;
  const log = options.logger;
  const guard = new RequestGuard({
    allowedHosts: options.allowedHosts,
    allowedOrigins: options.allowedOrigins,
    authTokens: options.authTokens,
    bindHost: host,
  });
  if ((host === '0.0.0.0' || host === '::') && !options.allowedHosts?.length)
    log.warn(
      { host },
      'listening on all interfaces, but only loopback Host headers are accepted: set server.http.allowedHosts to the names clients use',
    );
  const onerror = (err: Error) => log.debug({ err: err.message }, 'MCP HTTP handler error');
  const factory = () => gateway.createServer();
  const keepAlive = options.sseKeepAliveMs !== undefined ? { keepAliveMs: options.sseKeepAliveMs } : {};
  const handlerOptions = { maxRequestBodySize: maxBody, onerror, ...keepAlive };
  const statelessHandler = options.stateless
    ? createMcpHandler(factory, { ...handlerOptions, bus: gateway.serverEvents, legacy: 'stateless' })
    : undefined;
  const modernHandler = createMcpHandler(factory, {
    ...handlerOptions,
    bus: gateway.serverEvents,
    legacy: 'reject',
  });
  const serveStateless = statelessHandler ? toNodeHandler(statelessHandler, handlerOptions) : undefined;
  const serveModern = toNodeHandler(modernHandler, handlerOptions);
  const sessions = new Map<string, NodeStreamableHTTPServerTransport>();
  // Clients that vanish without DELETE would otherwise keep their session (and its McpServer) forever.
  const lastSeen = new Map<string, number>();
  const idleMs = options.sessionIdleMs ?? DEFAULT_SESSION_IDLE_MS;
  const clock = options.clock ?? systemClock;
  let sweepTimer: unknown;
  const sweep = () => {
    const cutoff = clock.now() - idleMs;
    for (const [id, seen] of lastSeen) {
      if (seen > cutoff) continue;
      const transport = sessions.get(id);
      sessions.delete(id);
      lastSeen.delete(id);
      log.debug({ idleMs }, 'closing an idle MCP session');
      void transport?.close();
    }
    sweepTimer = clock.setTimeout(sweep, Math.min(idleMs, 60_000));
  };
  sweepTimer = clock.setTimeout(sweep, Math.min(idleMs, 60_000));
  let closing = false;

  const serveLegacySession = async (req: IncomingMessage, res: ServerResponse, body: unknown) => {
    const sessionId = req.headers['mcp-session-id'];
    if (typeof sessionId === 'string') {
      const transport = sessions.get(sessionId);
      if (!transport)
        return sendJsonError(res, 404, 'Session not found: start a new session with initialize.');
      lastSeen.set(sessionId, clock.now());
      if (req.method === 'POST') cancelOnClose(transport, res, body);
      return transport.handleRequest(req, res, body);
    }
    if (req.method !== 'POST' || !isInitializeRequest(body))
      return sendJsonError(res, 400, 'Bad Request: no Mcp-Session-Id header; send initialize first.');
    if (closing) return sendJsonError(res, 503, 'The server is shutting down.', { connection: 'close' });
    const transport = new NodeStreamableHTTPServerTransport({
      sessionIdGenerator: randomUUID,
      maxRequestBodySize: maxBody,
      ...keepAlive,
      onsessioninitialized: (id) => {
        sessions.set(id, transport);
        lastSeen.set(id, clock.now());
      },
      onsessionclosed: (id) => {
        sessions.delete(id);
        lastSeen.delete(id);
      },
    });
    transport.onclose = () => {
      if (transport.sessionId) {
        sessions.delete(transport.sessionId);
        lastSeen.delete(transport.sessionId);
      }
    };
    const server = gateway.createServer();
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    if ((q === -1 ? url : url.slice(0, q)) !== path) {
      const notFound = () => sendJsonError(res, 404, `Not found: the MCP endpoint is ${path}`);
      return options.routes ? options.routes(req, res, notFound) : notFound();
    }
    const verdict = guard.check(req);
    if (!verdict.ok) {
      log.info({ status: verdict.status, method: req.method }, 'request refused');
      return sendJsonError(res, verdict.status, verdict.message, verdict.headers);
    }
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBody)
      return sendJsonError(res, 413, `Payload too large: the limit is ${maxBody} bytes.`, {
        connection: 'close',
      });
    if (serveStateless) return serveStateless(req, res);
    // Stateful: read the body once, then route by protocol era.
    let body: unknown;
    if (req.method === 'POST') {
      const text = await readBody(req, maxBody);
      if (text === undefined)
        return sendJsonError(res, 413, `Payload too large: the limit is ${maxBody} bytes.`, {
          connection: 'close',
        });
      try {
        body = JSON.parse(text);
      } catch {
        return sendJsonError(res, 400, 'Parse error: the body is not valid JSON.');
      }
    }
    deferHeaderFlush(res, body);
    // A known 2025 session id settles the era without building a web Request to classify it.
    const sessionId = req.headers['mcp-session-id'];
    if (typeof sessionId === 'string' && sessions.has(sessionId)) return serveLegacySession(req, res, body);
    const probe = await toWebRequest(req, body);
    if (await isLegacyRequest(probe, body, { maxRequestBodySize: maxBody }))
      return serveLegacySession(req, res, body);
    return serveModern(req, res, body);
  };

  // POST exchanges still writing their answer; shutdown waits for them (SSE GET streams never end).
  let activePosts = 0;
  let postsIdle: (() => void) | undefined;
  const server = createServer((req, res) => {
    if (req.method === 'POST') {
      activePosts++;
      res.once('close', () => {
        if (--activePosts === 0) postsIdle?.();
      });
    }
    handle(req, res).catch((err: unknown) => {
      log.error({ err: err instanceof Error ? err.message : String(err) }, 'MCP HTTP request failed');
      sendJsonError(res, 500, 'Internal server error');
    });
  });
  server.listen(options.port ?? 0, host);
  await Promise.race([once(server, 'listening'), once(server, 'error').then(([e]) => Promise.reject(e))]);
  const addr = server.address() as AddressInfo;
  const urlHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  const url = `http://${urlHost}:${addr.port}${path}`;
  log.info({ url, stateless: Boolean(options.stateless) }, 'MCP Streamable HTTP listening');

  let closed: Promise<void> | undefined;
  return {
    url,
    server,
    close(deadlineMs) {
      closed ??= (async () => {
        closing = true;
        clock.clearTimeout(sweepTimer);
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        const started = Date.now();
        log.info({ inFlight: gateway.inFlight, deadlineMs }, 'shutting down: waiting for calls in flight');
        let finished = await gateway.drain(deadlineMs);
        if (!finished) {
          log.warn({ inFlight: gateway.inFlight }, 'shutdown deadline reached: aborting the calls in flight');
          // The aborted calls return their "cut short" results at once; let those reach the clients.
          finished = await gateway.drain(ABORT_GRACE_MS);
        }
        if (finished && activePosts > 0) {
          // Tool handlers are done; give their responses the rest of the deadline to be written.
          const left = Math.max(ABORT_GRACE_MS, deadlineMs - (Date.now() - started));
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, left);
            timer.unref();
            postsIdle = () => {
              clearTimeout(timer);
              resolve();
            };
          });
        }
        await Promise.allSettled([...sessions.values()].map((t) => t.close()));
        sessions.clear();
        lastSeen.clear();
        await Promise.allSettled([modernHandler.close(), statelessHandler?.close()]);
        server.closeAllConnections();
        await stopped;
      })();
      return closed;
    },
  };
}
