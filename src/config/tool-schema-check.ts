import { didYouMean } from './did-you-mean.js';
import type { ConfigPath } from './interpolate.js';

const JSON_TYPES = ['string', 'number', 'integer', 'boolean', 'object', 'array', 'null'];

/** Keywords whose value is one subschema. */
const ONE = [
  'items',
  'additionalProperties',
  'unevaluatedProperties',
  'unevaluatedItems',
  'propertyNames',
  'contains',
  'not',
  'if',
  'then',
  'else',
  'additionalItems',
];
/** Keywords whose value is a list of subschemas. */
const LIST = ['anyOf', 'oneOf', 'allOf', 'prefixItems', 'items'];
/** Keywords whose value maps names to subschemas. */
const MAP = ['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas'];

export interface SchemaProblem {
  path: ConfigPath;
  message: string;
}

/**
 * Checks the JSON Schemas a config writes by hand (`tools[].input`, `tools[].output`) for what the
 * config schema cannot see and the validator would only refuse at the first call: a `type` that is
 * no JSON Schema type (`strin`). Each problem is placed at the offending keyword, so `validate` and
 * `serve` both give its line. Iterative: schemas may nest deeply.
 */
export function toolSchemaProblems(config: unknown): SchemaProblem[] {
  const tools = (config as { tools?: unknown } | null)?.tools;
  if (!Array.isArray(tools)) return [];
  const problems: SchemaProblem[] = [];
  tools.forEach((tool, i) => {
    for (const key of ['input', 'output'] as const) {
      const schema = (tool as Record<string, unknown> | null)?.[key];
      if (schema !== null && typeof schema === 'object')
        problems.push(...typeProblems(schema, ['tools', i, key]));
    }
  });
  return problems;
}

function typeProblems(root: object, at: ConfigPath): SchemaProblem[] {
  const problems: SchemaProblem[] = [];
  const stack: { node: unknown; path: ConfigPath }[] = [{ node: root, path: at }];
  const seen = new Set<object>();
  while (stack.length > 0) {
    const { node, path } = stack.pop()!;
    if (node === null || typeof node !== 'object' || Array.isArray(node) || seen.has(node)) continue;
    seen.add(node);
    const schema = node as Record<string, unknown>;
    const problem = badType(schema.type);
    if (problem) problems.push({ path: [...path, 'type'], message: problem });
    for (const k of ONE) if (!Array.isArray(schema[k])) stack.push({ node: schema[k], path: [...path, k] });
    for (const k of LIST) {
      const list = schema[k];
      if (Array.isArray(list))
        for (let j = 0; j < list.length; j++) stack.push({ node: list[j], path: [...path, k, j] });
    }
    for (const k of MAP) {
      const map = schema[k];
      if (map !== null && typeof map === 'object' && !Array.isArray(map))
        for (const [name, s] of Object.entries(map)) stack.push({ node: s, path: [...path, k, name] });
    }
  }
  return problems;
}

function badType(type: unknown): string | undefined {
  if (type === undefined) return undefined;
  const types = Array.isArray(type) ? type : [type];
  for (const t of types) {
    if (typeof t === 'string' && JSON_TYPES.includes(t)) continue;
    const guess = typeof t === 'string' ? didYouMean(t, JSON_TYPES) : undefined;
    const shown = typeof t === 'string' ? `"${t.slice(0, 40)}"` : 'this value';
    return `${shown} is not a JSON Schema type; expected one of ${JSON_TYPES.join(', ')}${guess ? ` (did you mean "${guess}"?)` : ''}`;
  }
  return undefined;
}
