/**
 * OpenTelemetry traces: spans named and attributed per the MCP, GenAI and HTTP semantic conventions,
 * W3C `traceparent` propagation, and the SDK + OTLP exporter loaded only when configured. Everything
 * here but `startTracing` uses `@opentelemetry/api` alone; callers skip it entirely when they have no
 * tracer (the hot path checks one field).
 */
export { ATTR, EVENT } from './attributes.js';
export { setTraceContext, traceContextOf } from './call-context.js';
export { chainable } from './chained-context.js';
export { ensureContextManager } from './context-manager.js';
export { type SpanExporterLike, startTracing, type Tracing, type TracingOptions } from './sdk.js';
export {
  addActiveEvent,
  addEventTo,
  endMcpServerSpan,
  endMcpServerSpanWithError,
  errorTypeOf,
  failSpan,
  inSpan,
  type McpRequestInfo,
  startMcpServerSpan,
} from './spans.js';
export {
  contextWithRemoteParent,
  formatTraceparent,
  parseTraceparent,
  traceparentOf,
} from './traceparent.js';
export type { Tracer } from '@opentelemetry/api';
