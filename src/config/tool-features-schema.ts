// Shared by configured tools (schema.ts) and OpenAPI overrides (openapi/source-schema.ts); imports stay
// off both so neither import forms a cycle.
import { z } from 'zod';
import { strictObject } from './strict-object.js';
import { count, flag, size } from './units.js';

/** `a.b.c`; `[]` after a segment maps over an array there (`items[].id`). */
const DOTTED_PATH = /^[A-Za-z0-9_$@-]+(\[\])?(\.[A-Za-z0-9_$@-]+(\[\])?)*$/;
const dottedPath = (what: string) =>
  z.string().regex(DOTTED_PATH, { error: `expected ${what}: a dotted path such as items[].id or user.name` });

/** MCP tool annotations; each one given replaces the one the HTTP method (or the document) implies. */
export const toolAnnotationsSchema = strictObject({
  readOnlyHint: flag().optional(),
  destructiveHint: flag().optional(),
  idempotentHint: flag().optional(),
  openWorldHint: flag().optional(),
});

/**
 * What of an answer the model sees: fields picked or dropped, the list capped in length and the whole
 * in size. Over a cap the answer is cut visibly (a marker in the text, `_meta['conduit/truncated']`).
 */
export const answerShapeSchema = strictObject({
  /** Keep only these paths (`items[].id`, `items[].title`, `total`); everything else is dropped. */
  pick: z.array(dottedPath('a path to keep')).optional(),
  /** Drop these paths (`items[].body`, `meta`). Applied after `pick`. */
  omit: z.array(dottedPath('a path to drop')).optional(),
  /** Where the list is that the caps cut (default: the answer itself if it is a list, else its `items` or `data`). */
  list: dottedPath('the path of the list in the answer').optional(),
  /** Most list entries shown. */
  maxItems: count({ min: 1 }).optional(),
  /** Largest answer shown, as JSON text (e.g. 64KiB). */
  maxBytes: size().optional(),
  /** Largest answer shown, in estimated tokens (4 bytes of JSON text a token). */
  maxTokens: count({ min: 1 }).optional(),
});

/**
 * The upstream pages its list: the tool answers one page and an opaque cursor the model passes back
 * (`mode: cursor`), or gathers pages into one list (`mode: gather`). GET tools only.
 */
export const toolPaginationSchema = strictObject({
  /** `link`: `Link: <…>; rel="next"`. `cursor`: a cursor in the body sent back as a query parameter. `page`: `?page=N`. `offset`: `?offset=N&limit=M`. */
  style: z.enum(['link', 'cursor', 'page', 'offset'], { error: 'expected link, cursor, page or offset' }),
  mode: z.enum(['cursor', 'gather'], { error: 'expected cursor or gather' }).default('cursor'),
  /** Where a page's items are (default: the body if it is a list, else its `items` or `data`). */
  items: dottedPath('the path of the items in a page').optional(),
  /** `cursor` style: where the next cursor is in the body (default `next_cursor`, `nextCursor`, `meta.next_cursor`). */
  nextCursor: dottedPath('the path of the next cursor in a page').optional(),
  /** `cursor` style: the query parameter the upstream reads the cursor from. Default `cursor`. */
  cursorParam: z.string().min(1).default('cursor'),
  /** `page` style: the page number's query parameter. Default `page`. */
  pageParam: z.string().min(1).default('page'),
  /** `page` style: the page size's query parameter, sent when `pageSize` is set. Default `page_size`. */
  pageSizeParam: z.string().min(1).default('page_size'),
  /** `page` style: sent as `pageSizeParam`; `offset` style: sent as `limitParam`. A shorter page is the last. */
  pageSize: count({ min: 1 }).optional(),
  /** `offset` style: the offset's query parameter. Default `offset`. */
  offsetParam: z.string().min(1).default('offset'),
  /** `offset` style: the page size's query parameter, sent when `pageSize` is set. Default `limit`. */
  limitParam: z.string().min(1).default('limit'),
  /** `page` style: the first page's number. Default 1. */
  firstPage: count().default(1),
  /** `gather`: most pages fetched per call. Default 10. */
  maxPages: count({ min: 1, max: 1000 }).default(10),
  /** `gather`: stop once this many items are gathered. */
  maxItems: count({ min: 1 }).optional(),
});

/**
 * A value the gateway sends for a parameter the model never sees: a string (`{auth.claims.tenant}`-style
 * holes are filled from the caller), a number, a boolean, null, or `{ value: <any JSON> }`.
 */
export const fixedValueSchema = z.union(
  [z.string(), z.number(), z.boolean(), z.null(), strictObject({ value: z.unknown() })],
  { error: 'expected a string, number, boolean, null or { value: <any JSON> }' },
);

/** The per-tool keys configured tools and OpenAPI overrides share. */
export const toolFeatureShape = {
  /** MCP annotations over the method's (and the document's `x-mcp-annotations`); precedence config > document > method. */
  annotations: toolAnnotationsSchema.optional(),
  /** Answer shaping: pick/omit fields, cap the list and the size. */
  shape: answerShapeSchema.optional(),
  /** Pagination of a GET tool's list (one page + cursor, or gather). */
  pagination: toolPaginationSchema.optional(),
  /** Parameters the gateway sends itself; they are left out of the input schema the model sees. */
  fixed: z.record(z.string(), fixedValueSchema).optional(),
  /** Descriptions of input properties, replacing the written or generated ones. */
  argumentDescriptions: z.record(z.string(), z.string()).optional(),
  /** Destructive calls wait for the client to confirm (2026-07-28: input-required; older: a `confirm: true` argument). */
  confirm: flag().optional(),
};

export type ToolAnnotationsConfig = z.output<typeof toolAnnotationsSchema>;
export type AnswerShapeConfig = z.output<typeof answerShapeSchema>;
export type ToolPaginationConfig = z.output<typeof toolPaginationSchema>;
export type FixedValueConfig = z.output<typeof fixedValueSchema>;
