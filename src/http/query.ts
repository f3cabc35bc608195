/**
 * Several values under one key, joined by literal commas: `?ids=1,2,3` (OpenAPI `style: form,
 * explode: false`). Each value is percent-encoded, so a comma inside one goes out as `%2C` and stays
 * distinguishable from the separators. An empty list drops the key, like an empty array.
 */
export class CommaSeparated {
  readonly values: readonly (string | number | boolean)[];
  constructor(values: readonly (string | number | boolean)[]) {
    this.values = values;
  }
  /** The value as it goes on the wire (already encoded). */
  toString(): string {
    return this.values.map((v) => encodeURIComponent(String(v))).join(',');
  }
}

/**
 * A query value; arrays repeat the key (`?tag=a&tag=b`), `CommaSeparated` joins them (`?tag=a,b`);
 * null and undefined drop it.
 */
export type QueryValue =
  | string
  | number
  | boolean
  | null
  | undefined
  | readonly (string | number | boolean)[]
  | CommaSeparated;
export type Query = Readonly<Record<string, QueryValue>>;

/**
 * Serialises default and per-request query parameters into "?a=1&b=2" (or "" when there are none).
 * A per-request key replaces the default one of the same name; `null` in the request removes a default.
 */
export function buildQueryString(defaults: Query | undefined, query: Query | undefined): string {
  let out = '';
  if (defaults) {
    for (const key of Object.keys(defaults)) {
      if (query && Object.hasOwn(query, key)) continue;
      out = append(out, key, defaults[key]);
    }
  }
  if (query) {
    for (const key of Object.keys(query)) out = append(out, key, query[key]);
  }
  return out.length === 0 ? '' : `?${out.slice(1)}`;
}

function append(out: string, key: string, value: QueryValue): string {
  if (value === undefined || value === null) return out;
  const k = encodeURIComponent(key);
  if (value instanceof CommaSeparated)
    return value.values.length === 0 ? out : `${out}&${k}=${value.toString()}`;
  if (Array.isArray(value)) {
    for (const v of value as readonly (string | number | boolean)[])
      out += `&${k}=${encodeURIComponent(String(v))}`;
    return out;
  }
  return `${out}&${k}=${encodeURIComponent(String(value))}`;
}
