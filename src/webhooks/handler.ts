import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Clock, ConfigError, type Logger, noopLogger, systemClock } from '../core/index.js';
import { isJsonContentType, parseJson, readPath } from './content.js';
import { type ClaimResult, DEFAULT_DEDUPE_TTL_MS, type DedupeStore } from './dedupe-store.js';
import { TypeRouter } from './dispatch.js';
import { WebhookHandlerTimeoutError } from './errors.js';
import type { WebhookContext, WebhookEvent, WebhookHandlerFn } from './event.js';
import type { WebhookHeaders } from './headers.js';
import { MemoryDedupeStore } from './memory-dedupe-store.js';
import { serveNode } from './node-listener.js';
import { failure, ok, type WebhookResponse } from './responses.js';
import type { SignatureVerifier } from './verifier.js';

/** One receiving endpoint: where it listens, how deliveries are verified, what runs for which type. */
export interface WebhookEndpointConfig {
  /** Request path, e.g. `/webhooks/stripe` (query strings are ignored when matching). */
  path: string;
  /** Name in logs and in de-dup keys. Default: the path. */
  name?: string;
  /** The signature scheme: `standardWebhooks`, `svix`, `github`, `stripe` or `hmac`. */
  verifier: SignatureVerifier;
  /** Handlers by event type: exact (`invoice.paid`), `prefix.*` or `*`. Arrays run in order. */
  on: Readonly<Record<string, WebhookHandlerFn | readonly WebhookHandlerFn[]>>;
  /**
   * Dotted JSON path of the event id. When set it wins over the scheme's id header; unset, the header
   * (webhook-id, X-GitHub-Delivery, hmac's `idHeader`) is used and `id` is the fallback.
   */
  idPath?: string;
  /** Dotted JSON path of the event type when the scheme has no type header. Default `type`. */
  typePath?: string;
  /** Largest body accepted, in bytes; more is a 413 and reading stops there. Default 1 MiB. */
  maxBodyBytes?: number;
  /** Time the handlers get before the delivery is answered 503 (process-before-ack). Default 10 s. */
  deadlineMs?: number;
}

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
}

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

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
export const DEFAULT_DEADLINE_MS = 10_000;

/** A compiled endpoint. */
export class WebhookEndpoint {
  readonly name: string;
  readonly path: string;
  readonly maxBodyBytes: number;
  readonly deadlineMs: number;
  readonly verifier: SignatureVerifier;
  readonly router: TypeRouter<readonly WebhookHandlerFn[]>;
  readonly idPath: string[];
  /** True when `idPath` was configured: it then wins over the scheme's id header. */
  readonly idPathExplicit: boolean;
  readonly typePath: string[];
  readonly logger: Logger;

  constructor(config: WebhookEndpointConfig, logger: Logger) {
    if (typeof config.path !== 'string' || !config.path.startsWith('/')) {
      throw new ConfigError(
        `webhooks: endpoint path must start with "/", got ${JSON.stringify(config.path)}`,
      );
    }
    if (!config.verifier || typeof config.verifier.verify !== 'function') {
      throw new ConfigError(`webhooks: endpoint ${config.path} needs a verifier (e.g. stripe({ secret }))`);
    }
    this.path = config.path;
    this.name = config.name ?? config.path;
    this.verifier = config.verifier;
    this.maxBodyBytes = positive(config.maxBodyBytes, DEFAULT_MAX_BODY_BYTES, 'maxBodyBytes', this.name);
    this.deadlineMs = positive(config.deadlineMs, DEFAULT_DEADLINE_MS, 'deadlineMs', this.name);
    const routes: Record<string, readonly WebhookHandlerFn[]> = {};
    for (const [pattern, fns] of Object.entries(config.on ?? {})) {
      const list = typeof fns === 'function' ? [fns] : [...fns];
      if (list.some((f) => typeof f !== 'function')) {
        throw new ConfigError(`webhooks: endpoint ${this.name}: handlers for "${pattern}" must be functions`);
      }
      routes[pattern] = list;
    }
    this.router = new TypeRouter(routes);
    this.idPath = (config.idPath ?? 'id').split('.');
    this.idPathExplicit = config.idPath !== undefined;
    this.typePath = (config.typePath ?? 'type').split('.');
    this.logger = logger.child({ endpoint: this.name, scheme: this.verifier.scheme });
  }
}

function positive(value: number | undefined, fallback: number, name: string, endpoint: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) {
    throw new ConfigError(`webhooks: endpoint ${endpoint}: ${name} must be a positive number, got ${value}`);
  }
  return value;
}

const MAX_ID_LENGTH = 512;
// An in-flight mark outlives the deadline so a slow handler keeps it, yet expires soon after a crash.
const IN_FLIGHT_GRACE_MS = 30_000;
// While handlers run, the mark is refreshed this often (well inside its TTL of deadline + grace).
const REFRESH_EVERY_MS = IN_FLIGHT_GRACE_MS / 3;

/**
 * Creates the webhook receiver: verify (401) → parse (400) → de-dup (200 duplicate / 503 in flight) →
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

  async function processDelivery(
    ep: WebhookEndpoint,
    headers: WebhookHeaders,
    body: Uint8Array,
  ): Promise<WebhookResponse> {
    const receivedAt = clock.now();
    const log = ep.logger;
    log.debug({ bytes: body.length }, 'webhook received');
    if (closed)
      return failure(503, 'shutting_down', 'The receiver is shutting down; retry later', {
        'retry-after': '5',
      });

    let verified: ReturnType<SignatureVerifier['verify']>;
    try {
      verified = ep.verifier.verify(body, headers, receivedAt);
    } catch (err) {
      // Verifiers do not throw on input; this is a bug, but it must still not crash the server.
      log.error({ err: errorInfo(err) }, 'webhook verifier threw');
      verified = {
        ok: false,
        reason: 'malformed_header',
        message: 'The signature headers could not be read',
      };
    }
    if (!verified.ok) {
      log.warn({ reason: verified.reason, detail: verified.message }, 'webhook rejected');
      return failure(401, verified.reason, verified.message);
    }
    log.debug({}, 'webhook verified');

    const parsed = parseJson(body);
    if ('error' in parsed) {
      log.warn({ reason: 'invalid_json' }, 'webhook body is not JSON');
      return failure(
        400,
        'invalid_json',
        `${parsed.error}; the signature was valid, so the sender sent it so`,
      );
    }
    const payload = parsed.value;
    // A configured idPath wins; otherwise the scheme's id header, then the default `id` field.
    const fromHeader = !ep.idPathExplicit && verified.id !== undefined;
    const rawId = fromHeader ? verified.id : readPath(payload, ep.idPath);
    const id = typeof rawId === 'number' && Number.isFinite(rawId) ? String(rawId) : rawId;
    if (typeof id !== 'string' || id.length === 0 || id.length > MAX_ID_LENGTH) {
      log.warn({ reason: 'missing_event_id' }, 'webhook has no usable event id');
      return failure(
        400,
        'missing_event_id',
        `No event id (header or payload field ${ep.idPath.join('.')}) of 1 to ${MAX_ID_LENGTH} characters`,
      );
    }
    let type = verified.type ?? readPath(payload, ep.typePath);
    if (verified.type !== undefined) {
      // GitHub: X-GitHub-Event plus the payload's action, e.g. "issues.opened".
      const action = readPath(payload, ['action']);
      if (typeof action === 'string' && action.length > 0) type = `${verified.type}.${action}`;
    }
    const eventType = typeof type === 'string' ? type : '';
    const elog = log.child({ eventId: id, eventType });

    // An id from an unsigned header can be changed by whoever replays a captured delivery: then the
    // signed digest is claimed too, so the same signed content is processed once whatever its id.
    const keys = [`${ep.name}:${id}`];
    if (fromHeader && verified.replayKey !== undefined) keys.push(`${ep.name}:sig:${verified.replayKey}`);
    const token = `${instance}:${++seq}`;
    const retryAfter = String(Math.ceil(ep.deadlineMs / 1000));
    const inFlightTtlMs = ep.deadlineMs + IN_FLIGHT_GRACE_MS;
    const completeAll = async () => {
      for (const k of keys) await dedupe.complete(k, token, dedupeTtlMs);
    };
    const releaseAll = async () => {
      for (const k of keys) await dedupe.release(k, token);
    };
    let claim: Awaited<ReturnType<DedupeStore['claim']>>;
    try {
      claim = await claimAll(dedupe, keys, token, inFlightTtlMs);
    } catch (err) {
      elog.error({ err: errorInfo(err) }, 'webhook de-dup store unavailable');
      return failure(503, 'dedupe_unavailable', 'The de-duplication store is unavailable; retry later', {
        'retry-after': retryAfter,
      });
    }
    if (claim === 'done') {
      elog.info({}, 'webhook duplicate');
      return ok({ id, duplicate: true });
    }
    if (claim === 'in_flight') {
      elog.info({}, 'webhook duplicate in flight');
      return failure(503, 'in_flight', 'This event id is being processed by another delivery; retry later', {
        'retry-after': retryAfter,
      });
    }

    const handlers = ep.router.match(eventType);
    if (handlers.length === 0) {
      await finish(elog, completeAll, 'complete');
      elog.info({}, 'webhook type not handled; acknowledged');
      return ok({ id, unhandled: true });
    }

    const event: WebhookEvent = {
      endpoint: ep.name,
      id,
      type: eventType,
      payload,
      rawBody: body,
      headers,
      receivedAt,
    };
    if (verified.timestampMs !== undefined) event.timestampMs = verified.timestampMs;
    // The AbortController is made on first read of ctx.signal: most handlers never look at it.
    let controller: AbortController | undefined;
    let abortReason: unknown;
    const ctx: WebhookContext = {
      get signal() {
        if (!controller) {
          controller = new AbortController();
          if (abortReason !== undefined) controller.abort(abortReason);
        }
        return controller.signal;
      },
      logger: elog,
    };
    const work = runAll(handlers, event, ctx);
    // The mark is settled when the handlers settle, even past the deadline: a still-running handler
    // keeps the id (its mark refreshed until then), so a retry cannot run it a second time concurrently.
    const stopRefresh = keepMarks(dedupe, keys, token, inFlightTtlMs, clock, elog);
    const settled = work.then(
      () => {
        stopRefresh();
        return finish(elog, completeAll, 'complete');
      },
      () => {
        stopRefresh();
        return finish(elog, releaseAll, 'release');
      },
    );
    running.add(settled);
    void settled.finally(() => running.delete(settled));

    let timer: unknown;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = clock.setTimeout(() => resolve('timeout'), ep.deadlineMs);
    });
    const outcome = await Promise.race([
      work.then(
        () => 'ok' as const,
        (err: unknown) => err,
      ),
      timedOut,
    ]);
    clock.clearTimeout(timer);
    if (outcome === 'ok') {
      await settled;
      elog.info({ durationMs: clock.now() - receivedAt }, 'webhook processed');
      return ok({ id });
    }
    if (outcome === 'timeout') {
      const err = new WebhookHandlerTimeoutError(ep.deadlineMs);
      abortReason = err;
      controller?.abort(err);
      elog.error({ err: errorInfo(err), durationMs: clock.now() - receivedAt }, 'webhook handler timed out');
      return failure(503, 'handler_timeout', err.message, { 'retry-after': retryAfter });
    }
    await settled;
    elog.error({ err: errorInfo(outcome), durationMs: clock.now() - receivedAt }, 'webhook handler failed');
    return failure(
      500,
      'handler_failed',
      'The webhook handler failed; the event was not processed, retry it',
    );
  }

  const onOutcome = options.onOutcome;
  const report = (endpoint: string | undefined, response: WebhookResponse): void => {
    if (!onOutcome) return;
    try {
      onOutcome(endpoint, response);
    } catch (err) {
      logger.warn({ err: errorInfo(err) }, 'webhook onOutcome hook threw');
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
      logger.error({ err: errorInfo(err) }, 'webhook receiver failed');
      return failure(500, 'internal_error', 'The webhook receiver failed; retry later');
    }
  };

  const listener = ((req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void) => {
    serveNode(req, res, next, { endpointFor, processDelivery, logger, report });
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

async function runAll(
  handlers: readonly (readonly WebhookHandlerFn[])[],
  event: WebhookEvent,
  ctx: WebhookContext,
) {
  for (const list of handlers) for (const fn of list) await fn(event, ctx);
}

/**
 * Claims every key for this delivery; if one is taken, gives back those it already took and reports
 * the taken one's state (`done` wins over `in_flight`). A store failure also gives back what was taken,
 * and the key whose claim failed.
 */
async function claimAll(
  store: DedupeStore,
  keys: readonly string[],
  token: string,
  ttlMs: number,
): Promise<ClaimResult> {
  const taken: string[] = [];
  let claiming: string | undefined;
  try {
    for (const k of keys) {
      claiming = k;
      const r = await store.claim(k, token, ttlMs);
      if (r !== 'claimed') {
        for (const t of taken) await store.release(t, token);
        return r;
      }
      taken.push(k);
    }
    return 'claimed';
  } catch (err) {
    // A claim that failed at the client (a command timeout) may still be applied by the store later,
    // and would then block the id for the in-flight TTL with a mark nobody holds. Releasing it too is
    // safe (compare-and-delete on this delivery's token) and, on Redis, queued behind the claim; not
    // awaited, so the sender's 503 is not held up by a store that is not answering.
    if (claiming !== undefined && !taken.includes(claiming))
      void Promise.resolve()
        .then(() => store.release(claiming!, token))
        .catch(() => {});
    for (const t of taken) await store.release(t, token).catch(() => {});
    throw err;
  }
}

/**
 * Refreshes the in-flight marks every `REFRESH_EVERY_MS` on an unref'd clock timer until the returned
 * stop function is called (when the work settles). A store without `extend` is left to its TTL.
 */
function keepMarks(
  store: DedupeStore,
  keys: readonly string[],
  token: string,
  ttlMs: number,
  clock: Clock,
  log: Logger,
): () => void {
  if (store.extend === undefined) return () => {};
  let stopped = false;
  let timer: ReturnType<Clock['setTimeout']> | undefined;
  const tick = async () => {
    timer = undefined;
    for (const k of keys) {
      try {
        const held = await store.extend!(k, token, ttlMs);
        // After stop the work has settled and the mark was completed/released on purpose.
        if (!held && !stopped) log.warn({ op: 'extend' }, 'webhook in-flight mark lost');
      } catch (err) {
        log.error({ err: errorInfo(err), op: 'extend' }, 'webhook de-dup store update failed');
      }
    }
    if (!stopped) timer = clock.setTimeout(() => void tick(), REFRESH_EVERY_MS);
  };
  timer = clock.setTimeout(() => void tick(), REFRESH_EVERY_MS);
  return () => {
    stopped = true;
    if (timer !== undefined) clock.clearTimeout(timer);
    timer = undefined;
  };
}

async function finish(log: Logger, op: () => Promise<void>, what: string): Promise<void> {
  try {
    await op();
  } catch (err) {
    // complete: the event was processed; the in-flight mark expires on its own. release: same, later retry.
    log.error({ err: errorInfo(err), op: what }, 'webhook de-dup store update failed');
  }
}

/** Name, code and message only: no stack, no cause chain that might carry payload or secrets. */
export function errorInfo(err: unknown): Record<string, unknown> {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return { name: err.name, message: err.message, ...(typeof code === 'string' ? { code } : {}) };
  }
  return { message: String(err) };
}
