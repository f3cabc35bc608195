/**
 * Where the bytes of a `tools/list` go: for each field of a tool (`name`, `title`, `description`,
 * `annotations`, `inputSchema`, …) the bytes it adds to the list's JSON (`"key":value` and its comma),
 * summed over the tools, and `frame` for the list's brackets and the tools' braces: the undotted
 * entries sum to the list's bytes (to within one). `inputSchema` is also split by its top-level keywords
 * (`inputSchema.properties`, `inputSchema.additionalProperties`, …) and `annotations` by hint; those
 * dotted entries split their parent, they do not add to the sum.
 */
export type FieldBytes = Record<string, number>;

const bytes = (v: unknown) => Buffer.byteLength(JSON.stringify(v));

/** The bytes `key: value` adds inside an object: `"key":value` and a comma. */
const member = (key: string, value: unknown) => bytes(key) + 1 + bytes(value) + 1;

function addMembers(out: FieldBytes, prefix: string, object: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(object)) {
    if (value === undefined) continue;
    out[`${prefix}${key}`] = (out[`${prefix}${key}`] ?? 0) + member(key, value);
  }
}

export function fieldBytes(tools: readonly Record<string, unknown>[]): FieldBytes {
  const out: FieldBytes = { frame: 2 };
  for (const tool of tools) {
    out.frame! += 2;
    addMembers(out, '', tool);
    for (const nested of ['inputSchema', 'annotations'])
      if (tool[nested] !== null && typeof tool[nested] === 'object')
        addMembers(out, `${nested}.`, tool[nested] as Record<string, unknown>);
  }
  return out;
}

/** One line per field: each server's bytes, and Conduit's excess over `base` (the first peer). */
export function fieldTable(label: string, rows: [name: string, fields: FieldBytes | undefined][]): string {
  const present = rows.filter((r): r is [string, FieldBytes] => r[1] !== undefined);
  const keys = [...new Set(present.flatMap(([, f]) => Object.keys(f)))].sort();
  const [conduit, base] = [present[0], present.find(([n]) => n === 'generator')];
  const lines = [
    `${`${label}: field bytes`.padEnd(40)} ${present.map(([n]) => n.padStart(11)).join(' ')}${base ? '  conduit-generator'.padStart(19) : ''}`,
  ];
  for (const key of keys) {
    const cells = present.map(([, f]) => String(f[key] ?? 0).padStart(11)).join(' ');
    const excess = base && conduit ? (conduit[1][key] ?? 0) - (base[1][key] ?? 0) : undefined;
    lines.push(`  ${key.padEnd(38)} ${cells}${excess !== undefined ? String(excess).padStart(19) : ''}`);
  }
  return lines.join('\n');
}
