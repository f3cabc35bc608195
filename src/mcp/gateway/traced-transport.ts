import type { JSONRPCMessage, MessageExtraInfo, Transport } from '@modelcontextprotocol/server';
import type { Context, Span } from '@opentelemetry/api';
import {
  endMcpServerSpan,
  endMcpServerSpanWithError,
  type McpRequestInfo,
  startMcpServerSpan,
  type Tracer,
} from '../../telemetry/index.js';
import { cameOverHttp, httpHeaderOf } from '../transport/message-extra.js';

/** Where a 2026-07-28 request names its protocol revision (its `_meta` envelope). */
const PROTOCOL_VERSION_KEY = 'io.modelcontextprotocol/protocolVersion';

type Handler = NonNullable<Transport['onmessage']>;
type Params = Record<string, unknown> & { _meta?: Record<string, unknown> };
interface Incoming {
  method?: unknown;
  id?: string | number;
  params?: Params;
}
interface Outgoing {
  id?: string | number;
  result?: { isError?: unknown; protocolVersion?: unknown };
  error?: { code?: unknown; message?: unknown };
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** What a request's span records: its method, id, target, session, protocol and trace parents. */
function requestInfo(
  msg: Incoming,
  method: string,
  extra: MessageExtraInfo | undefined,
  transport: Transport,
  negotiated: string | undefined,
): McpRequestInfo {
  const params = msg.params;
  const meta = params?._meta;
  const version =
    str(meta?.[PROTOCOL_VERSION_KEY]) ??
    extra?.classification?.revision ??
    negotiated ??
    httpHeaderOf(extra, 'mcp-protocol-version');
  return {
    method,
    requestId: msg.id,
    toolName: method === 'tools/call' ? str(params?.name) : undefined,
    promptName: method === 'prompts/get' ? str(params?.name) : undefined,
    resourceUri: method.startsWith('resources/') ? str(params?.uri) : undefined,
    sessionId: transport.sessionId,
    protocolVersion: version,
    transport: cameOverHttp(extra) ? 'tcp' : 'pipe',
    meta,
    httpTraceparent: httpHeaderOf(extra, 'traceparent'),
    httpTracestate: httpHeaderOf(extra, 'tracestate'),
  };
}

/** The span of a request waiting for its response, and the context its handler's spans start from. */
interface Pending {
  readonly span: Span;
  readonly ctx: Context;
}

/** The trace context of a request this transport carries and has not answered yet, by JSON-RPC id. */
export type RequestContexts = (id: string | number) => Context | undefined;

/**
 * The SERVER span of every MCP request and notification a transport carries, whatever its method
 * (`initialize`, `tools/list`, `resources/read`, `ping`, …): the span starts when the message arrives
 * and its context is kept by JSON-RPC id until the response (the returned lookup: the handlers find
 * it there, so the cache lookup and upstream attempts are its children without a context manager);
 * it ends when the response with the same JSON-RPC id is sent (a notification's when its handler was
 * dispatched). The transport is decorated in place — `start` and `send` wrapped, its `onmessage`
 * wrapped as `start` is called (the protocol layer installs its handlers before, by contract) — so the
 * same seam serves stdio and Streamable HTTP of both protocol eras, and uses no SDK internals.
 */
export function traceTransport(transport: Transport, tracer: Tracer): RequestContexts {
  const pending = new Map<string | number, Pending>();
  // The 2025-era version a session's initialize settled on (later requests over stdio name none).
  let negotiated: string | undefined;
  const start = transport.start;
  const send = transport.send;

  const onResponse = (msg: Outgoing): void => {
    const entry = pending.get(msg.id!);
    if (entry === undefined) return;
    pending.delete(msg.id!);
    const span = entry.span;
    if (msg.error !== undefined) {
      endMcpServerSpanWithError(span, msg.error);
      return;
    }
    const version = msg.result?.protocolVersion;
    if (typeof version === 'string') {
      negotiated = version;
      span.setAttribute('mcp.protocol.version', version);
      if (transport.sessionId !== undefined) span.setAttribute('mcp.session.id', transport.sessionId);
    }
    endMcpServerSpan(span, msg.result as { isError?: boolean } | undefined);
  };

  const traced = (handler: Handler): Handler =>
    function tracedMessage(message: JSONRPCMessage, extra?: MessageExtraInfo): void {
      const msg = message as Incoming;
      const method = msg.method;
      // Responses to the server's own requests (sampling, elicitation) have no span of their own here.
      if (typeof method !== 'string') {
        handler(message, extra);
        return;
      }
      const info = requestInfo(msg, method, extra, transport, negotiated);
      const { span, ctx } = startMcpServerSpan(tracer, info);
      if (msg.id === undefined) {
        try {
          handler(message, extra);
        } finally {
          span.end();
        }
        return;
      }
      pending.get(msg.id)?.span.end();
      pending.set(msg.id, { span, ctx });
      handler(message, extra);
    };

  transport.start = function tracedStart(this: Transport) {
    const handler = transport.onmessage;
    if (handler) transport.onmessage = traced(handler);
    const onclose = transport.onclose;
    // A connection that closes with requests unanswered: their spans end, marked as such.
    transport.onclose = () => {
      for (const { span } of pending.values())
        endMcpServerSpan(span, undefined, { name: 'connection_closed' });
      pending.clear();
      onclose?.();
    };
    return start.call(transport);
  };
  transport.send = function tracedSend(this: Transport, message, options) {
    const msg = message as Outgoing;
    if (msg.id !== undefined && pending.size > 0) onResponse(msg);
    return send.call(transport, message, options);
  };
  return (id) => pending.get(id)?.ctx;
}
