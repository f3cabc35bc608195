import type { CallToolResult, ServerContext, StandardSchemaWithJSON } from '@modelcontextprotocol/server';
import { fromJsonSchema } from '@modelcontextprotocol/server';
import { type Clock, type Logger, noopLogger, systemClock, errorForLog } from '../../core/index.js';
import { type Policy, timeout, wrap } from '../../resilience/index.js';
import type { GatewayCache } from './cache-port.js';
import { sharedFetch } from './configured-tool.js';
import { describeFailure, errorResult } from './error-result.js';
import { InputValidator } from './input-validator.js';
import { startProgress } from './progress.js';
import { successResult } from './tool-result.js';
import { isContextOnly, isV2Server, serverContextOf, type ToolServer, v1Schema } from './tool-server.js';

/** What a hand-written tool's handler receives besides its arguments. */
export interface ResilientCallContext {
  /** Aborts on client cancellation, on the tool's timeout, or when a retry attempt is abandoned. */
  signal: AbortSignal;
  /** 1 for the first try, 2 for the first retry, … (1 without a policy). */
  attempt: number;
  /**
   * The SDK's request context, for anything else (auth info, session id). On the v1 SDK's server, a
   * view of its request extra with the same `mcpReq.signal`, `_meta`, `notify` and `id`; the extra
   * itself is `mcpReq.extra`.
   */
  mcp: ServerContext;
}

/** Cache policy of a hand-written tool. */
export interface ResilientCachePolicy<A> {
  /** The cache to answer from (`createCache()` of `conduit-mcp/cache`, or anything with the same shape). */
  store: GatewayCache;
  /** The entry's key for these arguments, e.g. `({ id }) => \`assignment:${id}\``. */
  key: (args: A) => string;
  ttlMs: number;
  tags?: (args: A) => string[];
  staleWhileRevalidateMs?: number;
  staleIfErrorMs?: number;
}

export interface ResilientToolOptions<A> {
  title?: string;
  description?: string;
  /** A Standard Schema with JSON Schema (zod 4 `z.object(...)`) or a plain JSON Schema object. */
  input?: StandardSchemaWithJSON | Record<string, unknown>;
  output?: StandardSchemaWithJSON | Record<string, unknown>;
  /** Name used in error messages ("Upstream "x" answered HTTP 503 …"). Default: the tool name. */
  upstream?: string;
  /** Resilience around the handler, e.g. `wrap(retry({...}), breaker)` from `conduit-mcp/resilience`. */
  policy?: Policy;
  /** Time limit of one call, retries included; the handler's signal aborts when it expires. */
  timeoutMs?: number;
  cache?: ResilientCachePolicy<A>;
  /** Cache entries to clear after a successful call (e.g. an update clears the item and its lists). */
  invalidates?: {
    store: GatewayCache;
    keys?: (args: A, value: unknown) => string[];
    tags?: (args: A, value: unknown) => string[];
  };
  /** A value to serve when the call fails (after retries); the result says it is a fallback. */
  fallback?: (error: unknown, args: A) => unknown | Promise<unknown>;
  /** Progress heartbeat for long calls when the client sent a progress token, ms. Default 5000. */
  progressIntervalMs?: number;
  logger?: Logger;
  clock?: Clock;
}

let sharedValidator: InputValidator | undefined;

function toSchema(
  schema: StandardSchemaWithJSON | Record<string, unknown> | undefined,
): StandardSchemaWithJSON | undefined {
  if (schema === undefined) return undefined;
  if ('~standard' in schema) return schema as StandardSchemaWithJSON;
  // One Ajv engine for every hand-written tool in the process.
  sharedValidator ??= new InputValidator();
  return fromJsonSchema(schema as never, sharedValidator);
}

/**
 * Registers a hand-written tool on an `McpServer` — the SDK v2 one (`@modelcontextprotocol/server`) or
 * the v1 one (`@modelcontextprotocol/sdk/server/mcp.js`) — with Conduit's machinery: input validated
 * before the handler runs (errors name the field), an optional cache policy (the result's
 * `_meta['conduit/cache']` says whether it came from the cache and whether it is stale), a resilience
 * policy and timeout around the handler, invalidation after success, a fallback, progress heartbeats,
 * and failures turned into tool errors a model can act on. The handler returns plain JSON.
 *
 * @example
 * registerResilientTool(server, 'get_assignment', {
 *   input: z.object({ id: z.string() }),
 *   cache: { store: cache, key: ({ id }) => `assignment:${id}`, ttlMs: 60_000 },
 *   policy: wrap(retry({ maxAttempts: 3 }), breaker),
 * }, async ({ id }, { signal }) => api.getJson(`/assignments/${id}`, { signal }));
 */
export function registerResilientTool<S extends StandardSchemaWithJSON, R>(
  server: ToolServer<R>,
  name: string,
  options: ResilientToolOptions<StandardSchemaWithJSON.InferOutput<S>> & { input: S },
  handler: (
    args: StandardSchemaWithJSON.InferOutput<S>,
    ctx: ResilientCallContext,
  ) => unknown | Promise<unknown>,
): R;
export function registerResilientTool<
  A extends Record<string, unknown> = Record<string, unknown>,
  R = unknown,
>(
  server: ToolServer<R>,
  name: string,
  options: ResilientToolOptions<A>,
  handler: (args: A, ctx: ResilientCallContext) => unknown | Promise<unknown>,
): R;
export function registerResilientTool<A, R>(
  server: ToolServer<R>,
  name: string,
  options: ResilientToolOptions<A>,
  handler: (args: A, ctx: ResilientCallContext) => unknown | Promise<unknown>,
): R {
  const logger = options.logger ?? noopLogger;
  const clock = options.clock ?? systemClock;
  const upstream = options.upstream ?? name;
  const progressMs = options.progressIntervalMs ?? 5000;
  const limit = options.timeoutMs ? timeout({ ms: options.timeoutMs, phase: 'total', clock }) : undefined;
  const policy = options.policy && limit ? wrap(limit, options.policy) : (options.policy ?? limit);
  const cache = options.cache;

  // A refresh behind a stale answer gets a signal of its own: the request it came from was answered.
  const run = (args: A, mcp: ServerContext, signal = mcp.mcpReq.signal): Promise<unknown> => {
    if (!policy) return Promise.resolve(handler(args, { signal, attempt: 1, mcp }));
    return policy.execute((p) => handler(args, { signal: p.signal, attempt: p.attempt, mcp }), { signal });
  };

  const execute = async (args: A, mcp: ServerContext): Promise<CallToolResult> => {
    const stop = startProgress(mcp, name, progressMs, clock, logger);
    try {
      let result: CallToolResult;
      let value: unknown;
      if (cache) {
        const options: Parameters<GatewayCache['getOrSetWithMeta']>[2] = { ttlMs: cache.ttlMs };
        if (cache.tags) options.tags = cache.tags(args);
        if (cache.staleWhileRevalidateMs !== undefined)
          options.staleWhileRevalidateMs = cache.staleWhileRevalidateMs;
        if (cache.staleIfErrorMs !== undefined) options.staleIfErrorMs = cache.staleIfErrorMs;
        const hit = await sharedFetch(
          cache.store,
          cache.key(args),
          (background) => run(args, mcp, background ? new AbortController().signal : undefined),
          options,
          mcp.mcpReq.signal,
        );
        value = hit.value;
        result =
          hit.source === 'factory'
            ? successResult(value, { source: 'upstream', stale: hit.stale })
            : successResult(value, { source: 'cache', layer: hit.source, stale: hit.stale });
      } else {
        value = await run(args, mcp);
        result = successResult(value, { source: 'upstream', stale: false });
      }
      const inv = options.invalidates;
      if (inv) {
        const keys = inv.keys?.(args, value) ?? [];
        const tags = inv.tags?.(args, value) ?? [];
        try {
          await Promise.all([
            tags.length > 0 ? inv.store.invalidateTags(tags) : undefined,
            ...keys.map((k) => inv.store.delete(k)),
          ]);
        } catch (err) {
          logger.warn(
            { tool: name, err: errorForLog(err) },
            'cache invalidation after a successful call failed',
          );
        }
      }
      return result;
    } catch (err) {
      if (options.fallback && !mcp.mcpReq.signal.aborted) {
        try {
          const value = await options.fallback(err, args);
          const result = successResult(value, { source: 'fallback', stale: false });
          (result._meta as Record<string, unknown>)['conduit/fallback'] = describeFailure(
            err,
            upstream,
            name,
          ).text;
          return result;
        } catch (fallbackErr) {
          return errorResult(fallbackErr, upstream, name);
        }
      }
      return errorResult(err, upstream, name);
    } finally {
      stop();
    }
  };

  const config: {
    title?: string;
    description?: string;
    inputSchema?: unknown;
    outputSchema?: unknown;
  } = {};
  if (options.title !== undefined) config.title = options.title;
  if (options.description !== undefined) config.description = options.description;
  // v2 takes Standard Schemas (a JSON Schema gets Conduit's Ajv validator); v1 takes zod only.
  const schemaFor = isV2Server(server as ToolServer) ? toSchema : (s?: object) => s && v1Schema(s);
  const input = schemaFor(options.input);
  const output = schemaFor(options.output);
  if (input) config.inputSchema = input;
  if (output) config.outputSchema = output;
  const callback = (args: unknown, ctx: unknown) =>
    isContextOnly(args, ctx)
      ? execute({} as A, serverContextOf(args))
      : execute((args ?? {}) as A, serverContextOf(ctx));
  return server.registerTool(name, config as never, callback as never);
}
