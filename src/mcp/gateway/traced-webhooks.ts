import { AsyncLocalStorage } from 'node:async_hooks';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Context, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { ATTR, addEventTo, contextWithRemoteParent, EVENT, type Tracer } from '../../telemetry/index.js';
import type { CacheInvalidator, WebhookHandler, WebhookResponse } from '../../webhooks/index.js';

/**
 * The context of the webhook delivery being handled. The receiver's actions (invalidate, publish)
 * take no context argument, so it follows them through an AsyncLocalStorage of their own — enabled
 * only while a delivery is in flight: an enabled one costs every promise of the process, tool calls
 * included.
 */
const deliveries = new AsyncLocalStorage<Context>();
let inFlight = 0;

/** The trace context of the webhook delivery the caller runs in, if any. */
export function deliveryContext(): Context | undefined {
  return inFlight > 0 ? deliveries.getStore() : undefined;
}

/**
 * The webhook receiver with a SERVER span per delivery (parent: the sender's `traceparent`, when it
 * sends one), named `webhook <endpoint>`, ended when the answer is sent. The invalidations and
 * notifications the delivery causes run inside it: invalidations are its events, and each
 * notification carries its `traceparent` to every instance (see `traceChanges`).
 */
export function tracedWebhookHandler(handler: WebhookHandler, tracer: Tracer): WebhookHandler {
  const listener = ((req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void) => {
    const parent = contextWithRemoteParent(ROOT_CONTEXT, req.headers.traceparent, req.headers.tracestate);
    const span = tracer.startSpan(
      'webhook',
      { kind: SpanKind.SERVER, attributes: { [ATTR.httpMethod]: req.method ?? 'POST' } },
      parent,
    );
    inFlight++;
    res.once('close', () => {
      span.end();
      if (--inFlight === 0) deliveries.disable();
    });
    deliveries.run(trace.setSpan(parent, span), () => handler(req, res, next));
  }) as WebhookHandler;
  Object.defineProperties(listener, {
    handle: { value: handler.handle.bind(handler) },
    endpointFor: { value: handler.endpointFor.bind(handler) },
    inFlight: { get: () => handler.inFlight },
    close: { value: () => handler.close() },
  });
  return listener;
}

/** The delivery's outcome on its span (called from the receiver's `onOutcome`, inside the span). */
export function traceWebhookOutcome(
  endpoint: string | undefined,
  response: WebhookResponse,
  outcome: string,
): void {
  const ctx = deliveryContext();
  const span = ctx !== undefined ? trace.getSpan(ctx) : undefined;
  if (!span?.isRecording()) return;
  span.updateName(`webhook ${endpoint ?? '(unmatched)'}`);
  if (endpoint !== undefined) span.setAttribute(ATTR.webhookEndpoint, endpoint);
  span.setAttribute(ATTR.webhookOutcome, outcome);
  span.setAttribute(ATTR.httpStatus, response.status);
  if (response.status >= 500) {
    span.setAttribute(ATTR.errorType, String(response.status));
    span.setStatus({ code: SpanStatusCode.ERROR });
  }
}

/**
 * The webhook actions' cache, whose invalidations are events of the delivery's span. `redact` scrubs
 * the tags and pattern shown there (a template may hold a `${ENV}` value); the cache gets them as they are.
 */
export function tracedInvalidator(
  cache: CacheInvalidator,
  redact: (text: string) => string,
): CacheInvalidator {
  return {
    delete: (key) => {
      addEventTo(deliveryContext() ?? ROOT_CONTEXT, EVENT.invalidate, { 'conduit.cache.keys': 1 });
      return cache.delete(key);
    },
    invalidateTags: (tags) => {
      addEventTo(deliveryContext() ?? ROOT_CONTEXT, EVENT.invalidate, { [ATTR.cacheTags]: tags.map(redact) });
      return cache.invalidateTags(tags);
    },
    invalidatePattern: (glob) => {
      addEventTo(deliveryContext() ?? ROOT_CONTEXT, EVENT.invalidate, {
        'conduit.cache.pattern': redact(glob),
      });
      return cache.invalidatePattern(glob);
    },
  };
}
