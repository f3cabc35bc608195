/**
 * Deterministic arguments for a tool, generated from its input schema: the same schema always gives
 * the same arguments. Required properties always; optional ones too with `optional: true` (one level
 * down only, so nested optional objects stay small). Values take the schema's own hints first
 * (`const`, `enum`, `default`), then a value per type that meets the schema's bounds and formats.
 */
type Schema = Record<string, unknown>;

export interface SampleOptions {
  /** Also fill optional properties of the top-level object (exercises more of the wire). */
  optional?: boolean;
}

const FORMATS: Record<string, string> = {
  'date-time': '2024-01-02T03:04:05Z',
  date: '2024-01-02',
  time: '03:04:05Z',
  email: 'someone@example.com',
  uri: 'https://example.com/a',
  url: 'https://example.com/a',
  'uri-reference': 'https://example.com/a',
  hostname: 'example.com',
  ipv4: '192.0.2.1',
  ipv6: '2001:db8::1',
  uuid: '3fa85f64-5717-4562-b3fc-2c963f66afa6',
  byte: 'aGVsbG8=',
};

// Tried in turn against a `pattern`; the first that matches is used.
const PATTERN_CANDIDATES = [
  'a',
  'abc',
  'aGVsbG8=',
  'sample',
  '1',
  '123',
  'A',
  'a1',
  'ab-cd',
  'main',
  'image/png',
  'text/plain',
  'file.txt',
  'v1.0.0',
  '2024-01-02',
  'ff00aa',
  'owner/repo',
  'a.b',
  'UTC',
];

export function sampleArguments(schema: Schema, options: SampleOptions = {}): Record<string, unknown> {
  const defs = (schema.$defs ?? {}) as Record<string, Schema>;
  const value = new Sampler(defs).object(schema, 0, options.optional === true);
  return value as Record<string, unknown>;
}

class Sampler {
  constructor(private readonly defs: Record<string, Schema>) {}

  value(raw: unknown, depth: number): unknown {
    let schema = (raw ?? {}) as Schema;
    if (typeof schema !== 'object') return 'a';
    if (typeof schema.$ref === 'string') {
      const target = this.defs[schema.$ref.replace('#/$defs/', '')] ?? {};
      const { $ref: _r, ...rest } = schema;
      schema = { ...target, ...rest };
    }
    if (schema.const !== undefined) return schema.const;
    if (Array.isArray(schema.enum)) {
      const choice = schema.enum.find((v) => v !== null && v !== '') ?? schema.enum[0];
      return choice;
    }
    if (schema.default !== undefined && schema.default !== null) return schema.default;
    for (const key of ['oneOf', 'anyOf'] as const)
      if (Array.isArray(schema[key])) {
        const branches = schema[key] as Schema[];
        const pick =
          branches.find((b) => b && (b as Schema).type !== 'null' && !isEmptyStringEnum(b as Schema)) ??
          branches[0];
        const { [key]: _b, ...rest } = schema;
        return this.value({ ...rest, ...(pick as Schema) }, depth);
      }
    if (Array.isArray(schema.allOf)) {
      const { allOf, ...rest } = schema;
      const merged = (allOf as Schema[]).reduce<Schema>(
        (acc, part) => mergeSchemas(acc, this.resolve(part)),
        rest,
      );
      return this.value(merged, depth);
    }
    const type = pickType(schema);
    switch (type) {
      case 'object':
        return this.object(schema, depth, false);
      case 'array': {
        if (depth > 12) return [];
        // Two items where allowed: a repeated part or key is what a one-item list would not show.
        const n = Math.min(Math.max(2, Number(schema.minItems ?? 0)), Number(schema.maxItems ?? 2));
        const items = Array.isArray(schema.items) ? schema.items : [schema.items];
        return Array.from({ length: n }, (_, i) => this.value(items[i % items.length], depth + 1));
      }
      case 'integer':
      case 'number':
        return number(schema, type);
      case 'boolean':
        return true;
      case 'null':
        return null;
      default:
        return string(schema);
    }
  }

  object(schema: Schema, depth: number, optional: boolean): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const properties = (schema.properties ?? {}) as Record<string, Schema>;
    const required = new Set(Array.isArray(schema.required) ? (schema.required as string[]) : []);
    if (depth > 12) return out;
    for (const [name, prop] of Object.entries(properties))
      if (required.has(name) || optional) out[name] = this.value(prop, depth + 1);
    const min = Number(schema.minProperties ?? 0);
    if (Object.keys(out).length < min && schema.additionalProperties !== false)
      for (let i = Object.keys(out).length; i < min; i++) out[`key${i}`] = 'a';
    return out;
  }

  private resolve(part: Schema): Schema {
    if (part && typeof part.$ref === 'string') return this.defs[part.$ref.replace('#/$defs/', '')] ?? {};
    return part ?? {};
  }
}

function isEmptyStringEnum(schema: Schema): boolean {
  return Array.isArray(schema.enum) && schema.enum.length === 1 && schema.enum[0] === '';
}

function mergeSchemas(a: Schema, b: Schema): Schema {
  const out: Schema = { ...a, ...b };
  if (a.properties || b.properties)
    out.properties = { ...((a.properties as Schema) ?? {}), ...((b.properties as Schema) ?? {}) };
  if (a.required || b.required)
    out.required = [...((a.required as string[]) ?? []), ...((b.required as string[]) ?? [])];
  if (!out.type && out.properties) out.type = 'object';
  return out;
}

function pickType(schema: Schema): string {
  const type = schema.type;
  if (typeof type === 'string') return type;
  if (Array.isArray(type)) return (type.find((t) => t !== 'null') as string) ?? 'null';
  if (schema.properties) return 'object';
  if (schema.items) return 'array';
  return 'string';
}

function number(schema: Schema, type: string): number {
  let n = typeof schema.minimum === 'number' ? schema.minimum : 1;
  if (typeof schema.exclusiveMinimum === 'number') n = Math.max(n, schema.exclusiveMinimum + 1);
  if (typeof schema.maximum === 'number' && n > schema.maximum) n = schema.maximum;
  if (typeof schema.exclusiveMaximum === 'number' && n >= schema.exclusiveMaximum)
    n = schema.exclusiveMaximum - 1;
  if (typeof schema.multipleOf === 'number') n = Math.ceil(n / schema.multipleOf) * schema.multipleOf;
  return type === 'integer' ? Math.ceil(n) : n;
}

function string(schema: Schema): string {
  const min = typeof schema.minLength === 'number' ? schema.minLength : 0;
  const max = typeof schema.maxLength === 'number' ? schema.maxLength : Number.POSITIVE_INFINITY;
  const fitLength = (s: string) => {
    let v = s;
    while (v.length < min) v += s.slice(-1) || 'a';
    return v.length > max ? v.slice(0, max) : v;
  };
  if (typeof schema.pattern === 'string') {
    let re: RegExp | undefined;
    try {
      re = new RegExp(schema.pattern, 'u');
    } catch {
      re = undefined;
    }
    if (re) {
      const built = fromPattern(schema.pattern);
      if (built !== undefined && re.test(built)) return built;
      for (const c of PATTERN_CANDIDATES) {
        const v = fitLength(c);
        if (re.test(v)) return v;
      }
    }
  }
  if (typeof schema.format === 'string' && FORMATS[schema.format]) return fitLength(FORMATS[schema.format]!);
  if (schema.contentEncoding === 'base64') return 'aGVsbG8=';
  return fitLength('sample');
}

/**
 * A string a simple anchored pattern matches (`^AC[0-9a-fA-F]{32}$`: literals, classes, `\\d`,
 * `\\w`, `{n}`/`{n,m}`/`+`/`*`/`?`), or undefined for anything else (groups, alternation).
 */
function fromPattern(pattern: string): string | undefined {
  const body = /^\^(.*)\$$/.exec(pattern)?.[1];
  if (body === undefined || /[()|]/.test(body)) return undefined;
  let out = '';
  let last = '';
  for (let i = 0; i < body.length; ) {
    const c = body[i]!;
    if (c === '[') {
      const end = body.indexOf(']', i + 2);
      if (end < 0 || body[i + 1] === '^') return undefined;
      last = body[i + 1] === '\\' ? body[i + 2]! : body[i + 1]!;
      out += last;
      i = end + 1;
    } else if (c === '\\') {
      const e = body[i + 1]!;
      last = e === 'd' ? '0' : e === 'w' ? 'a' : /[A-Za-z]/.test(e) ? '' : e;
      if (last === '') return undefined;
      out += last;
      i += 2;
    } else if (c === '{') {
      const m = /^\{(\d+)(,\d*)?\}/.exec(body.slice(i));
      if (!m) return undefined;
      out = out.slice(0, -1) + last.repeat(Number(m[1]));
      i += m[0].length;
    } else if (c === '*' || c === '?') {
      out = out.slice(0, -1);
      i++;
    } else if (c === '+') {
      i++;
    } else if (c === '.') {
      last = 'a';
      out += last;
      i++;
    } else {
      last = c;
      out += c;
      i++;
    }
  }
  return out;
}
