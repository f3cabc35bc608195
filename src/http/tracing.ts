import { type Attributes, type Context, context, type Span, SpanKind, type Tracer } from '@opentelemetry/api';
import type { CircuitBreaker, RetryEvent, StateChangeEvent } from '../resilience/index.js';
import { ATTR, addEventTo, EVENT, errorTypeOf, failSpan, formatTraceparent } from '../telemetry/index.js';
import type { Call } from './call.js';
import type { Redactor } from './redact.js';

/**
 * Host and port of an origin, for `server.address` / `server.port` (parsed once per client); no port
 * when the host is a secret.
 */
export interface ServerAddress {
  readonly host: string;
  readonly port: number | undefined;
}

/**
 * The origin's host and port; when `redactor` finds a secret in the host (a part of it, or it as part
 * of a longer value: the config lists the host of a URL an `${ENV}` value reaches into), the
 * upstream's `name` instead and no port, which tell the same upstream apart without any of the value.
 */
export function serverAddressOf(origin: string, redactor: Redactor, name: string): ServerAddress {
  const url = new URL(origin);
  if (redactor.scrub(url.host) !== url.host || redactor.scrub(url.hostname) !== url.hostname)
    return { host: name, port: undefined };
  const port = url.port !== '' ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
  return { host: url.hostname, port };
}

/**
 * The CLIENT span of one upstream attempt, a child of the call's `traceContext` (the tool call's span,
 * or its cache lookup's; else the active span), named `{method} {url.template}` per the HTTP conventions. `url.full` is the URL as logs
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
  // String-literal keys (keys as in ATTR): V8 builds the object from a boilerplate.
  const attributes: Attributes = {
    'http.request.method': call.method,
    'url.template': call.route,
    'url.full': call.logUrl,
    'server.address': server.host,
    'server.port': server.port,
    'conduit.upstream': upstream,
  };
  if (server.port === undefined) delete attributes['server.port'];
  if (attempt > 1) attributes[ATTR.retryCount] = attempt - 1;
  const span = tracer.startSpan(
    `${call.method} ${call.route}`,
    { kind: SpanKind.CLIENT, attributes },
    call.traceContext ?? context.active(),
  );
  // A breaker that left `open` as it admitted this attempt said so just now, synchronously.
  if (admitted !== undefined) {
    addEventTo(call.traceContext, EVENT.breaker, admitted);
    admitted = undefined;
  }
  const sc = span.spanContext();
  const headers = call.dispatchOptions.headers as Record<string, string>;
  call.dispatchOptions.headers = { ...headers, traceparent: formatTraceparent(sc) };
  return span;
}

/**
 * The call context of each attempt's outcome (its error, or its response), so the retry and breaker
 * events, which see only the outcome, land on the span of the call it belongs to.
 */
const outcomes = new WeakMap<object, Context>();

/** Ends an attempt span with the status that came back, or the failure. */
export function endAttemptSpan(
  span: Span,
  call: Call,
  status: number | undefined,
  outcome: unknown,
  err?: unknown,
): void {
  const s = status ?? (err as { status?: unknown } | undefined)?.status;
  if (typeof s === 'number') span.setAttribute(ATTR.httpStatus, s);
  if (err !== undefined) failSpan(span, err);
  span.end();
  if (call.traceContext !== undefined && typeof outcome === 'object' && outcome !== null)
    outcomes.set(outcome, call.traceContext);
}

/** A retry's wait as an event of the call's span: which attempt failed, how long until the next, why. */
export function traceRetry(e: RetryEvent): void {
  const outcome = e.error ?? e.result;
  const parent = typeof outcome === 'object' && outcome !== null ? outcomes.get(outcome) : undefined;
  addEventTo(parent, EVENT.retry, {
    'conduit.retry.attempt': e.attempt,
    'conduit.retry.delay_ms': Math.round(e.delayMs),
    'conduit.retry.reason': e.error !== undefined ? errorTypeOf(e.error) : 'result',
  });
}

/** A breaker transition that admits the attempt about to start (`recovery-elapsed`), for its span. */
let admitted: Attributes | undefined;

/**
 * Breaker transitions as events of the span of the call that caused them: the one whose outcome the
 * breaker was recording (told synchronously by its `failure` / `success` event just before), or the
 * one it admitted on leaving `open`; else (store, isolate, reset) the active span, if any.
 */
export function traceBreaker(breaker: CircuitBreaker): CircuitBreaker {
  let settling: Context | undefined;
  const note = (e: { error?: unknown; result?: unknown }) => {
    const outcome = e.error ?? e.result;
    settling = typeof outcome === 'object' && outcome !== null ? outcomes.get(outcome) : undefined;
  };
  breaker.on('failure', note);
  breaker.on('success', note);
  breaker.on('stateChange', (e: StateChangeEvent) => {
    const attributes = {
      'conduit.breaker.name': breaker.snapshot().name,
      'conduit.breaker.from': e.from,
      'conduit.breaker.to': e.to,
      'conduit.breaker.reason': e.reason,
    };
    if (e.reason === 'recovery-elapsed') {
      // The admitted attempt starts synchronously after this; nothing else may take it later.
      admitted = attributes;
      queueMicrotask(() => {
        if (admitted === attributes) admitted = undefined;
      });
    } else addEventTo(SETTLING.has(e.reason) ? settling : undefined, EVENT.breaker, attributes);
    settling = undefined;
  });
  return breaker;
}

/** The transitions a call's outcome causes. */
const SETTLING = new Set(['failures', 'probe-failed', 'probe-succeeded']);
