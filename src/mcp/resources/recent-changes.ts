import type { CallToolResult, jsonSchemaValidator, McpServer } from '@modelcontextprotocol/server';
import type { ChangeFeed } from './change-feed.js';
import type { ToolAnnotationHints } from '../tools/method-annotations.js';
import { listedAnnotations, listedInputSchema, type ToolListing } from '../tools/tool-listing.js';

export const RECENT_CHANGES_TOOL = 'recent_changes';
const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 100;

const INPUT = {
  type: 'object',
  properties: {
    cursor: {
      type: 'string',
      description: 'The `cursor` of the previous answer; omit it to start from the oldest change kept.',
    },
    limit: {
      type: 'integer',
      minimum: 1,
      maximum: MAX_LIMIT,
      description: `At most this many (default ${DEFAULT_LIMIT}).`,
    },
  },
  additionalProperties: false,
} as const;

/** It reads the gateway's own change feed: nothing upstream is touched or reached. */
const HINTS: Readonly<ToolAnnotationHints> = Object.freeze({
  readOnlyHint: true,
  destructiveHint: false,
  idempotentHint: true,
  openWorldHint: false,
});

/** The answer of one `recent_changes` call. */
export function recentChanges(
  changes: ChangeFeed,
  cursor: string | undefined,
  limit: number | undefined,
): CallToolResult {
  const page = changes.since(cursor, Math.min(MAX_LIMIT, limit ?? DEFAULT_LIMIT));
  const body = { changes: page.changes, cursor: page.cursor };
  return { content: [{ type: 'text', text: JSON.stringify(body) }], structuredContent: body };
}

/**
 * Registers `recent_changes`: what changed (resource URIs, event, source, time) since a cursor, for
 * clients that do not subscribe. Pass the returned `cursor` back to continue; an empty page means
 * nothing new. Only the most recent changes are kept (a cursor older than that restarts at the oldest).
 */
export function registerRecentChangesTool(
  server: McpServer,
  changes: ChangeFeed,
  validator: jsonSchemaValidator,
  listing: ToolListing = 'compact',
): void {
  const annotations = listedAnnotations(HINTS, undefined, listing);
  server.registerTool(
    RECENT_CHANGES_TOOL,
    {
      title: 'Recent resource changes',
      description:
        'Lists resources that changed (e.g. after an upstream webhook) since `cursor`, oldest first. ' +
        'Call again with the returned cursor to get only newer changes.',
      inputSchema: listedInputSchema(INPUT, validator, listing),
      ...(annotations ? { annotations } : {}),
    },
    (async (args: { cursor?: string; limit?: number }) =>
      recentChanges(changes, args.cursor, args.limit)) as never,
  );
}
