import type { McpServer, ServerContext } from '@modelcontextprotocol/server';
import { filterListed } from '../tools/list-filter.js';

/**
 * `tools/list` shows a caller only the tools it may call ("you cannot see what you cannot call"):
 * the McpServer's own listing, filtered per request by `visible(name, ctx)` (see `filterListed` for
 * why this wraps the SDK's stored handler).
 */
export function hideDeniedTools(
  server: McpServer,
  visible: (name: string, ctx: ServerContext) => boolean,
): void {
  filterListed<{ name: string }>(server, 'tools/list', 'tools', (t, ctx) => visible(t.name, ctx));
}
