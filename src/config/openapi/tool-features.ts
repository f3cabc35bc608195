import type { ToolConfig } from '../schema.js';
import type { ToolAnnotationsConfig } from '../tool-features-schema.js';
import type { RawOperation } from './operations.js';
import type { OpenApiOverride } from './source-schema.js';
import { isObject } from '../../core/index.js';
import { publishedText } from './text.js';

const HINTS = ['readOnlyHint', 'destructiveHint', 'idempotentHint', 'openWorldHint'] as const;

/**
 * The operation's `x-mcp-annotations` extension: the four MCP hints (booleans) and a `title`. The
 * document is third-party input: anything else in it is left out with a note, never trusted.
 */
export function documentAnnotations(
  op: RawOperation,
  notes: string[],
): { hints: ToolAnnotationsConfig; title: string | undefined } {
  const raw = op.node['x-mcp-annotations'];
  const hints: ToolAnnotationsConfig = {};
  if (raw === undefined) return { hints, title: undefined };
  if (!isObject(raw)) {
    notes.push('x-mcp-annotations is not an object; ignored');
    return { hints, title: undefined };
  }
  let title: string | undefined;
  for (const [key, value] of Object.entries(raw)) {
    if ((HINTS as readonly string[]).includes(key) && typeof value === 'boolean')
      hints[key as (typeof HINTS)[number]] = value;
    else if (key === 'title' && typeof value === 'string' && publishedText(value).trim() !== '')
      title = publishedText(value).trim();
    else notes.push(`x-mcp-annotations.${key} is not a boolean hint (or a title string); ignored`);
  }
  return { hints, title };
}

/** The per-tool keys an override shares with configured tools, carried onto the generated tool. */
export function copyToolFeatures(override: OpenApiOverride, tool: ToolConfig): void {
  if (override.shape) tool.shape = override.shape;
  if (override.pagination) tool.pagination = override.pagination;
  if (override.fixed) tool.fixed = override.fixed;
  if (override.argumentDescriptions) tool.argumentDescriptions = override.argumentDescriptions;
  if (override.confirm !== undefined) tool.confirm = override.confirm;
}
