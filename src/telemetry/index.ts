/**
 * OpenTelemetry traces: spans named and attributed per the MCP, GenAI and HTTP semantic conventions,
 * W3C `traceparent` propagation, and a recorder with an OTLP/HTTP JSON exporter started only when
 * configured. Every module uses `@opentelemetry/api` alone, so any tracer works (the SDK's too);
 * callers skip tracing entirely when they have no tracer (the hot path checks one field).
 */
export { ATTR, EVENT } from './attributes.js';
export { setTraceContext, traceContextOf } from './call-context.js';
export { chainable } from './chained-context.js';
export { ensureContextManager } from './context-manager.js';
export { type SpanExporterLike, startTracing, type Tracing, type TracingOptions } from './start-tracing.js';
export type { SpanDropReason } from './recorder/otlp-exporter.js';
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
