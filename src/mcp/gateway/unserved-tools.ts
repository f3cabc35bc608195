import {
  type CallToolResult,
  type McpServer,
  ProtocolError,
  ProtocolErrorCode,
  type ServerContext,
} from '@modelcontextprotocol/server';
import { didYouMean, notServedError, type OpenApiToolSet } from '../../config/index.js';
import { errorResult } from '../tools/error-result.js';
import { sdkRequestHandlers } from '../tools/list-filter.js';
import type { GatewayRuntime } from './gateway-runtime.js';

type CallRequest = { params?: { name?: unknown } };
type CallHandler = (request: CallRequest, ctx: ServerContext) => Promise<unknown>;

/** What a runtime answers for a tool name it does not serve. */
interface UnservedNames {
  /** The tools the runtime serves: a call to one goes straight to the SDK. */
  readonly served: ReadonlySet<string>;
  /** Tools mode: the tool names of operations an `openapi` section leaves out or does not select. */
  readonly unserved: ReadonlyMap<string, { readonly set: OpenApiToolSet; readonly operationId: string }>;
}

const namesByRuntime = new WeakMap<GatewayRuntime, UnservedNames>();

function namesOf(runtime: GatewayRuntime): UnservedNames {
  let names = namesByRuntime.get(runtime);
  if (!names) {
    const served = new Set([...runtime.tools.map(({ tool }) => tool.name), ...runtime.resources.toolNames]);
    const unserved = new Map<string, { set: OpenApiToolSet; operationId: string }>();
    // Compact mode's tools are its two own; its invoke answers for the operations it does not serve.
    for (const set of Object.values(runtime.config.openapiSets ?? {}))
      for (const [name, operationId] of set.mode === 'tools' ? (set.unservedTools ?? []) : [])
        if (!served.has(name) && !unserved.has(name)) unserved.set(name, { set, operationId });
    names = { served, unserved };
    namesByRuntime.set(runtime, names);
  }
  return names;
}

/** The SDK's answer to a call of a tool it has not registered (a JSON-RPC error, not a tool result). */
function isToolNotFound(err: unknown): err is ProtocolError {
  return (
    err instanceof ProtocolError &&
    err.code === ProtocolErrorCode.InvalidParams &&
    / not found$/.test(err.message)
  );
}

/**
 * `tools/call` for a name the server has no tool of. The tool of an operation an `openapi` section
 * left out (refused at start, or not selected) is not listed, but a client may still have its name (an
 * older list, a prompt, another deployment): it answers a tool error (`OPENAPI_UNKNOWN_OPERATION`)
 * naming the operation and why it is not served, as compact mode's invoke does, with the config's
 * secrets scrubbed. Any other unknown name keeps the protocol's "not found", with the closest tool the
 * caller may call. A name the policy does not let the caller call is answered as unknown: what a
 * caller cannot call, it is not told about. Wraps the SDK's stored handler, as the tools/list filter
 * does; a server with no tool registered has none, and is left as it is.
 */
export function answerUnservedTools(server: McpServer, current: () => GatewayRuntime): void {
  const handlers = sdkRequestHandlers(server) as Map<string, CallHandler> | undefined;
  const original = handlers?.get('tools/call');
  if (!handlers || !original) return;
  handlers.set('tools/call', (request, ctx) => {
    const name = request.params?.name;
    const runtime = current();
    if (typeof name !== 'string' || namesOf(runtime).served.has(name)) return original(request, ctx);
    return original(request, ctx).catch((err: unknown) => {
      if (!isToolNotFound(err)) throw err;
      return notServedAnswer(runtime, name, ctx) ?? Promise.reject(withClosest(err, runtime, name, ctx));
    });
  });
}

function notServedAnswer(
  runtime: GatewayRuntime,
  name: string,
  ctx: ServerContext,
): CallToolResult | undefined {
  const entry = namesOf(runtime).unserved.get(name);
  if (!entry || runtime.guards.check(ctx, name) !== undefined) return undefined;
  const client = runtime.clients.get(entry.set.upstream);
  const err = notServedError(entry.set.catalog, entry.operationId);
  if (!client || !err) return undefined;
  const result = errorResult(err, entry.set.upstream, name);
  // The reason may quote the config (a template, a path); its `${ENV}` values never leave the gateway.
  const content = result.content.map((c) =>
    c.type === 'text' ? { ...c, text: client.redactSecrets(c.text) } : c,
  );
  return { ...result, content };
}

function withClosest(
  err: ProtocolError,
  runtime: GatewayRuntime,
  name: string,
  ctx: ServerContext,
): ProtocolError {
  const callable = [...namesOf(runtime).served].filter((n) => runtime.guards.check(ctx, n) === undefined);
  const hint = didYouMean(name, callable);
  return hint === undefined
    ? err
    : new ProtocolError(err.code, `${err.message} (did you mean "${hint}"?)`, err.data);
}
