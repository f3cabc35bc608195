import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Clock, ConfigError, type Logger, noopLogger, systemClock, errorForLog } from '../core/index.js';
import { isJsonContentType } from './content.js';
import { DEFAULT_DEDUPE_TTL_MS, type DedupeStore } from './dedupe-store.js';
import { deliveryProcessor } from './delivery.js';
import { WebhookEndpoint, type WebhookEndpointConfig } from './endpoint.js';
import type { WebhookHeaders } from './headers.js';
import { MemoryDedupeStore } from './memory-dedupe-store.js';
import { serveNode } from './node-listener.js';
import { failure, type WebhookResponse } from './responses.js';

export {
  DEFAULT_DEADLINE_MS,
  DEFAULT_MAX_BODY_BYTES,
  WebhookEndpoint,
  type WebhookEndpointConfig,
} from './endpoint.js';

/** Options of `createWebhookHandler`. */
export interface WebhookHandlerOptions {
  endpoints: readonly WebhookEndpointConfig[];
  /** De-duplication store; default an in-process `MemoryDedupeStore` (use Redis across instances). */
  dedupe?: DedupeStore;
  /** How long a processed id is remembered. Default 4 days (senders retry for up to about 3). */
  dedupeTtlMs?: number;
  logger?: Logger;
  clock?: Clock;
  /**
   * Called once for every answer the receiver gives (node:http listener and `handle()` alike), with
   * the endpoint's name (undefined for a path no endpoint serves) and the response; e.g. metrics'
   * `webhookOutcomeHook`. Must not throw (a throw is logged and ignored).
   */
  onOutcome?: (endpoint: string | undefined, response: WebhookResponse) => void;
  /**
   * How long the node:http listener waits for a delivery's body, from the first read; a sender that
   * stops mid-body is answered 408 `body_timeout` and its connection closed. Default 30 s.
   */
  bodyTimeoutMs?: number;
}

/** Default `bodyTimeoutMs`: senders post small bodies at once; 30 s leaves room for a slow link. */
export const DEFAULT_BODY_TIMEOUT_MS = 30_000;

/** A delivery as an adapter hands it over: path, headers (lower-case names) and the raw body. */
export interface WebhookRequest {
  path: string;
  /** Default `POST`. */
  method?: string;
  headers: WebhookHeaders;
  body: Uint8Array;
}

/** A node:http request listener (with optional connect-style `next`) plus the adapter entry point. */
export interface WebhookHandler {
  (req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void): void;
  /** Processes a buffered delivery; never rejects. */
  handle(request: WebhookRequest): Promise<WebhookResponse>;
  /** The endpoint for a request path (query ignored), if any. */
  endpointFor(path: string): WebhookEndpoint | undefined;
  /** Deliveries being processed (including handlers still running past their deadline). */
  readonly inFlight: number;
  /** Answers new deliveries 503 and resolves once every running handler has settled. */
  close(): Promise<void>;
}

/**
 * Creates the webhook receiver: route, method, content type and size checks, then the delivery steps
 * (`deliveryProcessor`): verify (401) → parse (400) → de-dup (200 duplicate / 503 in flight) →
 * dispatch within the deadline → 200, or 500/503 with the id released so the sender's retry runs.
 */
export function createWebhookHandler(options: WebhookHandlerOptions): WebhookHandler {
  const logger = (options.logger ?? noopLogger).child({ component: 'webhooks' });
  const clock = options.clock ?? systemClock;
  const dedupe = options.dedupe ?? new MemoryDedupeStore({ clock });
  const dedupeTtlMs = options.dedupeTtlMs ?? DEFAULT_DEDUPE_TTL_MS;
  if (!Number.isFinite(dedupeTtlMs) || dedupeTtlMs <= 0) {
    throw new ConfigError(`webhooks: dedupeTtlMs must be a positive number, got ${dedupeTtlMs}`);
  }
  const bodyTimeoutMs = options.bodyTimeoutMs ?? DEFAULT_BODY_TIMEOUT_MS;
  if (!Number.isFinite(bodyTimeoutMs) || bodyTimeoutMs <= 0) {
    throw new ConfigError(`webhooks: bodyTimeoutMs must be a positive number, got ${bodyTimeoutMs}`);
  }
  const byPath = new Map<string, WebhookEndpoint>();
  for (const config of options.endpoints ?? []) {
    const ep = new WebhookEndpoint(config, logger);
    if (byPath.has(ep.path)) throw new ConfigError(`webhooks: two endpoints share the path ${ep.path}`);
    byPath.set(ep.path, ep);
  }
  if (byPath.size === 0) throw new ConfigError('webhooks: at least one endpoint is required');

  const instance = randomBytes(6).toString('hex');
  let seq = 0;
  let closed = false;
  const running = new Set<Promise<unknown>>();

  const endpointFor = (path: string): WebhookEndpoint | undefined => {
    const q = path.indexOf('?');
    return byPath.get(q === -1 ? path : path.slice(0, q));
  };

  const processDelivery = deliveryProcessor({
    clock,
    dedupe,
    dedupeTtlMs,
    nextToken: () => `${instance}:${++seq}`,
    track: (settled) => {
      running.add(settled);
      void settled.finally(() => running.delete(settled));
    },
    isClosed: () => closed,
  });

  const onOutcome = options.onOutcome;
  const report = (endpoint: string | undefined, response: WebhookResponse): void => {
    if (!onOutcome) return;
    try {
      onOutcome(endpoint, response);
    } catch (err) {
      logger.warn({ err: errorForLog(err) }, 'webhook onOutcome hook threw');
    }
  };

  const handle = async (request: WebhookRequest): Promise<WebhookResponse> => {
    const r = await answer(request);
    report(endpointFor(request.path)?.name, r);
    return r;
  };

  const answer = async (request: WebhookRequest): Promise<WebhookResponse> => {
    try {
      const ep = endpointFor(request.path);
      if (!ep) return failure(404, 'not_found', `No webhook endpoint at ${request.path.split('?')[0]}`);
      if ((request.method ?? 'POST').toUpperCase() !== 'POST') {
        return failure(405, 'method_not_allowed', 'Webhooks are delivered with POST', { allow: 'POST' });
      }
      if (!isJsonContentType(request.headers['content-type'])) {
        return failure(415, 'unsupported_media_type', 'Content-Type must be application/json');
      }
      if (request.body.length > ep.maxBodyBytes) {
        return failure(413, 'body_too_large', `The body exceeds ${ep.maxBodyBytes} bytes`);
      }
      return await processDelivery(ep, request.headers, request.body);
    } catch (err) {
      logger.error({ err: errorForLog(err) }, 'webhook receiver failed');
      return failure(500, 'internal_error', 'The webhook receiver failed; retry later');
    }
  };

  const listener = ((req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void) => {
    serveNode(req, res, next, { endpointFor, processDelivery, logger, report, clock, bodyTimeoutMs });
  }) as WebhookHandler;
  Object.defineProperties(listener, {
    handle: { value: handle },
    endpointFor: { value: endpointFor },
    inFlight: { get: () => running.size },
    close: {
      value: async () => {
        closed = true;
        while (running.size > 0) await Promise.allSettled([...running]);
      },
    },
  });
  return listener;
}
