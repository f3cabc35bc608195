import type { McpServer, ServerContext } from '@modelcontextprotocol/server';
import { ConfigError } from '../../core/index.js';

type ListHandler = (request: unknown, ctx: ServerContext) => Promise<{ tools?: { name: string }[] }>;

/**
 * `tools/list` shows a caller only the tools it may call ("you cannot see what you cannot call"):
 * the McpServer's own listing, filtered per request by `visible(name, ctx)`. The SDK has no public
 * hook for a per-request listing, so this wraps the handler it registered; without one (an SDK that
 * stores handlers differently) the gateway refuses to start rather than list everything.
 */
export function hideDeniedTools(
  server: McpServer,
  visible: (name: string, ctx: ServerContext) => boolean,
): void {
  const handlers = (server.server as unknown as { _requestHandlers?: Map<string, ListHandler> })
    ._requestHandlers;
  const original = handlers?.get('tools/list');
  if (!handlers || !original)
    throw new ConfigError(
      'policy: this version of the MCP SDK gives the gateway no tools/list handler to filter; the policy cannot hide tools, so the gateway does not start',
    );
  handlers.set('tools/list', async (request, ctx) => {
    const listed = await original(request, ctx);
    return { ...listed, tools: (listed.tools ?? []).filter((t) => visible(t.name, ctx)) };
  });
}
