import { OpenApiError } from './errors.js';
import { type RefResolver, where } from './resolver.js';
import { publishedText } from './text.js';

/** A JSON Schema as plain data (object or boolean form). */
export type JsonSchema = Record<string, unknown> | boolean;

/**
 * Keywords at the value JSON Schema gives them when absent (`readOnly: false`, `minItems: 0`): they
 * tell a validator, a client and a model nothing, and every tool listing carries them, so they are
 * not kept.
 */
const DEFAULT_VALUES: Readonly<Record<string, unknown>> = {
  readOnly: false,
  writeOnly: false,
  deprecated: false,
  uniqueItems: false,
  minItems: 0,
  minLength: 0,
  minProperties: 0,
};

/** A `$ref`ed schema costing more nodes than this is inlined once per tool; later uses point to `$defs`. */
const SHARE_MIN_NODES = 8;

/**
 * Converts schemas of one tool into self-contained JSON Schema: `$ref`s are inlined, with definitions
 * collected in `defs`, to be placed at the root of the tool's input or output schema, where inlining
 * would not end or not stay small: a recursive schema (one that contains itself) becomes
 * `#/$defs/<Name>`; so does a sizeable one met again in the same tool (a `$ref` fan-out would
 * otherwise grow exponentially), and a `$ref` met deeper than `maxDepth` levels (converted afresh
 * from the top, once). A deep schema without `$ref`s is cut there: `{}` with a description. OpenAPI 3.0 quirks are converted
 * (`nullable`, boolean `exclusiveMinimum`/`exclusiveMaximum`); OpenAPI-only keywords, and keywords
 * at their default value (`readOnly: false`), are dropped.
 * Request schemas lose their `readOnly` properties, response schemas their `writeOnly` ones.
 */
export class SchemaConverter {
  /** `$defs` for the recursive schemas met so far, by name. */
  readonly defs: Record<string, JsonSchema> = {};
  private readonly defNames = new Map<string, string>();
  /** The names `defNames` gave out, kept beside it: rebuilding them per new name is quadratic. */
  private readonly takenNames = new Set<string>();
  private readonly inProgress: string[] = [];
  /** The `$ref`ed schemas being converted, outermost first: the dynamic scope `$recursiveRef` reads. */
  private readonly scope: { id: string; node: unknown }[] = [];
  private readonly active = new Set<object>();
  /** Schemas converted so far by ref id, and their cost in nodes, to share the sizeable ones. */
  private readonly converted = new Map<string, { schema: JsonSchema; cost: number }>();
  /** Refs met past `maxDepth`, converted from the top when the defs are attached. */
  private readonly deferred: { id: string; value: unknown; file: string }[] = [];
  /** What was changed to make the schemas usable (dropped patterns, cut depths), for warnings. */
  readonly notes: string[] = [];
  private budget: number;

  constructor(
    private readonly resolver: RefResolver,
    private readonly operation: string,
    private readonly mode: 'request' | 'response',
    options: { maxNodes?: number; maxDepth?: number } = {},
  ) {
    this.budget = options.maxNodes ?? 20_000;
    this.maxDepth = options.maxDepth ?? 64;
  }

  private readonly maxDepth: number;

  /** Converts one schema found in `file`. */
  convert(node: unknown, file: string): JsonSchema {
    return this.walk(node, file, 0);
  }

  /** The schema with the collected `$defs` attached (when there are any). */
  withDefs(schema: Record<string, unknown>): Record<string, unknown> {
    // Each deferred ref is converted once (defName marks it), so this ends.
    while (this.deferred.length > 0) {
      const next = this.deferred.shift()!;
      this.inProgress.push(next.id);
      try {
        this.defs[this.defName(next.id)] = this.walk(next.value, next.file, 0);
      } finally {
        this.inProgress.pop();
      }
    }
    return Object.keys(this.defs).length === 0 ? schema : { ...schema, $defs: { ...this.defs } };
  }

  private fail(message: string): OpenApiError {
    return new OpenApiError('OPENAPI_SCHEMA_TOO_LARGE', `${where(this.operation)}: ${message}`, {
      operation: this.operation,
    });
  }

  private walk(node: unknown, file: string, depth: number): JsonSchema {
    this.resolver.budget?.node(this.operation);
    if (--this.budget < 0)
      throw this.fail(
        'its schemas expand to too many nodes once $refs are inlined; exclude it or simplify the schema',
      );
    if (typeof node === 'boolean') return node;
    if (depth > this.maxDepth) return this.cut(node, file);
    if (node === null || typeof node !== 'object' || Array.isArray(node))
      throw new OpenApiError(
        'OPENAPI_DOCUMENT_INVALID',
        `${where(this.operation)}: expected a schema object, found ${node === null ? 'null' : Array.isArray(node) ? 'a list' : typeof node}`,
        { operation: this.operation },
      );
    if (typeof (node as { $ref?: unknown }).$ref === 'string') return this.ref(node, file, depth);
    const dynamic = dynamicTarget(node as Record<string, unknown>);
    if (dynamic !== undefined) return this.dynamicRef(node as Record<string, unknown>, dynamic, file, depth);
    if (this.active.has(node))
      throw new OpenApiError(
        'OPENAPI_DOCUMENT_INVALID',
        `${where(this.operation)}: a schema contains itself through a YAML alias; use a $ref instead`,
        { operation: this.operation },
      );
    this.active.add(node);
    try {
      return this.object(node as Record<string, unknown>, file, depth);
    } finally {
      this.active.delete(node);
    }
  }

  /** Past `maxDepth`: a `$ref` goes to `$defs` (converted from the top later); anything else is cut. */
  private cut(node: unknown, file: string): JsonSchema {
    if (node !== null && typeof node === 'object' && typeof (node as { $ref?: unknown }).$ref === 'string') {
      const resolved = this.resolver.deref(node, file, this.operation, 'schema');
      const id = resolved.id!;
      if (!this.defNames.has(id)) this.deferred.push({ id, value: resolved.value, file: resolved.file });
      return { $ref: `#/$defs/${this.defName(id)}` };
    }
    this.notes.push(
      `a ${this.mode} schema nests deeper than ${this.maxDepth} levels; cut there (not checked below)`,
    );
    return { description: `(nested deeper than ${this.maxDepth} levels; not described further)` };
  }

  private ref(node: object, file: string, depth: number): JsonSchema {
    const resolved = this.resolver.deref(node, file, this.operation, 'schema');
    const id = resolved.id!;
    const siblings = resolved.siblings ? this.object(resolved.siblings, file, depth) : undefined;
    if (this.inProgress.includes(id)) {
      // Recursion: refer to a definition instead of inlining forever.
      const name = this.defName(id);
      return siblings ? { ...siblings, $ref: `#/$defs/${name}` } : { $ref: `#/$defs/${name}` };
    }
    const known = this.converted.get(id);
    if (known !== undefined && known.cost > SHARE_MIN_NODES) {
      // Met again in this tool: one definition instead of another copy.
      const name = this.defName(id);
      this.defs[name] = known.schema;
      return siblings ? { ...siblings, $ref: `#/$defs/${name}` } : { $ref: `#/$defs/${name}` };
    }
    this.inProgress.push(id);
    this.scope.push({ id, node: resolved.value });
    let schema: JsonSchema;
    const before = this.budget;
    try {
      schema = this.walk(resolved.value, resolved.file, depth + 1);
    } finally {
      this.inProgress.pop();
      this.scope.pop();
    }
    this.converted.set(id, { schema, cost: before - this.budget });
    const name = this.defNames.get(id);
    if (name !== undefined) this.defs[name] = schema;
    if (siblings && typeof schema === 'object') return { ...schema, ...siblings };
    return schema;
  }

  /**
   * `$recursiveRef: "#"` (2019-09) and `$dynamicRef: "#name"` (2020-12) name a schema of the dynamic
   * scope: the outermost `$ref`ed schema being converted that carries `$recursiveAnchor: true` (or
   * `$dynamicAnchor: name`), else the innermost one (the schema resource the keyword is in). It is one
   * of those in progress, so it becomes `#/$defs/<Name>` like any recursion, and inlining stays bounded.
   * With nothing in scope (the keyword in an inline schema) it cannot be followed: `{}`, with a note.
   */
  private dynamicRef(
    node: Record<string, unknown>,
    target: { anchor: string | true },
    file: string,
    depth: number,
  ): JsonSchema {
    const { $recursiveRef: _r, $dynamicRef: _d, ...rest } = node;
    const siblings = Object.keys(rest).length > 0 ? this.object(rest, file, depth) : undefined;
    const anchored = this.scope.find((entry) => {
      const n = entry.node as Record<string, unknown> | null;
      if (n === null || typeof n !== 'object') return false;
      return target.anchor === true ? n.$recursiveAnchor === true : n.$dynamicAnchor === target.anchor;
    });
    const entry = anchored ?? this.scope.at(-1);
    if (entry === undefined) {
      this.notes.push(
        `a ${this.mode} schema's ${target.anchor === true ? '$recursiveRef' : '$dynamicRef'} names no schema it is in; not checked there`,
      );
      return {
        ...(siblings ?? {}),
        description: '(a recursive reference that cannot be followed; not checked)',
      };
    }
    const ref = { $ref: `#/$defs/${this.defName(entry.id)}` };
    return siblings ? { ...siblings, ...ref } : ref;
  }

  private defName(id: string): string {
    const known = this.defNames.get(id);
    if (known !== undefined) return known;
    const last = id.slice(id.lastIndexOf('/') + 1) || 'Schema';
    const base = last.replace(/[^A-Za-z0-9_.-]+/g, '_').slice(0, 64) || 'Schema';
    let name = base;
    for (let i = 2; this.takenNames.has(name); i++) name = `${base}_${i}`;
    this.defNames.set(id, name);
    this.takenNames.add(name);
    this.defs[name] = true; // placeholder until the definition is converted
    return name;
  }

  private object(node: Record<string, unknown>, file: string, depth: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const sub = (value: unknown) => this.walk(value, file, depth + 1);
    for (const key of Object.keys(node)) {
      const value = node[key];
      switch (key) {
        case 'items':
          // OpenAPI 3.0 never has tuple items, JSON Schema draft 4-7 may.
          out.items = Array.isArray(value) ? value.map(sub) : sub(value);
          break;
        case 'additionalProperties':
          // `true` is what no keyword says, unless `unevaluatedProperties` reads what it evaluated.
          if (value === true && node.unevaluatedProperties === undefined) break;
          out[key] = typeof value === 'boolean' ? value : sub(value);
          break;
        case 'additionalItems':
        case 'unevaluatedProperties':
        case 'unevaluatedItems':
        case 'not':
        case 'if':
        case 'then':
        case 'else':
        case 'contains':
        case 'propertyNames':
        case 'contentSchema':
          out[key] = typeof value === 'boolean' ? value : sub(value);
          break;
        case 'allOf':
        case 'anyOf':
        case 'oneOf':
        case 'prefixItems':
          if (Array.isArray(value)) out[key] = value.map(sub);
          break;
        case 'properties':
        case 'patternProperties':
        case 'dependentSchemas':
          if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
            const props: Record<string, JsonSchema> = {};
            for (const [name, schema] of Object.entries(value)) {
              if (key === 'patternProperties' && !this.validPattern(name)) continue;
              const converted = sub(schema);
              if (key === 'properties' && this.hidden(converted)) continue;
              props[name] = converted;
            }
            out[key] = props;
          }
          break;
        case 'required':
          if (Array.isArray(value)) out.required = value.filter((v) => typeof v === 'string');
          break;
        case 'description':
        case 'title':
          // Published to every client: without the control characters a document may carry.
          out[key] = typeof value === 'string' ? publishedText(value) : value;
          break;
        case 'pattern':
          // Documents are written for other regex flavours; validators compile with JavaScript's `u`.
          if (typeof value === 'string' && this.validPattern(value)) out.pattern = value;
          break;
        case 'exclusiveMinimum':
        case 'exclusiveMaximum':
          // 3.0: a boolean that makes minimum/maximum exclusive; JSON Schema: the bound itself.
          if (typeof value === 'boolean') {
            const bound = key === 'exclusiveMinimum' ? 'minimum' : 'maximum';
            if (value && typeof node[bound] === 'number') out[key] = node[bound];
          } else out[key] = value;
          break;
        case 'minimum':
        case 'maximum':
          if (node[key === 'minimum' ? 'exclusiveMinimum' : 'exclusiveMaximum'] !== true) out[key] = value;
          break;
        // OpenAPI-only keywords, and ids that would change how a validator resolves refs.
        case 'nullable':
        case 'discriminator':
        case 'xml':
        case 'externalDocs':
        case 'example':
        case '$schema':
        case '$id':
        case '$anchor':
        case '$dynamicAnchor':
        case '$dynamicRef':
        case '$recursiveAnchor':
        case '$recursiveRef':
        case '$defs':
        case 'definitions':
          break;
        default:
          if (!Object.hasOwn(DEFAULT_VALUES, key) || DEFAULT_VALUES[key] !== value) out[key] = value;
      }
    }
    if (Array.isArray(out.required) && out.properties && typeof out.properties === 'object') {
      // Properties dropped as readOnly/writeOnly cannot stay required.
      const dropped = Object.keys(node.properties ?? {}).filter(
        (p) => !Object.hasOwn(out.properties as object, p),
      );
      if (dropped.length > 0) out.required = (out.required as string[]).filter((r) => !dropped.includes(r));
    }
    if (node.nullable === true) {
      if (typeof out.type === 'string') out.type = [out.type, 'null'];
      if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
    }
    return out;
  }

  private validPattern(pattern: string): boolean {
    try {
      new RegExp(pattern, 'u');
      return true;
    } catch {
      this.notes.push(
        `pattern ${JSON.stringify(pattern.slice(0, 80))} is not a valid JavaScript (u flag) regular expression; dropped, values are not checked against it`,
      );
      return false;
    }
  }

  private hidden(schema: JsonSchema): boolean {
    if (typeof schema !== 'object') return false;
    return this.mode === 'request' ? schema.readOnly === true : schema.writeOnly === true;
  }
}

/** What a `$recursiveRef` (`#` only) or `$dynamicRef` (`#anchor`) asks for; undefined when neither. */
function dynamicTarget(node: Record<string, unknown>): { anchor: string | true } | undefined {
  if (node.$recursiveRef === '#') return { anchor: true };
  const dynamic = node.$dynamicRef;
  if (typeof dynamic === 'string' && dynamic.startsWith('#') && !dynamic.startsWith('#/'))
    return { anchor: dynamic.slice(1) };
  return undefined;
}

/** The JSON types a converted schema allows, from `type` (empty when it does not say). */
export function schemaTypes(schema: JsonSchema): string[] {
  if (typeof schema !== 'object') return [];
  const type = schema.type;
  if (typeof type === 'string') return [type];
  if (Array.isArray(type)) return type.filter((t): t is string => typeof t === 'string');
  if (schema.properties !== undefined) return ['object'];
  if (schema.items !== undefined) return ['array'];
  return [];
}
