import {
  type Attributes,
  type Context,
  context,
  type Link,
  type Span,
  type SpanContext,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { ATTR } from './attributes.js';
import { chainable } from './chained-context.js';
import { clip } from './clip.js';
import { parseTraceparent } from './traceparent.js';

/** What the server span of one MCP request records (all of it from the request, none of it secret). */
export interface McpRequestInfo {
  /** `tools/call`, `resources/read`, … */
  method: string;
  /** The JSON-RPC id (omitted for notifications). */
  requestId?: string | number | undefined;
  /** The tool of a `tools/call`: the span is named `tools/call <tool>`. */
  toolName?: string | undefined;
  /** The prompt of a `prompts/get`: the span is named `prompts/get <prompt>`. */
  promptName?: string | undefined;
  /** The resource of `resources/read` / `subscribe` / `unsubscribe` (an attribute, never the name). */
  resourceUri?: string | undefined;
  sessionId?: string | undefined;
  protocolVersion?: string | undefined;
  /** `pipe` for stdio, `tcp` for Streamable HTTP (then `network.protocol.name` is `http`). */
  transport?: 'pipe' | 'tcp' | undefined;
  /** `params._meta` of the request: its `traceparent` / `tracestate` are the parent. */
  meta?: Readonly<Record<string, unknown>> | undefined;
  /** The HTTP request's `traceparent` / `tracestate` headers: the parent when `_meta` names none. */
  httpTraceparent?: string | null | undefined;
  httpTracestate?: string | null | undefined;
}

/** A remote parent that is this request's transport context, not its own: linked, not the parent. */
function linksOf(fromMeta: SpanContext, fromHttp: SpanContext | undefined): Link[] | undefined {
  return fromHttp && fromHttp.spanId !== fromMeta.spanId ? [{ context: fromHttp }] : undefined;
}

/**
 * Longest name, method, id or version a client's request puts in a span (tool names are short):
 * whole, a client's megabyte-long tool name would make each of its spans a megabyte. Cut here (with
 * `clip`), tighter than the recorder's 4096-unit value limit and in the span name too, which is no
 * attribute; a given tracer (the SDK's) cuts nothing unless its provider sets span limits.
 */
const MAX_CLIENT_NAME = 256;
/** Longest resource URI recorded. */
const MAX_CLIENT_URI = 1024;

/**
 * The span attributes of a request, in one object literal with string-literal keys (V8 builds it
 * from a boilerplate; computed keys would define each property at run time). Undefined values are
 * dropped by the SDK. Keys as in `ATTR`. `method` and `target` come cut short (`clip`), as does the
 * rest of what the client chose.
 */
function requestAttributes(info: McpRequestInfo, method: string, target: string | undefined): Attributes {
  const a: Attributes = {
    'mcp.method.name': method,
    'jsonrpc.request.id':
      info.requestId !== undefined ? clip(String(info.requestId), MAX_CLIENT_NAME) : undefined,
    'mcp.session.id': clip(info.sessionId, MAX_CLIENT_NAME),
    'mcp.protocol.version': clip(info.protocolVersion, MAX_CLIENT_NAME),
    'network.transport': info.transport,
    'network.protocol.name': info.transport === 'tcp' ? 'http' : undefined,
  };
  if (info.toolName !== undefined) {
    a[ATTR.toolName] = target;
    a[ATTR.genAiOperation] = 'execute_tool';
  } else if (info.promptName !== undefined) a[ATTR.promptName] = target;
  if (info.resourceUri !== undefined) a[ATTR.mcpResourceUri] = clip(info.resourceUri, MAX_CLIENT_URI);
  return a;
}

/**
 * Starts the SERVER span of one MCP request, named `{mcp.method.name} {target}` (the tool of a
 * `tools/call`, the prompt of a `prompts/get`; never a resource URI: unbounded cardinality), and
 * returns it with the context to run the handler in. Its parent: `params._meta.traceparent` first (it
 * travels with the message, over stdio too), else the HTTP `traceparent`; when both are there, the
 * HTTP one is a link (the transport's context, per the MCP semantic conventions). `root` is the
 * context the message arrived in.
 */
export function startMcpServerSpan(
  tracer: Tracer,
  info: McpRequestInfo,
  root: Context = context.active(),
): { span: Span; ctx: Context } {
  const metaParent = info.meta?.traceparent;
  const fromMeta = metaParent !== undefined ? parseTraceparent(metaParent, info.meta?.tracestate) : undefined;
  const fromHttp =
    info.httpTraceparent != null ? parseTraceparent(info.httpTraceparent, info.httpTracestate) : undefined;
  const remote = fromMeta ?? fromHttp;
  const base = chainable(root);
  const parent = remote !== undefined ? trace.setSpanContext(base, remote) : base;
  const method = clip(info.method, MAX_CLIENT_NAME);
  const target = clip(info.toolName ?? info.promptName, MAX_CLIENT_NAME);
  const name = target !== undefined ? `${method} ${target}` : method;
  const attributes = requestAttributes(info, method, target);
  const span = tracer.startSpan(
    name,
    fromMeta !== undefined
      ? { kind: SpanKind.SERVER, attributes, links: linksOf(fromMeta, fromHttp) }
      : { kind: SpanKind.SERVER, attributes },
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

/**
 * JSON-RPC codes that say the caller sent what the server could not serve (parse error, invalid
 * request, unknown method, invalid params, resource not found): recorded, but not the server's error.
 */
const CALLER_CODES = new Set([-32700, -32600, -32601, -32602, -32002]);

/**
 * Longest status description kept (the JSON-RPC error message, which the client receives anyway; it
 * may quote what the client sent). Cut with `clip`: whole characters, and a copy.
 */
const MAX_STATUS_MESSAGE = 256;

/**
 * Ends an MCP server span with the JSON-RPC error its request was answered with, per the MCP
 * semantic conventions: `rpc.response.status_code` always; `error.type` (the code) and status ERROR
 * with the error's message unless the code blames the caller.
 */
export function endMcpServerSpanWithError(span: Span, error: { code?: unknown; message?: unknown }): void {
  const code = typeof error.code === 'number' ? String(error.code) : '_OTHER';
  span.setAttribute(ATTR.rpcStatus, code);
  if (!CALLER_CODES.has(error.code as number)) {
    span.setAttribute(ATTR.errorType, code);
    const message = typeof error.message === 'string' ? clip(error.message, MAX_STATUS_MESSAGE) : code;
    span.setStatus({ code: SpanStatusCode.ERROR, message });
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
 * Adds an event to the span of `parent` (a context passed down the call), else to the active span
 * (an application that runs its own context manager), if one records.
 */
export function addEventTo(parent: Context | undefined, name: string, attributes: Attributes): void {
  const span = parent !== undefined ? trace.getSpan(parent) : trace.getActiveSpan();
  if (span?.isRecording()) span.addEvent(name, attributes);
}

/**
 * Runs `fn` in a child span of `parent` (default: the active context), ended when `fn` settles; a
 * rejection marks it failed. `fn` receives the span and the context to pass to what it calls: the
 * context travels as an argument, not through a context manager (an AsyncLocalStorage costs every
 * promise of the process).
 */
export async function inSpan<T>(
  tracer: Tracer,
  name: string,
  attributes: Attributes,
  fn: (span: Span, ctx: Context) => Promise<T>,
  kind: SpanKind = SpanKind.INTERNAL,
  parent: Context = context.active(),
): Promise<T> {
  const span = tracer.startSpan(name, { kind, attributes }, parent);
  try {
    return await fn(span, trace.setSpan(parent, span));
  } catch (err) {
    failSpan(span, err);
    throw err;
  } finally {
    span.end();
  }
}
