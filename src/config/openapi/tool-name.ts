/** MCP tool names: 1 to 128 of letters, digits, `_`, `.`, `-`. */
export const MCP_TOOL_NAME = /^[A-Za-z0-9_.-]{1,128}$/;

/** An operationId as a tool name: other characters become `_`, runs collapse, at most 128 long. */
export function sanitizeToolName(raw: string, prefix = ''): string {
  const body = raw
    .replace(/[^A-Za-z0-9_.-]+/g, '_')
    .replace(/_+/g, '_')
    .replace(/^_+|_+$/g, '');
  const name = `${prefix}${body || 'operation'}`;
  return name.slice(0, 128);
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
