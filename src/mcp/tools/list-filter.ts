import type { McpServer, ServerContext } from '@modelcontextprotocol/server';
import { ConfigError } from '../../core/index.js';

type ListHandler = (request: unknown, ctx: ServerContext) => Promise<Record<string, unknown>>;

/**
 * Where the SDK keeps a server's request handlers. `@modelcontextprotocol/server` 2.4 has no public
 * way to read the handler McpServer registered for a list method (`setRequestHandler` and
 * `removeRequestHandler` are public; reading one back is not), and no per-request tool or resource
 * visibility (`enable`/`disable` is per server instance, before any caller is known). So the policy
 * wraps the stored handler; test/auth/policy.test.ts fails loudly if a new SDK moves this field, and
 * `filterListed` refuses to start rather than list everything.
 */
export function sdkRequestHandlers(server: McpServer): Map<string, ListHandler> | undefined {
  const handlers = (server.server as unknown as { _requestHandlers?: unknown })._requestHandlers;
  return handlers instanceof Map ? (handlers as Map<string, ListHandler>) : undefined;
}

/**
 * A list method (`tools/list`, `resources/templates/list`, …) answering each request with only the
 * entries of `field` that `visible` keeps for that request's caller. Throws ConfigError when the
 * server has no such handler to filter.
 */
export function filterListed<T>(
  server: McpServer,
  method: string,
  field: string,
  visible: (entry: T, ctx: ServerContext) => boolean,
): void {
  const handlers = sdkRequestHandlers(server);
  const original = handlers?.get(method);
  if (!handlers || !original)
    throw new ConfigError(
      `policy: this version of the MCP SDK gives the gateway no ${method} handler to filter; the policy cannot hide what a caller may not use, so the gateway does not start`,
    );
  handlers.set(method, async (request, ctx) => {
    const listed = await original(request, ctx);
    const entries = (listed[field] ?? []) as T[];
    return { ...listed, [field]: entries.filter((e) => visible(e, ctx)) };
  });
}
