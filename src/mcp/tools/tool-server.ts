import { McpServer, type ServerContext } from '@modelcontextprotocol/server';
import { z } from 'zod';

/**
 * What `registerResilientTool` needs of a server: `registerTool(name, config, callback)`, which both
 * the SDK v2 `McpServer` (`@modelcontextprotocol/server`) and the v1 one (`@modelcontextprotocol/sdk`)
 * have. Typed structurally so neither SDK is a type dependency of the other's users.
 */
export interface ToolServer<R = unknown> {
  // Method syntax (bivariant parameters): each SDK's own, stricter signature fits.
  registerTool(name: string, config: never, callback: never): R;
}

/** The v1 SDK's request handler extra, as far as tools use it. */
interface V1RequestExtra {
  signal: AbortSignal;
  requestId: string | number;
  _meta?: { progressToken?: string | number; [k: string]: unknown };
  sendNotification: (notification: { method: string; params?: Record<string, unknown> }) => Promise<void>;
  authInfo?: unknown;
  sessionId?: string;
}

/** True for the SDK v2 server; anything else with `registerTool` is treated as the v1 one. */
export function isV2Server(server: ToolServer): boolean {
  return server instanceof McpServer || '_toolInputSchemaJson' in (server as object);
}

/**
 * The v2 `ServerContext` of a call, from whichever SDK made it: v2 passes its own; v1 passes a request
 * extra (`signal`, `_meta`, `sendNotification`), adapted to the parts Conduit uses (`mcpReq.signal`,
 * `_meta`, `notify`, `id`); the rest of the v1 extra stays reachable as `mcpReq.extra`.
 */
export function serverContextOf(ctx: unknown): ServerContext {
  if (ctx !== null && typeof ctx === 'object' && 'mcpReq' in ctx) return ctx as ServerContext;
  const extra = ctx as V1RequestExtra;
  return {
    mcpReq: {
      id: extra.requestId,
      signal: extra.signal,
      _meta: extra._meta,
      notify: (n: { method: string; params?: Record<string, unknown> }) => extra.sendNotification(n),
      extra,
    },
    ...(extra.sessionId !== undefined ? { sessionId: extra.sessionId } : {}),
  } as unknown as ServerContext;
}

/**
 * The v1 SDK takes zod schemas only: a plain JSON Schema is turned into one (`z.fromJSONSchema`), a
 * zod schema passes as it is.
 */
export function v1Schema(schema: object): z.ZodType {
  if ('~standard' in schema) return schema as unknown as z.ZodType;
  return z.fromJSONSchema(schema as never);
}

/**
 * True when the callback got the request context only: both SDKs call a tool without an input schema
 * that way (v2 its `ServerContext`, v1 its request extra).
 */
export function isContextOnly(args: unknown, ctx: unknown): boolean {
  if (ctx !== undefined || args === null || typeof args !== 'object') return false;
  return 'mcpReq' in args || ('requestId' in args && 'signal' in args);
}
