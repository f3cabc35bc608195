import type { ToolConfig } from '../schema.js';
import { OpenApiError } from './errors.js';
import type { RawOperation } from './operations.js';
import { isJson, type ToolParameter, toolParameters } from './parameters.js';
import { cacheTags, invalidationTags } from './resource-tags.js';
import type { RefResolver } from './resolver.js';
import { type JsonSchema, SchemaConverter, schemaTypes } from './schema-convert.js';
import { type OpenApiOverride, type OpenApiSource, overrideOf } from './source-schema.js';
import { isObject } from '../../core/index.js';
import { fileProperty, isFileSchema, partContentType } from './file-parts.js';
import { copyToolFeatures, documentAnnotations } from './tool-features.js';
import { publishedText } from './text.js';

/**
 * How the arguments go on the wire beyond their location. The generated tool carries the same as
 * `tool.wire` (what the gateway reads); this copy is always present, for callers that inspect it.
 */
export interface WireHints {
  /**
   * The input property that is the whole JSON body (the body is not an object, or its property names
   * collide with parameters). Its `params` location is `body`; its value is sent as the body itself,
   * not wrapped as `{ "<name>": value }`.
   */
  bodyArgument: string | undefined;
  /** Query array parameters sent as one comma-separated value (`style: form, explode: false`). */
  commaSeparatedQuery: string[];
  /** Parameters declared with JSON `content`: their value is sent as JSON text. */
  jsonEncoded: string[];
  /**
   * `form`: the body fields go out `application/x-www-form-urlencoded`, in bracket notation;
   * `multipart`: as `multipart/form-data`, files from `fileParts`.
   */
  bodyEncoding: 'form' | 'multipart' | undefined;
  /** Multipart: the file fields, each with its part's default content type. */
  fileParts: Record<string, string>;
  /** Multipart: object fields sent in bracket notation (their `encoding` says `style: deepObject`). */
  bracketParts: string[];
  /**
   * `requestBody.required` while every field is optional: an empty body must still be sent. Only
   * here, not in `tool.wire`: `expandOpenApi` adds it for the tools an `openapi` section serves.
   */
  bodyRequired: boolean;
  /** Query objects in `deepObject` style (`filter[status]=open`). */
  deepObjectQuery: string[];
}

/** A tool built from one operation. */
export interface OperationTool {
  tool: ToolConfig;
  wire: WireHints;
  /** What was changed to make the operation servable (a dropped pattern, a cut schema), for warnings. */
  notes: string[];
}

interface BuildContext {
  upstream: string;
  source: OpenApiSource;
  resolver: RefResolver;
  /** True when the document has a GET on this exact path. */
  isGettable: (path: string) => boolean;
}

/** Builds the tool config of one selected operation (its `id` is set). */
export function operationTool(op: RawOperation, name: string, ctx: BuildContext): OperationTool {
  const override: OpenApiOverride | undefined = overrideOf(ctx.source, op.id!);
  const request = new SchemaConverter(ctx.resolver, op.label, 'request');
  const parameters = toolParameters(op, ctx.resolver, request, override?.ignoreParameters ?? []);

  const properties: Record<string, Record<string, unknown>> = {};
  const required: string[] = [];
  const params: ToolConfig['params'] = {};
  for (const p of parameters) {
    properties[p.name] = objectForm(p.schema);
    params[p.name] = p.location;
    if (p.required) required.push(p.name);
  }

  const body = requestBody(op, ctx.resolver, request, parameters);
  // Strict unless the operator opts out for this operation: a document that accepts any body field
  // is exactly where mass assignment (`role`, `owner_id`) gets through.
  const allowUnlisted = override?.allowUnlistedArguments === true;
  let additional: unknown = allowUnlisted;
  let bodyArgument: string | undefined;
  if (body?.kind === 'fields') {
    for (const [prop, schema] of Object.entries(body.properties)) {
      properties[prop] = objectForm(schema);
      params[prop] = 'body';
    }
    for (const r of body.required)
      if (Object.hasOwn(body.properties, r) && !required.includes(r)) required.push(r);
    if (allowUnlisted && body.additionalProperties !== undefined) additional = body.additionalProperties;
  } else if (body?.kind === 'whole') {
    bodyArgument = body.argument;
    properties[body.argument] = objectForm(body.schema);
    params[body.argument] = 'body';
    if (body.required) required.push(body.argument);
  }

  const input: ToolConfig['input'] = request.withDefs({
    type: 'object',
    properties,
    ...(required.length > 0 ? { required } : {}),
    additionalProperties: additional,
  }) as ToolConfig['input'];

  // Declared only where asked: a declared schema turns an upstream's drift into a failed call.
  const notes: string[] = [];
  const output =
    (override?.outputSchema ?? ctx.source.outputSchemas)
      ? responseSchema(op, ctx.resolver, notes)
      : undefined;
  // Published to every client: without the control characters a document may carry.
  const summary = typeof op.node.summary === 'string' ? publishedText(op.node.summary).trim() : '';
  const described = typeof op.node.description === 'string' ? publishedText(op.node.description).trim() : '';
  // A description that only repeats the summary is none: the summary is then the description.
  const details = described === summary ? '' : described;
  const documented = documentAnnotations(op, notes);
  const summaryTitle = ctx.source.titles && summary && details ? summary : undefined;
  const title = override?.title ?? documented.title ?? summaryTitle;
  // The summary is said at most once: as the title, or as the description's first line when titles
  // are on (or there is no description); off, a description says at length what it says briefly.
  const lead = title === summary || (!ctx.source.titles && details) ? '' : summary;
  let description =
    [lead, details].filter((s) => s !== '').join('\n\n') || summary || `${op.method} ${op.path}`;
  if (op.node.deprecated === true) description = `(deprecated) ${description}`;
  const tool: ToolConfig = {
    name: override?.name ?? name,
    ...(title !== undefined ? { title } : {}),
    description: override?.description ?? description,
    upstream: ctx.upstream,
    method: op.method as ToolConfig['method'],
    path: op.path,
    input,
    params,
    ...(output ? { output } : {}),
    allowUnlistedArguments: allowUnlisted,
  };
  const cache = cachePolicy(op, ctx.source, override);
  if (cache) tool.cache = cache;
  const invalidates = invalidation(op, ctx, override);
  if (invalidates) tool.invalidates = invalidates;
  if (override?.timeout !== undefined) tool.timeout = override.timeout;
  const annotations = { ...documented.hints, ...override?.annotations };
  if (Object.keys(annotations).length > 0) tool.annotations = annotations;
  if (override) copyToolFeatures(override, tool);
  checkTemplates(op, tool);
  const wire: WireHints = {
    bodyArgument,
    commaSeparatedQuery: parameters.filter((p) => p.commaSeparated).map((p) => p.name),
    jsonEncoded: parameters.filter((p) => p.json).map((p) => p.name),
    bodyEncoding: body !== undefined && body.encoding !== 'json' ? body.encoding : undefined,
    fileParts: body?.kind === 'fields' ? { ...body.files } : {},
    bracketParts: body?.kind === 'fields' ? [...body.brackets] : [],
    bodyRequired: body?.kind === 'fields' && body.bodyRequired,
    deepObjectQuery: parameters.filter((p) => p.deepObject).map((p) => p.name),
  };
  // The tool carries its own wire form, so the gateway serves it right in tools and compact mode alike.
  if (
    bodyArgument !== undefined ||
    wire.commaSeparatedQuery.length > 0 ||
    wire.jsonEncoded.length > 0 ||
    wire.bodyEncoding !== undefined ||
    wire.deepObjectQuery.length > 0
  )
    tool.wire = {
      ...(bodyArgument !== undefined ? { bodyArgument } : {}),
      commaSeparatedQuery: [...wire.commaSeparatedQuery],
      jsonEncoded: [...wire.jsonEncoded],
      ...(wire.bodyEncoding !== undefined ? { bodyEncoding: wire.bodyEncoding } : {}),
      ...(Object.keys(wire.fileParts).length > 0 ? { fileParts: { ...wire.fileParts } } : {}),
      ...(wire.bracketParts.length > 0 ? { bracketParts: [...wire.bracketParts] } : {}),
      ...(wire.deepObjectQuery.length > 0 ? { deepObjectQuery: [...wire.deepObjectQuery] } : {}),
    };
  notes.unshift(...request.notes);
  return { tool, wire, notes: [...new Set(notes)] };
}

type Body =
  | {
      kind: 'fields';
      encoding: 'json' | 'form' | 'multipart';
      properties: Record<string, JsonSchema>;
      required: string[];
      additionalProperties: unknown;
      /** Multipart: file fields and their parts' default content types. */
      files: Record<string, string>;
      /** Multipart: object fields whose `encoding` asks for bracket notation. */
      brackets: string[];
      /** Required by the document while none of its fields is. */
      bodyRequired: boolean;
    }
  | { kind: 'whole'; encoding: 'json' | 'form'; argument: string; schema: JsonSchema; required: boolean };

/**
 * The JSON request body: an object's properties become top-level arguments unless a name collides
 * with a parameter; anything else (arrays, scalars, unions, collisions) is one argument, `body`.
 */
function requestBody(
  op: RawOperation,
  resolver: RefResolver,
  converter: SchemaConverter,
  parameters: readonly ToolParameter[],
): Body | undefined {
  if (op.node.requestBody === undefined) return undefined;
  const { value, file } = resolver.deref(op.node.requestBody, op.file, op.label, 'request body');
  if (!isObject(value) || !isObject(value.content))
    throw new OpenApiError(
      'OPENAPI_DOCUMENT_INVALID',
      `operation ${op.label}: requestBody needs a "content" mapping of media types`,
      { operation: op.label },
    );
  const media = Object.keys(value.content);
  const json = media.find((m) => /^application\/json\s*(;|$)/i.test(m)) ?? media.find(isJson);
  const form = media.find((m) => /^application\/x-www-form-urlencoded\s*(;|$)/i.test(m));
  const multipart = media.find((m) => /^multipart\/form-data\s*(;|$)/i.test(m));
  const chosen = json ?? form ?? multipart;
  if (chosen === undefined)
    throw new OpenApiError(
      'OPENAPI_UNSUPPORTED_BODY',
      `operation ${op.label}: request body is ${media.join(', ') || 'empty'}; only JSON, form-encoded (application/x-www-form-urlencoded) and multipart/form-data bodies are supported — exclude the operation (openapi.exclude.operationIds)`,
      { operation: op.label },
    );
  const entry = resolver.deref(value.content[chosen], file, op.label, 'media type');
  const raw = isObject(entry.value) ? entry.value.schema : undefined;
  const schema = raw === undefined ? {} : converter.convert(raw, entry.file);
  const required = value.required === true;
  const fields = objectFields(schema);
  const bodyless = op.method === 'GET' || op.method === 'HEAD';
  // Stripe-style documents declare an empty form body on GET and DELETE: nothing to send, nothing lost.
  if (fields && Object.keys(fields.properties).length === 0 && (bodyless || chosen !== json))
    return undefined;
  if (bodyless)
    throw new OpenApiError(
      'OPENAPI_UNSUPPORTED_BODY',
      `operation ${op.label}: ${op.method} with a request body is not supported (the gateway sends none); exclude the operation`,
      { operation: op.label },
    );
  const taken = new Set(parameters.map((p) => p.name));
  const encoding = chosen === json ? 'json' : chosen === form ? 'form' : 'multipart';
  if (fields && !Object.keys(fields.properties).some((p) => taken.has(p)))
    return {
      kind: 'fields',
      encoding,
      ...fields,
      files: encoding === 'multipart' ? fileFields(fields.properties, entry.value) : {},
      brackets: encoding === 'multipart' ? bracketFields(entry.value) : [],
      bodyRequired: required && !fields.required.some((r) => Object.hasOwn(fields.properties, r)),
    };
  // A form object whose fields share a name with a parameter (Twilio's AccountSid) is one argument,
  // sent as the form; a multipart body has no such form here.
  if (encoding === 'multipart' || (encoding === 'form' && !fields))
    throw new OpenApiError(
      'OPENAPI_UNSUPPORTED_BODY',
      encoding === 'form'
        ? `operation ${op.label}: a form-encoded body must be an object; exclude the operation`
        : `operation ${op.label}: a multipart body must be an object whose fields do not share a name with a parameter; exclude the operation`,
      { operation: op.label },
    );
  let argument = 'body';
  for (let i = 2; taken.has(argument); i++) argument = `body${i}`;
  return { kind: 'whole', encoding: encoding === 'form' ? 'form' : 'json', argument, schema, required };
}

/**
 * Replaces each file property of a multipart body (`format: binary`, `contentMediaType`) with the
 * file argument's schema, in place; returns the file fields with their parts' content types.
 */
function fileFields(properties: Record<string, JsonSchema>, mediaType: unknown): Record<string, string> {
  const encodings = isObject(mediaType) && isObject(mediaType.encoding) ? mediaType.encoding : {};
  const files: Record<string, string> = {};
  for (const [name, schema] of Object.entries(properties)) {
    if (!isFileSchema(schema)) continue;
    const type = partContentType(schema, Object.hasOwn(encodings, name) ? encodings[name] : undefined);
    files[name] = type;
    properties[name] = fileProperty(schema, type);
  }
  return files;
}

/** Multipart fields whose `encoding` entry says `style: deepObject` (Stripe's `file_link_data[create]`). */
function bracketFields(mediaType: unknown): string[] {
  const encodings = isObject(mediaType) && isObject(mediaType.encoding) ? mediaType.encoding : {};
  return Object.entries(encodings)
    .filter(([, e]) => isObject(e) && e.style === 'deepObject')
    .map(([name]) => name);
}

/** The properties of a plain object schema (or an `allOf` of them); undefined for anything else. */
function objectFields(
  schema: JsonSchema,
): { properties: Record<string, JsonSchema>; required: string[]; additionalProperties: unknown } | undefined {
  if (typeof schema !== 'object') return undefined;
  if (['anyOf', 'oneOf', 'not', 'if', 'patternProperties', '$ref'].some((k) => schema[k] !== undefined))
    return undefined;
  const types = schemaTypes(schema);
  if (!(types.length === 1 && types[0] === 'object') && !(types.length === 0 && schema.allOf !== undefined))
    return undefined;
  const properties: Record<string, JsonSchema> = {
    ...((schema.properties as Record<string, JsonSchema>) ?? {}),
  };
  const required = Array.isArray(schema.required) ? [...(schema.required as string[])] : [];
  let additionalProperties = schema.additionalProperties;
  if (Array.isArray(schema.allOf)) {
    for (const part of schema.allOf as JsonSchema[]) {
      const inner = objectFields(part);
      if (!inner) return undefined;
      for (const [k, v] of Object.entries(inner.properties)) {
        if (Object.hasOwn(properties, k)) return undefined; // overlapping parts: keep the schema whole
        properties[k] = v;
      }
      required.push(...inner.required);
      if (inner.additionalProperties === false) additionalProperties = false;
    }
  }
  return { properties, required, additionalProperties };
}

const SUCCESS_ORDER = ['200', '201', '202', '203', '2XX', '2xx'];

/** The object or array schema of the first 2xx JSON response, for MCP structured output. */
function responseSchema(
  op: RawOperation,
  resolver: RefResolver,
  notes: string[],
): ToolConfig['output'] | undefined {
  const responses = op.node.responses;
  if (!isObject(responses)) return undefined;
  const codes = Object.keys(responses);
  const ordered = [
    ...SUCCESS_ORDER.filter((c) => codes.includes(c)),
    ...codes.filter((c) => /^2\d\d$/.test(c) && !SUCCESS_ORDER.includes(c)).sort(),
  ];
  const first = ordered[0];
  if (first === undefined) return undefined;
  const converter = new SchemaConverter(resolver, op.label, 'response');
  const { value, file } = resolver.deref(responses[first], op.file, op.label, 'response');
  if (!isObject(value) || !isObject(value.content)) return undefined;
  const json = Object.keys(value.content).find(isJson);
  if (json === undefined) return undefined;
  const entry = resolver.deref(value.content[json], file, op.label, 'media type');
  if (!isObject(entry.value) || entry.value.schema === undefined) return undefined;
  const schema = converter.convert(entry.value.schema, entry.file);
  notes.push(...converter.notes);
  const types = schemaTypes(schema);
  if (typeof schema !== 'object' || types.length !== 1) return undefined;
  // A list answer declares its schema as is (2026-07-28 allows any root; the SDK wraps it for 2025).
  if (types[0] === 'array') return converter.withDefs(schema) as ToolConfig['output'];
  if (types[0] !== 'object') return undefined;
  const props = schema.properties;
  const out =
    props !== null && typeof props === 'object'
      ? {
          ...schema,
          properties: Object.fromEntries(
            Object.entries(props as Record<string, JsonSchema>).map(([k, v]) => [k, objectForm(v)]),
          ),
        }
      : schema;
  return converter.withDefs(out) as ToolConfig['output'];
}

/** `true`/`false` schemas as objects: tool configs want an object per property. */
function objectForm(schema: JsonSchema): Record<string, unknown> {
  if (schema === true) return {};
  if (schema === false) return { not: {} };
  return schema;
}

function cachePolicy(
  op: RawOperation,
  source: OpenApiSource,
  override: OpenApiOverride | undefined,
): ToolConfig['cache'] | undefined {
  if (override?.cache === false) return undefined;
  const base =
    op.method === 'GET' && source.cache !== false ? { ...source.cache, tags: cacheTags(op.path) } : undefined;
  if (!override?.cache) return base;
  const merged = { ...(base ?? { ttl: source.cache === false ? 60_000 : source.cache.ttl, tags: [] }) };
  for (const [k, v] of Object.entries(override.cache))
    if (v !== undefined) (merged as Record<string, unknown>)[k] = v;
  return merged as ToolConfig['cache'];
}

function invalidation(
  op: RawOperation,
  ctx: BuildContext,
  override: OpenApiOverride | undefined,
): ToolConfig['invalidates'] | undefined {
  if (override?.invalidates === false) return undefined;
  if (override?.invalidates) return override.invalidates;
  if (!ctx.source.invalidateOnMutation || op.method === 'GET' || op.method === 'HEAD') return undefined;
  const tags = invalidationTags(op.path, op.method, ctx.isGettable);
  return tags.length > 0 ? { tags, keys: [] } : undefined;
}

/** Override templates may only use `{names}` that are arguments of the tool. */
function checkTemplates(op: RawOperation, tool: ToolConfig): void {
  const props = Object.keys(tool.input.properties ?? {});
  const templates = [
    tool.cache?.key,
    ...(tool.cache?.tags ?? []),
    ...(tool.invalidates?.tags ?? []),
    ...(tool.invalidates?.keys ?? []),
  ].filter((t): t is string => t !== undefined);
  for (const template of templates) {
    for (const m of template.matchAll(/\{([^{}]+)\}/g)) {
      const field = m[1]!.trim().split('.')[0]!;
      if (!props.includes(field))
        throw new OpenApiError(
          'OPENAPI_OVERRIDE_INVALID',
          `operation ${op.label}: template "${template}" uses {${m[1]}}, which is not an argument of the tool (${props.join(', ') || 'none'})`,
          { operation: op.label },
        );
    }
  }
}
