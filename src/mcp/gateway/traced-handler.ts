import type { CallToolResult, ServerContext } from '@modelcontextprotocol/server';
import { context } from '@opentelemetry/api';
import {
  endMcpServerSpan,
  type McpRequestInfo,
  startMcpServerSpan,
  type Tracer,
} from '../../telemetry/index.js';

type ToolHandler = (args: unknown, ctx: ServerContext) => Promise<CallToolResult>;

const PROTOCOL_VERSION_KEY = 'io.modelcontextprotocol/protocolVersion';

/** What the server span of a tool call records, read from the SDK's request context. */
export function requestInfoOf(ctx: ServerContext, toolName: string): McpRequestInfo {
  const req = ctx.mcpReq;
  const headers = ctx.http?.req?.headers;
  const envelope = req.envelope as Record<string, unknown> | undefined;
  const version = envelope?.[PROTOCOL_VERSION_KEY] ?? headers?.get('mcp-protocol-version') ?? undefined;
  return {
    method: req.method,
    requestId: req.id,
    toolName,
    sessionId: ctx.sessionId,
    protocolVersion: typeof version === 'string' ? version : undefined,
    transport: ctx.http ? 'tcp' : 'pipe',
    meta: req._meta as Readonly<Record<string, unknown>> | undefined,
    httpTraceparent: headers?.get('traceparent'),
    httpTracestate: headers?.get('tracestate'),
  };
}

/**
 * A tool handler inside the SERVER span of its MCP request: parent from `params._meta.traceparent`
 * (or the HTTP header), the handler run in its context so the cache lookup and upstream attempts
 * become its children.
 */
export function tracedHandler(tracer: Tracer, toolName: string, handler: ToolHandler): ToolHandler {
  return async (args, ctx) => {
    const { span, ctx: spanCtx } = startMcpServerSpan(tracer, requestInfoOf(ctx, toolName));
    try {
      const result = await context.with(spanCtx, () => handler(args, ctx));
      endMcpServerSpan(span, result);
      return result;
    } catch (err) {
      endMcpServerSpan(span, undefined, err);
      throw err;
    }
  };
}
