import { isHeaderText, type ReservedRequestNames, reservedArgumentProblem } from '../../config/index.js';
import { ConfigError } from '../../core/index.js';
import { bracketPairs } from './form-encoding.js';
import { CommaSeparated, type HttpMethod, RequestValidationError } from '../../http/index.js';
import type { ParamLocation, ToolWireConfig } from '../../config/index.js';

/** Where each argument goes, decided once per tool from its config. */
export interface RequestMapping {
  method: HttpMethod;
  path: string;
  locations: ReadonlyMap<string, ParamLocation>;
  /** Location for an argument the schema does not list (additionalProperties). */
  fallback: ParamLocation;
  /** The argument whose value is the whole JSON body (any JSON value), instead of one field of it. */
  bodyArgument: string | undefined;
  /** Query arrays sent as one comma-separated value (`ids=1,2,3`) instead of a repeated key. */
  commaSeparated: ReadonlySet<string>;
  /** Path, query and header arguments sent as JSON text (`{"a":1}`, `"text"`, `[1,2]`). */
  jsonEncoded: ReadonlySet<string>;
  /** The body goes out form-encoded (`application/x-www-form-urlencoded`, bracket notation), not as JSON. */
  form: boolean;
  /** The body goes out `multipart/form-data`; these fields are files, with their parts' default content types. */
  multipart: ReadonlyMap<string, string> | undefined;
  /** Multipart object fields sent in bracket notation. */
  bracketParts: ReadonlySet<string>;
  /** A body goes out even with no body argument (`{}`, an empty form): the document requires one. */
  bodyRequired: boolean;
  /** Query objects sent in `deepObject` style (`filter[status]=open`). */
  deepObject: ReadonlySet<string>;
  /** Framing headers and the upstream's credentials: no argument may write them. */
  reserved: ReservedRequestNames;
}

export interface MappedRequest {
  params: Record<string, string | number | boolean>;
  query: Record<string, string | number | boolean | null | (string | number | boolean)[] | CommaSeparated>;
  headers: Record<string, string>;
  /** The JSON body of the body-located arguments, as one object of fields; undefined when none. */
  json: Record<string, unknown> | undefined;
  /** The whole-body argument's value (any JSON value, `null` too), when one was given: the body itself. */
  wholeBody: { value: unknown } | undefined;
}

const BODYLESS = new Set(['GET', 'HEAD', 'DELETE', 'OPTIONS']);
const NOTHING_RESERVED: ReservedRequestNames = { headers: new Map(), query: new Map() };

/** Names in `{name}` holes of a path template. */
export function pathParamNames(path: string): string[] {
  return [...path.matchAll(/\{([^{}]+)\}/g)].map((m) => m[1]!);
}

/**
 * Builds the mapping: explicit `params` entries win; otherwise a name in the path template goes to the
 * path, and the rest to the query (GET/HEAD/DELETE/OPTIONS) or the JSON body. `wire` says how the
 * arguments that need more than a location are written (from `params` object forms or an OpenAPI
 * operation): the whole body, comma-separated query arrays, JSON text.
 */
export function buildRequestMapping(
  method: string,
  path: string,
  inputSchema: Record<string, unknown> | undefined,
  explicit: Readonly<Record<string, ParamLocation>> | undefined,
  wire?: Partial<ToolWireConfig> | undefined,
  reserved: ReservedRequestNames = NOTHING_RESERVED,
): RequestMapping {
  const upper = method.toUpperCase() as HttpMethod;
  const fallback: ParamLocation = BODYLESS.has(upper) ? 'query' : 'body';
  const inPath = new Set(pathParamNames(path));
  const locations = new Map<string, ParamLocation>();
  const props = (inputSchema?.properties ?? {}) as Record<string, unknown>;
  for (const name of new Set([...Object.keys(props), ...inPath, ...Object.keys(explicit ?? {})])) {
    const location = explicit?.[name] ?? (inPath.has(name) ? 'path' : fallback);
    const problem = reservedArgumentProblem(name, location, reserved);
    if (problem) throw new ConfigError(`${upper} ${path}: ${problem}`);
    locations.set(name, location);
  }
  // A whole body leaves no room for fields: another body property would be dropped without a word.
  const whole = wire?.bodyArgument;
  if (whole !== undefined) {
    const others = [...locations].filter(([n, l]) => l === 'body' && n !== whole).map(([n]) => `"${n}"`);
    if (others.length > 0)
      throw new ConfigError(
        `${upper} ${path}: "${whole}" is the whole request body, so ${others.join(', ')} cannot go to the body too; map them to query or header in params`,
      );
  }
  return {
    method: upper,
    path,
    locations,
    fallback,
    bodyArgument: wire?.bodyArgument,
    commaSeparated: new Set(wire?.commaSeparatedQuery ?? []),
    jsonEncoded: new Set(wire?.jsonEncoded ?? []),
    form: wire?.bodyEncoding === 'form',
    multipart: wire?.bodyEncoding === 'multipart' ? new Map(Object.entries(wire.fileParts ?? {})) : undefined,
    bracketParts: new Set(wire?.bracketParts ?? []),
    bodyRequired: wire?.bodyRequired === true,
    deepObject: new Set(wire?.deepObjectQuery ?? []),
    reserved,
  };
}

function unlistedLocation(mapping: RequestMapping, name: string): ParamLocation {
  const problem = reservedArgumentProblem(name, mapping.fallback, mapping.reserved);
  if (problem)
    throw new RequestValidationError('the arguments', [{ path: name, message: `not accepted: ${problem}` }]);
  return mapping.fallback;
}

/**
 * `text` if it can be the value of the header `name`. A line break would start a header of its own;
 * refused here, the call fails as the caller's mistake, before any request, and not as an upstream
 * failure its breaker would count. The message never quotes the value (a fixed one may be a secret).
 */
function headerText(name: string, text: string): string {
  if (isHeaderText(text)) return text;
  throw new RequestValidationError('the arguments', [
    {
      path: name,
      message: `is sent as the header "${name}", which may hold only printable characters, spaces and tabs (no line break, control character or character beyond Latin-1)`,
    },
  ]);
}

function scalar(value: unknown): string | number | boolean {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  return JSON.stringify(value);
}

/**
 * Splits validated arguments into path params, query, headers and a JSON body. Throws
 * `RequestValidationError` for an argument the schema does not list when the body is a whole argument.
 */
export function mapArguments(
  mapping: RequestMapping,
  args: Readonly<Record<string, unknown>>,
): MappedRequest {
  const out: MappedRequest = { params: {}, query: {}, headers: {}, json: undefined, wholeBody: undefined };
  for (const name in args) {
    const value = args[name];
    if (value === undefined) continue;
    // JSON text (OpenAPI `content: application/json`): a string goes out quoted, an array as one value.
    const json = mapping.jsonEncoded.has(name);
    let location = mapping.locations.get(name);
    // Listed names were checked when the mapping was built; an unlisted one (allowed by the tool) now.
    if (location === undefined) location = unlistedLocation(mapping, name);
    switch (location) {
      case 'path':
        out.params[name] = json ? JSON.stringify(value) : scalar(value);
        break;
      case 'query':
        if (json) out.query[name] = JSON.stringify(value);
        else if (mapping.deepObject.has(name) && value !== null && typeof value === 'object')
          for (const [key, v] of bracketPairs(name, value)) {
            const had = out.query[key];
            out.query[key] = had === undefined ? v : Array.isArray(had) ? [...had, v] : [String(had), v];
          }
        else if (Array.isArray(value))
          out.query[name] = mapping.commaSeparated.has(name)
            ? new CommaSeparated(value.map(scalar))
            : value.map(scalar);
        else out.query[name] = value === null ? null : scalar(value);
        break;
      case 'header':
        out.headers[name] = headerText(name, json ? JSON.stringify(value) : String(scalar(value)));
        break;
      case 'body':
        if (name === mapping.bodyArgument) out.wholeBody = { value };
        else if (mapping.bodyArgument !== undefined)
          // Only an argument the schema does not list gets here (additionalProperties): refuse it, not drop it.
          throw new RequestValidationError('the arguments', [
            {
              path: name,
              message: `not accepted: the request body is the whole "${mapping.bodyArgument}" argument`,
            },
          ]);
        else {
          out.json ??= {};
          out.json[name] = value;
        }
        break;
    }
  }
  if (out.json === undefined && out.wholeBody === undefined && mapping.bodyRequired) out.json = {};
  return out;
}
