import type { HttpMethod } from '../http/index.js';
import type { ParamLocation } from './config-shape.js';

/** Where each argument goes, decided once per tool from its config. */
export interface RequestMapping {
  method: HttpMethod;
  path: string;
  locations: ReadonlyMap<string, ParamLocation>;
  /** Location for an argument the schema does not list (additionalProperties). */
  fallback: ParamLocation;
}

export interface MappedRequest {
  params: Record<string, string | number | boolean>;
  query: Record<string, string | number | boolean | null | (string | number | boolean)[]>;
  headers: Record<string, string>;
  json: Record<string, unknown> | undefined;
}

const BODYLESS = new Set(['GET', 'HEAD', 'DELETE', 'OPTIONS']);

/** Names in `{name}` holes of a path template. */
export function pathParamNames(path: string): string[] {
  return [...path.matchAll(/\{([^{}]+)\}/g)].map((m) => m[1]!);
}

/**
 * Builds the mapping: explicit `params` entries win; otherwise a name in the path template goes to the
 * path, and the rest to the query (GET/HEAD/DELETE/OPTIONS) or the JSON body.
 */
export function buildRequestMapping(
  method: string,
  path: string,
  inputSchema: Record<string, unknown> | undefined,
  explicit: Readonly<Record<string, ParamLocation>> | undefined,
): RequestMapping {
  const upper = method.toUpperCase() as HttpMethod;
  const fallback: ParamLocation = BODYLESS.has(upper) ? 'query' : 'body';
  const inPath = new Set(pathParamNames(path));
  const locations = new Map<string, ParamLocation>();
  const props = (inputSchema?.properties ?? {}) as Record<string, unknown>;
  for (const name of new Set([...Object.keys(props), ...inPath, ...Object.keys(explicit ?? {})])) {
    locations.set(name, explicit?.[name] ?? (inPath.has(name) ? 'path' : fallback));
  }
  return { method: upper, path, locations, fallback };
}

function scalar(value: unknown): string | number | boolean {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  return JSON.stringify(value);
}

/** Splits validated arguments into path params, query, headers and a JSON body. */
export function mapArguments(
  mapping: RequestMapping,
  args: Readonly<Record<string, unknown>>,
): MappedRequest {
  const out: MappedRequest = { params: {}, query: {}, headers: {}, json: undefined };
  for (const name in args) {
    const value = args[name];
    if (value === undefined) continue;
    switch (mapping.locations.get(name) ?? mapping.fallback) {
      case 'path':
        out.params[name] = scalar(value);
        break;
      case 'query':
        out.query[name] = Array.isArray(value) ? value.map(scalar) : value === null ? null : scalar(value);
        break;
      case 'header':
        out.headers[name] = String(scalar(value));
        break;
      case 'body':
        out.json ??= {};
        out.json[name] = value;
        break;
    }
  }
  return out;
}
