import type { ToolConfig } from './schema.js';

/** The `cursor` argument a tool in pagination cursor mode publishes. */
export const CURSOR_ARGUMENT_SCHEMA = {
  type: 'string',
  description:
    'Opaque cursor from a previous answer of this tool (_meta["conduit/page"].nextCursor, or the cursor a truncated answer names); omit it for the first page.',
} as const;

/** The `confirm` argument a tool with `confirm: true` publishes. */
export const CONFIRM_ARGUMENT_SCHEMA = {
  type: 'boolean',
  description:
    'Set to true to confirm this call, which changes data upstream. Clients on MCP 2026-07-28 that can show forms ask their user instead.',
} as const;

const cache = new WeakMap<object, Record<string, unknown>>();

/**
 * The input schema the model sees for a tool (compact mode lists and checks operations with it): the
 * tool's own without its `fixed` parameters, descriptions from `argumentDescriptions`, plus `cursor`
 * (pagination cursor mode) and `confirm` (`confirm: true`). Computed once per tool.
 */
export function modelInputOf(tool: ToolConfig): Record<string, unknown> {
  const input = tool.input as Record<string, unknown>;
  const paged = tool.pagination !== undefined && tool.pagination.mode !== 'gather';
  if (!tool.fixed && !tool.argumentDescriptions && !paged && tool.confirm !== true) return input;
  const hit = cache.get(tool);
  if (hit) return hit;
  const hidden = Object.keys(tool.fixed ?? {});
  const properties = { ...((input.properties ?? {}) as Record<string, Record<string, unknown>>) };
  for (const name of hidden) delete properties[name];
  for (const [name, description] of Object.entries(tool.argumentDescriptions ?? {}))
    if (properties[name]) properties[name] = { ...properties[name], description };
  if (paged) properties.cursor = { ...CURSOR_ARGUMENT_SCHEMA };
  if (tool.confirm === true) properties.confirm = { ...CONFIRM_ARGUMENT_SCHEMA };
  const out: Record<string, unknown> = { ...input, properties };
  if (Array.isArray(input.required)) {
    const required = (input.required as string[]).filter((n) => !hidden.includes(n));
    if (required.length > 0) out.required = required;
    else delete out.required;
  }
  cache.set(tool, out);
  return out;
}
