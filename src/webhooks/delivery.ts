import type { Clock, Logger } from '../core/index.js';
import { claimAll, finish, IN_FLIGHT_GRACE_MS, keepMarks } from './claims.js';
import { parseJson, readPath } from './content.js';
import type { DedupeStore } from './dedupe-store.js';
import { eventIdKey, signatureKey } from './dedupe-keys.js';
import type { WebhookEndpoint } from './endpoint.js';
import { WebhookHandlerTimeoutError } from './errors.js';
import type { WebhookContext, WebhookEvent, WebhookHandlerFn } from './event.js';
import type { WebhookHeaders } from './headers.js';
import { failure, ok, type WebhookResponse } from './responses.js';
import type { Verified } from './verifier.js';
import { errorForLog } from '../core/index.js';

const MAX_ID_LENGTH = 512;
// Types are kept where ids are not (the router's memo, each change's `event`, every log line of the
// delivery): bounded so that a signed body cannot make them as large as itself.
const MAX_TYPE_LENGTH = 512;

/** What the delivery steps share across deliveries: the store, the clock, the running set. */
export interface DeliveryDeps {
  clock: Clock;
  dedupe: DedupeStore;
  dedupeTtlMs: number;
  /** A token unique to this receiver and delivery: the owner of its de-dup marks. */
  nextToken(): string;
  /** Keeps `settled` until it settles, so that `close()` can wait for running handlers. */
  track(settled: Promise<unknown>): void;
  isClosed(): boolean;
}

/** One delivery on its way through the steps. */
interface Delivery {
  ep: WebhookEndpoint;
  headers: WebhookHeaders;
  body: Uint8Array;
  receivedAt: number;
}

/** A verified, parsed delivery with the id it is de-duplicated on and the keys it claims. */
interface Identified extends Delivery {
  verified: Verified;
  payload: unknown;
  id: string;
  eventType: string;
  keys: string[];
  log: Logger;
}

/** The de-dup marks this delivery holds, and how to settle them. */
interface Claimed extends Identified {
  token: string;
  inFlightTtlMs: number;
  retryAfter: string;
  complete(): Promise<void>;
  release(): Promise<void>;
}

/** A step either hands the delivery on or answers it. */
type Step<T> = { next: T } | { answer: WebhookResponse };

/**
 * The receiving pipeline: refuse while closing → verify (401) → parse (400) → identify (400 without
 * an id) → claim (200 duplicate / 503 in flight) → dispatch within the deadline → 200, or 500/503 with
 * the marks released so that the sender's retry runs.
 */
export function deliveryProcessor(
  deps: DeliveryDeps,
): (ep: WebhookEndpoint, headers: WebhookHeaders, body: Uint8Array) => Promise<WebhookResponse> {
  return async (ep, headers, body) => {
    const delivery: Delivery = { ep, headers, body, receivedAt: deps.clock.now() };
    ep.logger.debug({ bytes: body.length }, 'webhook received');
    if (deps.isClosed())
      return failure(503, 'shutting_down', 'The receiver is shutting down; retry later', {
        'retry-after': '5',
      });
    const verified = verify(delivery);
    if ('answer' in verified) return verified.answer;
    const identified = identify(delivery, verified.next);
    if ('answer' in identified) return identified.answer;
    const claimed = await claim(deps, identified.next);
    if ('answer' in claimed) return claimed.answer;
    return dispatch(deps, claimed.next);
  };
}

/** Checks the signature on the exact bytes; a verifier that throws is a bug, answered 401 all the same. */
function verify(d: Delivery): Step<Verified> {
  const log = d.ep.logger;
  let result: ReturnType<WebhookEndpoint['verifier']['verify']>;
  try {
    result = d.ep.verifier.verify(d.body, d.headers, d.receivedAt);
  } catch (err) {
    log.error({ err: errorForLog(err) }, 'webhook verifier threw');
    result = { ok: false, reason: 'malformed_header', message: 'The signature headers could not be read' };
  }
  if (!result.ok) {
    log.warn({ reason: result.reason, detail: result.message }, 'webhook rejected');
    return { answer: failure(401, result.reason, result.message) };
  }
  log.debug({}, 'webhook verified');
  return { next: result };
}

/** Parses the payload and settles the event id, its type and the de-dup keys to claim. */
function identify(d: Delivery, verified: Verified): Step<Identified> {
  const { ep } = d;
  const parsed = parseJson(d.body);
  if ('error' in parsed) {
    ep.logger.warn({ reason: 'invalid_json' }, 'webhook body is not JSON');
    return {
      answer: failure(
        400,
        'invalid_json',
        `${parsed.error}; the signature was valid, so the sender sent it so`,
      ),
    };
  }
  const payload = parsed.value;
  // A configured idPath wins; otherwise the scheme's id header, then the default `id` field.
  const fromHeader = !ep.idPathExplicit && verified.id !== undefined;
  const rawId = fromHeader ? verified.id : readPath(payload, ep.idPath);
  const id = typeof rawId === 'number' && Number.isFinite(rawId) ? String(rawId) : rawId;
  if (typeof id !== 'string' || id.length === 0 || id.length > MAX_ID_LENGTH) {
    ep.logger.warn({ reason: 'missing_event_id' }, 'webhook has no usable event id');
    return {
      answer: failure(
        400,
        'missing_event_id',
        `No event id (header or payload field ${ep.idPath.join('.')}) of 1 to ${MAX_ID_LENGTH} characters`,
      ),
    };
  }
  const eventType = typeOf(verified, payload, ep);
  if (eventType.length > MAX_TYPE_LENGTH) {
    ep.logger.warn({ reason: 'invalid_event_type', length: eventType.length }, 'webhook event type too long');
    return {
      answer: failure(
        400,
        'invalid_event_type',
        `The event type is ${eventType.length} characters long; at most ${MAX_TYPE_LENGTH} are accepted (check the sender's type field)`,
      ),
    };
  }
  // Whoever replays a captured delivery can change, empty, repeat or drop an unsigned id header (and
  // the id then comes from the payload instead): the signed digest is claimed too on every path, so
  // the same signed content is processed once whatever id it arrives under.
  const keys = [eventIdKey(ep.name, id)];
  if (verified.replayKey !== undefined) keys.push(signatureKey(ep.name, verified.replayKey));
  const log = ep.logger.child({ eventId: id, eventType });
  return { next: { ...d, verified, payload, id, eventType, keys, log } };
}

function typeOf(verified: Verified, payload: unknown, ep: WebhookEndpoint): string {
  let type = verified.type ?? readPath(payload, ep.typePath);
  if (verified.type !== undefined) {
    // GitHub: X-GitHub-Event plus the payload's action, e.g. "issues.opened".
    const action = readPath(payload, ['action']);
    if (typeof action === 'string' && action.length > 0) type = `${verified.type}.${action}`;
  }
  return typeof type === 'string' ? type : '';
}

/** Claims every key in the de-dup store: a processed id is a duplicate, a running one a 503. */
async function claim(deps: DeliveryDeps, d: Identified): Promise<Step<Claimed>> {
  const token = deps.nextToken();
  const retryAfter = String(Math.ceil(d.ep.deadlineMs / 1000));
  const inFlightTtlMs = d.ep.deadlineMs + IN_FLIGHT_GRACE_MS;
  let result: Awaited<ReturnType<typeof claimAll>>;
  try {
    result = await claimAll(deps.dedupe, d.keys, token, inFlightTtlMs);
  } catch (err) {
    d.log.error({ err: errorForLog(err) }, 'webhook de-dup store unavailable');
    return {
      answer: failure(503, 'dedupe_unavailable', 'The de-duplication store is unavailable; retry later', {
        'retry-after': retryAfter,
      }),
    };
  }
  if (result === 'done') {
    d.log.info({}, 'webhook duplicate');
    return { answer: ok({ id: d.id, duplicate: true }) };
  }
  if (result === 'in_flight') {
    d.log.info({}, 'webhook duplicate in flight');
    return {
      answer: failure(503, 'in_flight', 'This event id is being processed by another delivery; retry later', {
        'retry-after': retryAfter,
      }),
    };
  }
  const complete = async () => {
    for (const k of d.keys) await deps.dedupe.complete(k, token, deps.dedupeTtlMs);
  };
  const release = async () => {
    for (const k of d.keys) await deps.dedupe.release(k, token);
  };
  return { next: { ...d, token, inFlightTtlMs, retryAfter, complete, release } };
}

/** Runs the matching handlers within the deadline and answers by how they ended. */
async function dispatch(deps: DeliveryDeps, d: Claimed): Promise<WebhookResponse> {
  const { clock } = deps;
  const handlers = d.ep.router.match(d.eventType);
  if (handlers.length === 0) {
    await finish(d.log, d.complete, 'complete');
    d.log.info({}, 'webhook type not handled; acknowledged');
    return ok({ id: d.id, unhandled: true });
  }
  const abort = lazyAbort();
  const work = runAll(handlers, eventOf(d), {
    get signal() {
      return abort.signal();
    },
    logger: d.log,
  });
  // The marks are settled when the handlers settle, even past the deadline: a still-running handler
  // keeps the id (its mark refreshed until then), so a retry cannot run it a second time concurrently.
  const stopRefresh = keepMarks(deps.dedupe, d.keys, d.token, d.inFlightTtlMs, clock, d.log);
  const settled = work.then(
    () => {
      stopRefresh();
      return finish(d.log, d.complete, 'complete');
    },
    () => {
      stopRefresh();
      return finish(d.log, d.release, 'release');
    },
  );
  deps.track(settled);
  const outcome = await withinDeadline(work, d.ep.deadlineMs, clock);
  const durationMs = () => clock.now() - d.receivedAt;
  if (outcome === 'ok') {
    await settled;
    d.log.info({ durationMs: durationMs() }, 'webhook processed');
    return ok({ id: d.id });
  }
  if (outcome === 'timeout') {
    const err = new WebhookHandlerTimeoutError(d.ep.deadlineMs);
    abort.abort(err);
    d.log.error({ err: errorForLog(err), durationMs: durationMs() }, 'webhook handler timed out');
    return failure(503, 'handler_timeout', err.message, { 'retry-after': d.retryAfter });
  }
  await settled;
  d.log.error({ err: errorForLog(outcome.error), durationMs: durationMs() }, 'webhook handler failed');
  return failure(500, 'handler_failed', 'The webhook handler failed; the event was not processed, retry it');
}

function eventOf(d: Claimed): WebhookEvent {
  const event: WebhookEvent = {
    endpoint: d.ep.name,
    id: d.id,
    type: d.eventType,
    payload: d.payload,
    rawBody: d.body,
    headers: d.headers,
    receivedAt: d.receivedAt,
  };
  if (d.verified.timestampMs !== undefined) event.timestampMs = d.verified.timestampMs;
  return event;
}

/** An AbortController made on first read of the signal: most handlers never look at it. */
function lazyAbort(): { signal(): AbortSignal; abort(reason: unknown): void } {
  let controller: AbortController | undefined;
  let reason: unknown;
  return {
    signal() {
      if (!controller) {
        controller = new AbortController();
        if (reason !== undefined) controller.abort(reason);
      }
      return controller.signal;
    },
    abort(r) {
      reason = r;
      controller?.abort(r);
    },
  };
}

async function withinDeadline(
  work: Promise<void>,
  deadlineMs: number,
  clock: Clock,
): Promise<'ok' | 'timeout' | { error: unknown }> {
  let timer: unknown;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = clock.setTimeout(() => resolve('timeout'), deadlineMs);
  });
  try {
    return await Promise.race([
      work.then(
        () => 'ok' as const,
        (error: unknown) => ({ error }),
      ),
      timedOut,
    ]);
  } finally {
    clock.clearTimeout(timer);
  }
}

async function runAll(
  handlers: readonly (readonly WebhookHandlerFn[])[],
  event: WebhookEvent,
  ctx: WebhookContext,
): Promise<void> {
  for (const list of handlers) for (const fn of list) await fn(event, ctx);
}
