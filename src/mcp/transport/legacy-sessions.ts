import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isInitializeRequest } from '@modelcontextprotocol/server';
import type { Logger } from '../../core/index.js';
import type { Gateway } from '../gateway/gateway.js';
import { sendJsonError } from './json-rpc-answers.js';
import { limitedCaller, type Principal } from './principal.js';
import type { InitializeAdmission, SessionRegistry } from './session-registry.js';
import { SessionTransport } from './session-transport.js';

/** What serving 2025-era sessions needs from its listener. */
export interface LegacySessionsDeps {
  gateway: Gateway;
  sessions: SessionRegistry;
  /** The SSE keep-alive option handed to each session's transport. */
  keepAlive: { keepAliveMs?: number };
  logger: Logger;
  /** True once the listener is shutting down: no new session is opened. */
  isClosing(): boolean;
}

/**
 * Serves a 2025-era request: on the session its `Mcp-Session-Id` names (when this principal owns
 * it), or, for an initialize, on a new session within the registry's cap.
 */
export function legacySessionServer(
  deps: LegacySessionsDeps,
): (req: IncomingMessage, res: ServerResponse, body: unknown, who: Principal) => Promise<void> {
  const open = openSession(deps);
  return async (req, res, body, who) => {
    const sessionId = req.headers['mcp-session-id'];
    if (typeof sessionId === 'string') {
      // Another principal's session id is answered exactly like an unknown one.
      const transport = deps.sessions.lookup(sessionId, who);
      if (!transport)
        return sendJsonError(res, 404, 'Session not found: start a new session with initialize.');
      return transport.handleRequest(req, res, body);
    }
    if (req.method !== 'POST' || !isInitializeRequest(body))
      return sendJsonError(res, 400, 'Bad Request: no Mcp-Session-Id header; send initialize first.');
    return open(req, res, body, who);
  };
}

/** An initialize on a new session owned by `owner`; 503 while closing or at the session cap. */
function openSession(
  deps: LegacySessionsDeps,
): (req: IncomingMessage, res: ServerResponse, body: unknown, owner: Principal) => Promise<void> {
  const { sessions, logger: log } = deps;
  return async (req, res, body, owner) => {
    if (deps.isClosing())
      return sendJsonError(res, 503, 'The server is shutting down.', { connection: 'close' });
    // An anonymous owner carries its client address group: its cap is that address's.
    const group = owner.kind === 'anonymous' ? (owner.address ?? 'unknown') : undefined;
    const cap = limitedCaller(owner);
    const admission = sessions.tryInitialize(cap);
    if (admission !== 'ok') return refuseInitialize(res, admission, { open: sessions.size, group }, log);
    const transport: SessionTransport = new SessionTransport({
      sessionIdGenerator: randomUUID,
      ...deps.keepAlive,
      onsessioninitialized: (id: string): void => sessions.add(id, transport, owner, cap),
      onsessionclosed: (id) => sessions.remove(id),
    });
    transport.onclose = () => {
      if (transport.sessionId) sessions.remove(transport.sessionId);
    };
    try {
      await deps.gateway.createServer().connect(transport);
      await transport.handleRequest(req, res, body);
    } finally {
      sessions.settleInitialize(cap);
      // An initialize the transport refused (media types) made no session, so nothing would ever
      // close its connected server: it would stay on the change feed and the live tools for good.
      if (transport.sessionId === undefined) await transport.close();
    }
  };
}

/**
 * The answer to an initialize past a cap: 503 at the listener's (others hold the places), 429 at the
 * caller's own. `group` is an anonymous caller's client address group, undefined for a principal.
 */
function refuseInitialize(
  res: ServerResponse,
  admission: Exclude<InitializeAdmission, 'ok'>,
  { open, group }: { open: number; group: string | undefined },
  log: Logger,
): void {
  if (admission === 'full') {
    log.warn({ sessions: open }, 'session cap reached: initialize refused');
    sendJsonError(res, 503, 'Too many open sessions: retry later, or raise server.http.maxSessions.', {
      'retry-after': '5',
    });
    return;
  }
  if (group !== undefined) {
    refuseAnonymous(res, open, group, log);
    return;
  }
  log.warn({ sessions: open }, "a caller's session cap reached: initialize refused");
  sendJsonError(
    res,
    429,
    'Too many open sessions for this caller: close unused ones (DELETE with their Mcp-Session-Id), let them ' +
      'idle out, or raise server.http.maxSessionsPerPrincipal.',
    { 'retry-after': '5' },
  );
}

/**
 * The 429 of a client without a credential at its address's cap. Behind a reverse proxy that
 * `trustProxy` does not name, every client has the proxy's address: the message says so.
 */
function refuseAnonymous(res: ServerResponse, open: number, group: string, log: Logger): void {
  log.warn({ sessions: open, client: group }, "a client address's session cap reached: initialize refused");
  sendJsonError(
    res,
    429,
    'Too many open sessions from this client address (callers without a credential are counted per ' +
      'address): close unused ones (DELETE with their Mcp-Session-Id), let them idle out, or raise ' +
      'server.http.maxSessionsPerPrincipal. Behind a reverse proxy, list it in server.http.trustProxy ' +
      'so that clients are told apart by X-Forwarded-For.',
    { 'retry-after': '5' },
  );
}
