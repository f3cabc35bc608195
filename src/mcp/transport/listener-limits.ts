import { createServer, type RequestListener, type Server } from 'node:http';

/** Bounds of one node:http listener against slow or numerous peers. */
export interface ListenerLimits {
  /** Connections open at once; more are dropped on accept. Default 512. */
  maxConnections?: number | undefined;
  /** Time a peer gets to send the request headers, ms. Default 10 s (node's own: 60 s). */
  headersTimeoutMs?: number | undefined;
  /** Time a peer gets to send the whole request, body included, ms. Default 30 s (node's own: 300 s). */
  requestTimeoutMs?: number | undefined;
}

export const DEFAULT_MAX_CONNECTIONS = 512;
export const DEFAULT_HEADERS_TIMEOUT_MS = 10_000;
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/**
 * A node:http server with the limits applied. node checks both timeouts on a timer of its own
 * (`connectionsCheckingInterval`, 30 s by default, which would let a 10 s limit run to 40 s); it is set
 * to a quarter of the shorter timeout here. A peer over a timeout gets 408 and its connection closed.
 */
export function createLimitedServer(limits: ListenerLimits, listener: RequestListener): Server {
  const headersTimeout = limits.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS;
  // node refuses a headers timeout longer than the request timeout.
  const requestTimeout = Math.max(limits.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS, headersTimeout);
  const connectionsCheckingInterval = Math.max(10, Math.min(30_000, Math.floor(headersTimeout / 4)));
  const server = createServer({ headersTimeout, requestTimeout, connectionsCheckingInterval }, listener);
  server.maxConnections = limits.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
  return server;
}
