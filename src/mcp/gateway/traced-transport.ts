import type { JSONRPCMessage, MessageExtraInfo, Transport } from '@modelcontextprotocol/server';
import { type Span, context } from '@opentelemetry/api';
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

/**
 * The SERVER span of every MCP request and notification a transport carries, whatever its method
 * (`initialize`, `tools/list`, `resources/read`, `ping`, …): the span starts when the message arrives
 * and the handler runs in its context (so the cache lookup and upstream attempts are its children);
 * it ends when the response with the same JSON-RPC id is sent (a notification's when its handler was
 * dispatched). The transport is decorated in place — `start` and `send` wrapped, its `onmessage`
 * wrapped as `start` is called (the protocol layer installs its handlers before, by contract) — so the
 * same seam serves stdio and Streamable HTTP of both protocol eras, and uses no SDK internals.
 */
export function traceTransport(transport: Transport, tracer: Tracer): void {
  const pending = new Map<string | number, Span>();
  // The 2025-era version a session's initialize settled on (later requests over stdio name none).
  let negotiated: string | undefined;
  const start = transport.start;
  const send = transport.send;

  const onResponse = (msg: Outgoing): void => {
    const span = pending.get(msg.id!);
    if (span === undefined) return;
    pending.delete(msg.id!);
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
          context.with(ctx, handler, undefined, message, extra);
        } finally {
          span.end();
        }
        return;
      }
      pending.get(msg.id)?.end();
      pending.set(msg.id, span);
      context.with(ctx, handler, undefined, message, extra);
    };

  transport.start = function tracedStart(this: Transport) {
    const handler = transport.onmessage;
    if (handler) transport.onmessage = traced(handler);
    const onclose = transport.onclose;
    // A connection that closes with requests unanswered: their spans end, marked as such.
    transport.onclose = () => {
      for (const span of pending.values()) endMcpServerSpan(span, undefined, { name: 'connection_closed' });
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
}
