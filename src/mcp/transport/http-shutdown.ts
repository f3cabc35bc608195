import type { Server } from 'node:http';
import type { Logger } from '../../core/index.js';
import type { Gateway } from '../gateway/gateway.js';
import type { PostTracker } from './post-tracker.js';
import type { SessionRegistry } from './session-registry.js';

/** After the deadline aborts running calls, how long their error results get to be written. */
const ABORT_GRACE_MS = 1000;

/** What an HTTP listener shuts down, in order. */
export interface ShutdownParts {
  server: Server;
  gateway: Gateway;
  sessions: SessionRegistry;
  posts: PostTracker;
  /** The SDK's request handlers (their per-request servers and streams). */
  handlers: readonly ({ close(): Promise<void> } | undefined)[];
  logger: Logger;
}

/**
 * Graceful shutdown of one listener: stop accepting → let running tool calls finish up to
 * `deadlineMs` → abort the rest and give their results a moment to be written → wait for POST answers
 * still being written → close the sessions and handlers → close every socket.
 */
export async function shutdownHttp(parts: ShutdownParts, deadlineMs: number): Promise<void> {
  const { server, gateway, logger } = parts;
  const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const started = Date.now();
  logger.info({ inFlight: gateway.inFlight, deadlineMs }, 'shutting down: waiting for calls in flight');
  let finished = await gateway.drain(deadlineMs);
  if (!finished) {
    logger.warn({ inFlight: gateway.inFlight }, 'shutdown deadline reached: aborting the calls in flight');
    // The aborted calls return their "cut short" results at once; let those reach the clients.
    finished = await gateway.drain(ABORT_GRACE_MS);
  }
  // Tool handlers are done; give their responses the rest of the deadline to be written.
  if (finished) await parts.posts.settled(Math.max(ABORT_GRACE_MS, deadlineMs - (Date.now() - started)));
  await parts.sessions.closeAll();
  await Promise.allSettled(parts.handlers.map((h) => h?.close()));
  server.closeAllConnections();
  await stopped;
}
