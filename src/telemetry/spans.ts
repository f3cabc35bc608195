import {
  type Attributes,
  type Context,
  context,
  type Link,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { ATTR } from './attributes.js';
import { parseTraceparent } from './traceparent.js';

/** What the server span of one MCP request records (all of it from the request, none of it secret). */
export interface McpRequestInfo {
  /** `tools/call`, `resources/read`, … */
  method: string;
  /** The JSON-RPC id (omitted for notifications). */
  requestId?: string | number | undefined;
  /** The tool of a `tools/call`: the span is named `tools/call <tool>`. */
  toolName?: string | undefined;
  sessionId?: string | undefined;
  protocolVersion?: string | undefined;
  /** `pipe` for stdio, `tcp` for Streamable HTTP. */
  transport?: 'pipe' | 'tcp' | undefined;
  /** `params._meta` of the request: its `traceparent` / `tracestate` are the parent. */
  meta?: Readonly<Record<string, unknown>> | undefined;
  /** The HTTP request's `traceparent` / `tracestate` headers: the parent when `_meta` names none. */
  httpTraceparent?: string | null | undefined;
  httpTracestate?: string | null | undefined;
}

/**
 * The parent of an MCP server span and its links: `params._meta.traceparent` first (it travels with the
 * message, over stdio too), else the HTTP `traceparent`; when both are there, the HTTP one is a link
 * (the transport's context, per the MCP semantic conventions).
 */
function parentOf(info: McpRequestInfo): { parent: Context; links: Link[] | undefined } {
  const root = context.active();
  const fromMeta = parseTraceparent(info.meta?.traceparent, info.meta?.tracestate);
  const fromHttp =
    info.httpTraceparent != null ? parseTraceparent(info.httpTraceparent, info.httpTracestate) : undefined;
  if (fromMeta) {
    const links = fromHttp && fromHttp.spanId !== fromMeta.spanId ? [{ context: fromHttp }] : undefined;
    return { parent: trace.setSpanContext(root, fromMeta), links };
  }
  return { parent: fromHttp ? trace.setSpanContext(root, fromHttp) : root, links: undefined };
}

/**
 * Starts the SERVER span of one MCP request, named `{mcp.method.name} {target}` (the tool name for
 * `tools/call`), and returns it with the context to run the handler in.
 */
export function startMcpServerSpan(tracer: Tracer, info: McpRequestInfo): { span: Span; ctx: Context } {
  const attributes: Attributes = { [ATTR.mcpMethod]: info.method };
  if (info.requestId !== undefined) attributes[ATTR.jsonrpcRequestId] = String(info.requestId);
  if (info.toolName !== undefined) {
    attributes[ATTR.toolName] = info.toolName;
    attributes[ATTR.genAiOperation] = 'execute_tool';
  }
  if (info.sessionId !== undefined) attributes[ATTR.mcpSession] = info.sessionId;
  if (info.protocolVersion !== undefined) attributes[ATTR.mcpProtocolVersion] = info.protocolVersion;
  if (info.transport !== undefined) attributes[ATTR.networkTransport] = info.transport;
  const { parent, links } = parentOf(info);
  const name = info.toolName !== undefined ? `${info.method} ${info.toolName}` : info.method;
  const span = tracer.startSpan(
    name,
    { kind: SpanKind.SERVER, attributes, ...(links ? { links } : {}) },
    parent,
  );
  return { span, ctx: trace.setSpan(parent, span) };
}

/** Ends an MCP server span: a tool result with `isError` is `error.type=tool_error` and status ERROR. */
export function endMcpServerSpan(span: Span, result: { isError?: boolean } | undefined, err?: unknown): void {
  if (err !== undefined) failSpan(span, err);
  else if (result?.isError === true) {
    span.setAttribute(ATTR.errorType, 'tool_error');
    span.setStatus({ code: SpanStatusCode.ERROR });
  }
  span.end();
}

/** `error.type` of a failure: the HTTP status of a status error, else its Conduit code or class name. */
export function errorTypeOf(err: unknown): string {
  const e = err as { status?: unknown; code?: unknown; name?: unknown } | null;
  if (typeof e?.status === 'number') return String(e.status);
  if (typeof e?.code === 'string') return e.code;
  if (typeof e?.name === 'string') return e.name;
  return '_OTHER';
}

/**
 * Marks a span failed with `error.type` and status ERROR. No exception event: error messages quote
 * URLs and upstream text, and the span needs neither.
 */
export function failSpan(span: Span, err: unknown): void {
  const type = errorTypeOf(err);
  span.setAttribute(ATTR.errorType, type);
  span.setStatus({ code: SpanStatusCode.ERROR, message: type });
}

/** Adds an event to the span active in the current context, if one records. */
export function addActiveEvent(name: string, attributes: Attributes): void {
  const span = trace.getActiveSpan();
  if (span?.isRecording()) span.addEvent(name, attributes);
}

/**
 * Runs `fn` in a child span of the active one (ended when `fn` settles; a rejection marks it failed).
 * `fn` receives the span to add attributes to.
 */
export async function inSpan<T>(
  tracer: Tracer,
  name: string,
  attributes: Attributes,
  fn: (span: Span) => Promise<T>,
  kind: SpanKind = SpanKind.INTERNAL,
): Promise<T> {
  const parent = context.active();
  const span = tracer.startSpan(name, { kind, attributes }, parent);
  try {
    return await context.with(trace.setSpan(parent, span), () => fn(span));
  } catch (err) {
    failSpan(span, err);
    throw err;
  } finally {
    span.end();
  }
}
