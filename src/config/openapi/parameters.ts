import { headerNameProblem } from '../http-headers.js';
import { OpenApiError } from './errors.js';
import type { RawOperation } from './operations.js';
import type { RefResolver } from './resolver.js';
import { type JsonSchema, type SchemaConverter, schemaTypes } from './schema-convert.js';
import { isObject } from '../../core/index.js';
import { publishedText, shown } from './text.js';

/** One path, query or header parameter, ready to be an input property. */
export interface ToolParameter {
  name: string;
  location: 'path' | 'query' | 'header';
  required: boolean;
  schema: JsonSchema;
  /** A query array sent as one comma-separated value (`form`, `explode: false`). */
  commaSeparated: boolean;
  /** Declared with JSON `content` instead of a schema: the value goes out as JSON text. */
  json: boolean;
  /** A query object in `deepObject` style: `name[key]=value`. */
  deepObject: boolean;
}

// OpenAPI: header parameters with these names are ignored (the client sets them).
const IGNORED_HEADERS = new Set(['accept', 'content-type', 'authorization']);

const DEFAULT_STYLE: Record<string, string> = { path: 'simple', query: 'form', header: 'simple' };

/** Path-item parameters overlaid by the operation's own (same name and location), refs resolved. */
function declared(
  op: RawOperation,
  resolver: RefResolver,
): Map<string, { p: Record<string, unknown>; file: string }> {
  const out = new Map<string, { p: Record<string, unknown>; file: string }>();
  const add = (list: unknown, file: string) => {
    if (list === undefined) return;
    if (!Array.isArray(list))
      throw new OpenApiError(
        'OPENAPI_DOCUMENT_INVALID',
        `operation ${op.label}: "parameters" must be a list`,
        {
          operation: op.label,
        },
      );
    for (const entry of list) {
      const { value, file: where } = resolver.deref(entry, file, op.label, 'parameter');
      if (!isObject(value) || typeof value.name !== 'string' || typeof value.in !== 'string')
        throw new OpenApiError(
          'OPENAPI_DOCUMENT_INVALID',
          `operation ${op.label}: every parameter needs a "name" and an "in" (path, query, header or cookie)`,
          { operation: op.label },
        );
      // Refs inside a parameter resolve against the file the parameter lives in.
      out.set(`${value.in}\u0000${value.name}`, { p: value, file: where });
    }
  };
  add(op.pathParameters, op.pathFile);
  add(op.node.parameters, op.file);
  return out;
}

/**
 * The operation's parameters as input properties. Supported: path `simple`, query `form` (arrays
 * exploded or comma-separated), header `simple`, and parameters with JSON `content`. Anything else is
 * an `OPENAPI_UNSUPPORTED_PARAMETER` error naming the operation, the parameter and the fix.
 */
export function toolParameters(
  op: RawOperation,
  resolver: RefResolver,
  converter: SchemaConverter,
  ignore: readonly string[],
): ToolParameter[] {
  const params: ToolParameter[] = [];
  const all = declared(op, resolver);
  const names = [...all.values()].map(({ p }) => p.name as string);
  for (const name of ignore) {
    if (!names.includes(name))
      throw new OpenApiError(
        'OPENAPI_OVERRIDE_INVALID',
        `operation ${op.label}: ignoreParameters names "${name}", which is not one of its parameters (${names.map(shown).join(', ') || 'none'})`,
        { operation: op.label },
      );
  }
  const holes = [...op.path.matchAll(/\{([^{}]+)\}/g)].map((m) => m[1]!);
  for (const { p, file } of all.values()) {
    const name = p.name as string;
    const named = shown(name);
    const fixId = shown(op.id ?? '<operationId>');
    const location = p.in as string;
    const unsupported = (
      what: string,
      fix = `add "${named}" to openapi.overrides.${fixId}.ignoreParameters, or exclude the operation`,
    ) =>
      new OpenApiError(
        'OPENAPI_UNSUPPORTED_PARAMETER',
        `operation ${op.label}: parameter "${named}" (in ${shown(location)}) ${what}; ${fix}`,
        { operation: op.label },
      );
    if (location === 'path' && !holes.includes(name)) continue; // declared but unused by the template
    if (ignore.includes(name)) {
      if (location === 'path')
        throw new OpenApiError(
          'OPENAPI_OVERRIDE_INVALID',
          `operation ${op.label}: path parameter "${named}" cannot be ignored, the path needs it; exclude the operation instead`,
          { operation: op.label },
        );
      continue;
    }
    if (location === 'header' && IGNORED_HEADERS.has(name.toLowerCase())) continue;
    // The HTTP client refuses such a header on every call: say so now, with the operation.
    if (location === 'header' && headerNameProblem(name) !== undefined)
      throw unsupported("is not an HTTP header name (letters, digits and !#$%&'*+-.^_`|~ only)");
    if (location === 'cookie') throw unsupported('is a cookie parameter, which Conduit cannot send');
    if (location !== 'path' && location !== 'query' && location !== 'header')
      throw unsupported(`has an unknown location; "in" must be path, query, header or cookie`);
    const style = p.style === undefined ? DEFAULT_STYLE[location] : p.style;
    const deepObject = location === 'query' && style === 'deepObject';
    if (style !== DEFAULT_STYLE[location] && !deepObject)
      throw unsupported(
        `uses style "${shown(String(style))}"; supported: path simple, query form and deepObject, header simple`,
      );
    const explode = typeof p.explode === 'boolean' ? p.explode : style === 'form';
    let schema: JsonSchema;
    let viaContent = false;
    if (p.content !== undefined) {
      if (!isObject(p.content)) throw unsupported('has a "content" that is not a mapping of media types');
      const [media, entry] = Object.entries(p.content)[0] ?? [];
      if (media === undefined || !isJson(media))
        throw unsupported(`has content ${shown(media ?? '(none)')}; only JSON content is supported`);
      const { value, file: where } = resolver.deref(entry, file, op.label, 'media type');
      schema = isObject(value) && value.schema !== undefined ? converter.convert(value.schema, where) : {};
      viaContent = true;
    } else {
      schema = p.schema === undefined ? { type: 'string' } : converter.convert(p.schema, file);
    }
    const types = schemaTypes(schema);
    const structured = types.includes('object') || types.includes('array');
    if (!viaContent && structured && !deepObject) {
      if (location === 'query' && types.includes('object'))
        throw unsupported(
          'is an object in the query (form style spreads its fields); Conduit sends scalars and arrays only',
        );
      if (location !== 'query')
        throw unsupported(
          `is ${types.includes('array') ? 'an array' : 'an object'} in the ${location}; only scalars are supported there`,
        );
      // OpenAPI defines form style for arrays of primitives only; objects in an array have no wire form.
      if (structuredItems(schema))
        throw unsupported(
          'is an array of objects or arrays in the query, which form style cannot express; Conduit sends arrays of scalars only',
        );
    }
    if (typeof schema === 'object') {
      const extra: Record<string, unknown> = {};
      if (typeof p.description === 'string' && schema.description === undefined)
        extra.description = publishedText(p.description);
      if (p.deprecated === true) extra.deprecated = true;
      if (Object.keys(extra).length > 0) schema = { ...schema, ...extra };
    }
    params.push({
      name,
      location,
      required: location === 'path' || p.required === true,
      schema,
      commaSeparated:
        location === 'query' && !viaContent && types.includes('array') && !explode && !deepObject,
      json: viaContent,
      deepObject: deepObject && !viaContent,
    });
  }
  // A {hole} with no declared parameter still has to be filled: a required string.
  for (const hole of holes) {
    if (!params.some((p) => p.location === 'path' && p.name === hole))
      params.push({
        name: hole,
        location: 'path',
        required: true,
        schema: { type: 'string' },
        commaSeparated: false,
        json: false,
        deepObject: false,
      });
  }
  const seen = new Map<string, string>();
  for (const p of params) {
    // As a key of the tool's properties and params it would replace their prototype, not add an argument.
    if (p.name === '__proto__')
      throw new OpenApiError(
        'OPENAPI_UNSUPPORTED_PARAMETER',
        `operation ${op.label}: parameter "__proto__" (in ${p.location}) cannot be a tool argument; ` +
          (p.location === 'path'
            ? 'rename it in the document, or exclude the operation'
            : `add it to openapi.overrides.${shown(op.id ?? '<operationId>')}.ignoreParameters, or exclude the operation`),
        { operation: op.label },
      );
    const other = seen.get(p.name);
    if (other !== undefined)
      throw new OpenApiError(
        'OPENAPI_NAME_COLLISION',
        `operation ${op.label}: parameter "${shown(p.name)}" is both in ${other} and in ${p.location}; tool arguments need distinct names — ` +
          `add it to openapi.overrides.${shown(op.id ?? '<operationId>')}.ignoreParameters (not possible for path parameters) or exclude the operation`,
        { operation: op.label },
      );
    seen.set(p.name, p.location);
  }
  return params;
}

/**
 * True when an array schema's items are declared as objects or arrays. Items left open (no `items`)
 * are taken as scalars: documents often leave them out, and a scalar is what a query value can be.
 */
function structuredItems(schema: JsonSchema): boolean {
  if (typeof schema !== 'object') return false;
  const items = schema.items as JsonSchema | undefined;
  if (items === undefined || typeof items !== 'object') return false;
  const types = schemaTypes(items);
  return types.length === 0
    ? hasStructuredBranch(items)
    : types.includes('object') || types.includes('array');
}

/** An items schema without `type` that is a union: structured when any branch is. */
function hasStructuredBranch(items: Record<string, unknown>): boolean {
  const branches = [...((items.anyOf as JsonSchema[]) ?? []), ...((items.oneOf as JsonSchema[]) ?? [])];
  return branches.some(
    (b) => typeof b === 'object' && schemaTypes(b).some((t) => t === 'object' || t === 'array'),
  );
}

/** `application/json`, `application/problem+json`, `application/json; charset=utf-8`, … */
export function isJson(media: string): boolean {
  return /^application\/(?:[\w.-]+\+)?json\s*(?:;|$)/i.test(media.trim());
}
