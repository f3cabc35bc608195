import type { Context } from '@opentelemetry/api';

/** Where a request's trace context rides on the handler context the MCP SDK builds per request. */
const TRACE_CONTEXT: unique symbol = Symbol('conduit.traceContext');

type Carrier = { [TRACE_CONTEXT]?: Context };

/**
 * Puts the trace context of a request on its per-request handler context (`ServerContext`), so the
 * tool that serves it parents its spans on the request's span without a context manager.
 */
export function setTraceContext(carrier: object, ctx: Context): void {
  (carrier as Carrier)[TRACE_CONTEXT] = ctx;
}

/** The trace context `setTraceContext` put on a handler context, if any. */
export function traceContextOf(carrier: object | undefined): Context | undefined {
  return (carrier as Carrier | undefined)?.[TRACE_CONTEXT];
}
