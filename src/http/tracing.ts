import { context, type Span, SpanKind, type Tracer, trace } from '@opentelemetry/api';
import type { CircuitBreaker, RetryEvent, StateChangeEvent } from '../resilience/index.js';
import { ATTR, addActiveEvent, EVENT, errorTypeOf, failSpan, formatTraceparent } from '../telemetry/index.js';
import type { Call } from './call.js';

/** Host and port of an origin, for `server.address` / `server.port` (parsed once per client). */
export interface ServerAddress {
  readonly host: string;
  readonly port: number;
}

export function serverAddressOf(origin: string): ServerAddress {
  const url = new URL(origin);
  const port = url.port !== '' ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
  return { host: url.hostname, port };
}

/**
 * The CLIENT span of one upstream attempt, a child of the active span (the tool call's, or its cache
 * lookup's), named `{method} {url.template}` per the HTTP conventions. `url.full` is the URL as logs
 * show it: secret query parameters and credentials redacted. Its `traceparent` goes on this attempt's
 * request (a copy of the headers: the defaults object is shared by every call).
 */
export function startAttemptSpan(
  tracer: Tracer,
  call: Call,
  attempt: number,
  server: ServerAddress,
  upstream: string,
): Span {
  const span = tracer.startSpan(
    `${call.method} ${call.route}`,
    {
      kind: SpanKind.CLIENT,
      attributes: {
        [ATTR.httpMethod]: call.method,
        [ATTR.urlTemplate]: call.route,
        [ATTR.urlFull]: call.logUrl,
        [ATTR.serverAddress]: server.host,
        [ATTR.serverPort]: server.port,
        [ATTR.upstream]: upstream,
        ...(attempt > 1 ? { [ATTR.retryCount]: attempt - 1 } : {}),
      },
    },
    context.active(),
  );
  const sc = span.spanContext();
  const headers = call.dispatchOptions.headers as Record<string, string>;
  call.dispatchOptions.headers = { ...headers, traceparent: formatTraceparent(sc) };
  return span;
}

/** Ends an attempt span with the status that came back, or the failure. */
export function endAttemptSpan(span: Span, status: number | undefined, err?: unknown): void {
  const s = status ?? (err as { status?: unknown } | undefined)?.status;
  if (typeof s === 'number') span.setAttribute(ATTR.httpStatus, s);
  if (err !== undefined) failSpan(span, err);
  span.end();
}

/** A retry's wait as an event of the active span: which attempt failed, how long until the next, why. */
export function traceRetry(e: RetryEvent): void {
  addActiveEvent(EVENT.retry, {
    'conduit.retry.attempt': e.attempt,
    'conduit.retry.delay_ms': Math.round(e.delayMs),
    'conduit.retry.reason': e.error !== undefined ? errorTypeOf(e.error) : 'result',
  });
}

/** Breaker transitions as events of the span active when they happen (the call that tipped it). */
export function traceBreaker(breaker: CircuitBreaker): CircuitBreaker {
  breaker.on('stateChange', (e: StateChangeEvent) => {
    if (trace.getActiveSpan() === undefined) return;
    addActiveEvent(EVENT.breaker, {
      'conduit.breaker.name': breaker.snapshot().name,
      'conduit.breaker.from': e.from,
      'conduit.breaker.to': e.to,
      'conduit.breaker.reason': e.reason,
    });
  });
  return breaker;
}
