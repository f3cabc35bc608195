/**
 * The checks of a tool's JSON Schema that Ajv would fail on when compiling it, done without compiling:
 * every `pattern` (and `patternProperties` key) is a JavaScript regular expression with the `u` flag,
 * as Ajv builds them, and every local `$ref` (`#`, `#/$defs/Name`, `#/properties/a`) points at a node
 * of the schema. Validators are compiled on a tool's first call (compiling 1,200 tools' schemas took
 * most of the gateway's start-up), so these keep a broken schema a start-up error rather than a
 * failure of the tool's first call.
 * Iterative: schemas may nest deeply. Returns the first problem, or undefined.
 */
export function schemaProblem(schema: unknown): string | undefined {
  const stack: { node: unknown; at: string }[] = [{ node: schema, at: '' }];
  const seen = new Set<object>();
  while (stack.length > 0) {
    const { node, at } = stack.pop()!;
    if (node === null || typeof node !== 'object' || seen.has(node)) continue;
    seen.add(node);
    const record = node as Record<string, unknown>;
    if (!Array.isArray(node)) {
      if (typeof record.pattern === 'string') {
        const bad = regexProblem(record.pattern);
        if (bad) return `${at || '/'}: pattern ${JSON.stringify(record.pattern)} ${bad}`;
      }
      const pp = record.patternProperties;
      if (pp !== null && typeof pp === 'object')
        for (const key of Object.keys(pp)) {
          const bad = regexProblem(key);
          if (bad) return `${at}/patternProperties: ${JSON.stringify(key)} ${bad}`;
        }
      if (typeof record.$ref === 'string' && record.$ref.startsWith('#') && !resolves(schema, record.$ref))
        return `${at || '/'}: $ref ${JSON.stringify(record.$ref)} points at nothing in the schema`;
    }
    for (const [key, child] of Object.entries(record))
      if (child !== null && typeof child === 'object') stack.push({ node: child, at: `${at}/${key}` });
  }
  return undefined;
}

function regexProblem(source: string): string | undefined {
  try {
    new RegExp(source, 'u');
    return undefined;
  } catch {
    return 'is not a JavaScript regular expression (u flag)';
  }
}

/** True when a `#…` JSON pointer (or a `#name` anchor somewhere in the schema) names a node. */
function resolves(schema: unknown, ref: string): boolean {
  if (ref === '#') return true;
  if (!ref.startsWith('#/')) return hasAnchor(schema, ref.slice(1));
  let node: unknown = schema;
  for (const raw of ref.slice(2).split('/')) {
    let part = raw;
    try {
      part = decodeURIComponent(raw);
    } catch {
      // keep the raw text
    }
    part = part.replace(/~1/g, '/').replace(/~0/g, '~');
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, part)) return false;
    node = (node as Record<string, unknown>)[part];
  }
  return true;
}

function hasAnchor(schema: unknown, name: string): boolean {
  const stack: unknown[] = [schema];
  const seen = new Set<object>();
  while (stack.length > 0) {
    const node = stack.pop();
    if (node === null || typeof node !== 'object' || seen.has(node)) continue;
    seen.add(node);
    const record = node as Record<string, unknown>;
    if (record.$anchor === name || record.$dynamicAnchor === name) return true;
    for (const child of Object.values(record)) stack.push(child);
  }
  return false;
}
