import type {
  CallToolResult,
  jsonSchemaValidator,
  McpServer,
  ServerContext,
} from '@modelcontextprotocol/server';
import type { ReadRefusal } from './resources.js';
import type { ChangeFeed, ResourceChange } from './change-feed.js';
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

/** Whether this call's caller may learn that `uri` changed (its read policy); absent: every URI. */
export type HearsChange = (uri: string) => boolean;

/**
 * The answer of one `recent_changes` call: at most `limit` changes the caller may hear of, oldest
 * first. Changes to URIs it may not read are skipped, and the page is filled from the changes after
 * them, so an empty page still means nothing new (each round consumes at least one kept change,
 * so the loop ends within the feed's capacity).
 */
export function recentChanges(
  changes: ChangeFeed,
  cursor: string | undefined,
  limit: number | undefined,
  hears?: HearsChange,
): CallToolResult {
  const max = Math.min(MAX_LIMIT, limit ?? DEFAULT_LIMIT);
  const heard = (page: { changes: ResourceChange[] }) =>
    hears ? page.changes.filter((c) => hears(c.uri)) : page.changes;
  let page = changes.since(cursor, max);
  const seen = heard(page);
  while (hears && page.changes.length > 0 && seen.length < max) {
    page = changes.since(page.cursor, max - seen.length);
    seen.push(...heard(page));
  }
  const body = { changes: seen, cursor: page.cursor };
  return { content: [{ type: 'text', text: JSON.stringify(body) }], structuredContent: body };
}

/**
 * Registers `recent_changes`: what changed (resource URIs, event, source, time) since a cursor, for
 * clients that do not subscribe. Pass the returned `cursor` back to continue; an empty page means
 * nothing new. Only the most recent changes are kept (a cursor older than that restarts at the oldest).
 * With `refuse` (the policy), a caller is told only of changes to URIs it may read, as its
 * notifications are.
 */
export function registerRecentChangesTool(
  server: McpServer,
  changes: ChangeFeed,
  validator: jsonSchemaValidator,
  listing: ToolListing = 'compact',
  refuse?: ReadRefusal,
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
    (async (args: { cursor?: string; limit?: number }, ctx: ServerContext) =>
      recentChanges(
        changes,
        args.cursor,
        args.limit,
        refuse ? (uri) => refuse(uri, ctx) === undefined : undefined,
      )) as never,
  );
}
