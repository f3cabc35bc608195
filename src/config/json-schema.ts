import { z } from 'zod';
import { addDeprecatedAliases } from './key-aliases.js';
import { gatewayConfigSchema } from './schema.js';

/**
 * A whole value that is one `${NAME}` or `${NAME:-default}` reference: the loader substitutes it before
 * validating, so the schema of the file as written accepts it wherever a typed value goes.
 */
const ENV_REFERENCE = {
  type: 'string',
  pattern: '^\\$\\{[A-Za-z_][A-Za-z0-9_]*(:-[^}]*)?\\}$',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: documents the ${} syntax
  description: 'An environment variable, ${NAME} or ${NAME:-default}, substituted before validation.',
};
const ENV_REF = { $ref: '#/$defs/envReference' };

/** The JSON Schema of the config file as written (before defaults and `${ENV}`), for editors. */
export function buildJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(gatewayConfigSchema, {
    io: 'input',
    unrepresentable: 'any',
    override: keepCaseInsensitivePatterns,
  }) as Record<string, unknown>;
  const withEnv = acceptEnvReferences(schema) as Record<string, unknown>;
  addDeprecatedAliases(withEnv);
  return {
    ...withEnv,
    $defs: { ...((withEnv.$defs as object | undefined) ?? {}), envReference: ENV_REFERENCE },
    title: 'Conduit gateway config',
    description:
      // biome-ignore lint/suspicious/noTemplateCurlyInString: documents the ${} syntax
      'conduit serve --config <file>: upstream APIs and the MCP tools made from them. Strings may use ${ENV_VAR} or ${ENV_VAR:-default}.',
  };
}

type OverrideContext = Parameters<
  NonNullable<NonNullable<Parameters<typeof z.toJSONSchema>[1]>['override']>
>[0];

/** JSON Schema patterns have no flags: a zod regex with `i` becomes one that spells both cases. */
function keepCaseInsensitivePatterns(ctx: OverrideContext): void {
  const def = (ctx.zodSchema as { _zod?: { def?: { checks?: unknown[] } } })._zod?.def;
  const flagged = (def?.checks ?? [])
    .map((c) => (c as { _zod?: { def?: { pattern?: unknown } } })._zod?.def?.pattern)
    .find((p): p is RegExp => p instanceof RegExp && p.flags.includes('i'));
  if (!flagged) return;
  const js = ctx.jsonSchema as { pattern?: string; allOf?: Array<{ pattern?: string }> };
  if (js.pattern === flagged.source) js.pattern = bothCases(flagged.source);
  for (const part of js.allOf ?? [])
    if (part.pattern === flagged.source) part.pattern = bothCases(flagged.source);
}

/** Rewrites a regex source so it matches case-insensitively without the flag (`a` → `[aA]`). */
export function bothCases(source: string): string {
  let out = '';
  for (let i = 0; i < source.length; i++) {
    const ch = source[i] ?? '';
    if (ch === '\\') {
      out += ch + (source[i + 1] ?? '');
      i++;
    } else if (ch === '[') {
      const end = classEnd(source, i);
      const body = source.slice(i + 1, end);
      const negated = body.startsWith('^');
      const items = negated ? body.slice(1) : body;
      // [a-c] → [a-cA-C]: the class again with letters in the other case (escapes kept as they are).
      out += `[${negated ? '^' : ''}${items}${swapCase(items)}]`;
      i = end;
    } else {
      const lower = ch.toLowerCase();
      const upper = ch.toUpperCase();
      out += lower !== upper ? `[${lower}${upper}]` : ch;
    }
  }
  return out;
}

function classEnd(source: string, open: number): number {
  for (let i = open + 1; i < source.length; i++) {
    if (source[i] === '\\') i++;
    else if (source[i] === ']' && i > open + 1) return i;
  }
  return source.length;
}

function swapCase(items: string): string {
  let out = '';
  for (let i = 0; i < items.length; i++) {
    const ch = items[i] ?? '';
    if (ch === '\\') {
      out += ch + (items[i + 1] ?? '');
      i++;
    } else out += ch === ch.toLowerCase() ? ch.toUpperCase() : ch.toLowerCase();
  }
  return out;
}

const TYPED = new Set(['number', 'integer', 'boolean']);

/** Whether a schema node constrains a scalar so that a `${NAME}` string would fail it. */
function isConstrainedScalar(node: Record<string, unknown>): boolean {
  if ('enum' in node || 'const' in node) return true;
  const type = node.type;
  if (typeof type === 'string' && TYPED.has(type)) return true;
  return type === 'string' && ('pattern' in node || 'format' in node || 'minLength' in node);
}

/** Wraps every constrained scalar of the schema as `anyOf: [it, envReference]`. */
function acceptEnvReferences(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(acceptEnvReferences);
  if (node === null || typeof node !== 'object') return node;
  const obj = node as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    // Property names and the like are not values: only walk schemas.
    out[k] =
      k === 'propertyNames' || k === 'required' || k === 'enum' || k === 'const' ? v : acceptEnvReferences(v);
  }
  if (isConstrainedScalar(out)) {
    const { description, default: dflt, ...rest } = out;
    return {
      ...(description === undefined ? {} : { description }),
      ...(dflt === undefined ? {} : { default: dflt }),
      anyOf: [rest, ENV_REF],
    };
  }
  // A union of scalars (e.g. a duration: number or "5s") takes a reference once, at the union.
  if (Array.isArray(out.anyOf) && (out.anyOf as Array<Record<string, unknown>>).every(isEnvWrapped)) {
    out.anyOf = [...(out.anyOf as Array<Record<string, unknown>>).map(unwrapEnv), ENV_REF];
  }
  return out;
}

function isEnvWrapped(node: Record<string, unknown>): boolean {
  const any = node.anyOf as unknown[] | undefined;
  return Array.isArray(any) && any.length === 2 && (any[1] as { $ref?: string })?.$ref === ENV_REF.$ref;
}

function unwrapEnv(node: Record<string, unknown>): Record<string, unknown> {
  const { anyOf, ...meta } = node;
  return { ...meta, ...((anyOf as Record<string, unknown>[])[0] ?? {}) };
}
