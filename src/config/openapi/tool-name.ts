import { createHash } from 'node:crypto';

/** MCP tool names: 1 to 128 of letters, digits, `_`, `.`, `-`. */
export const MCP_TOOL_NAME = /^[A-Za-z0-9_.-]{1,128}$/;

/** Longest generated tool name: many clients refuse tools whose names pass 64 characters. */
export const MAX_GENERATED_NAME = 64;

/**
 * A name within `MAX_GENERATED_NAME`: a longer one keeps its start and ends with `_` and 8 hex digits
 * of a hash of the whole name, so it stays deterministic and two long names that share a start differ.
 */
export function capName(name: string): string {
  if (name.length <= MAX_GENERATED_NAME) return name;
  return `${name.slice(0, MAX_GENERATED_NAME - 9).replace(/[_.-]+$/, '')}_${shortHash(name)}`;
}

/** 8 hex digits of SHA-256 of `text`. */
export function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 8);
}

/** An operationId as a tool name: other characters become `_`, runs collapse, at most 64 long. */
export function sanitizeToolName(raw: string, prefix = ''): string {
  const body = raw
    .replace(/[^A-Za-z0-9_.-]+/g, '_')
    .replace(/_+/g, '_')
    .replace(/^_+|_+$/g, '');
  return capName(`${prefix}${body || 'operation'}`);
}

/** A name for an operation without operationId: `GET /items/{id}` → `get_items_by_id`. */
export function generatedName(method: string, path: string): string {
  const parts = path
    .split('/')
    .filter((s) => s !== '')
    .map((s) => {
      const hole = /^\{([^{}]+)\}$/.exec(s);
      return hole ? `by_${hole[1]}` : s;
    });
  return sanitizeToolName([method.toLowerCase(), ...parts].join('_'));
}
