/** A query value; arrays repeat the key (`?tag=a&tag=b`); null and undefined drop it. */
export type QueryValue =
  | string
  | number
  | boolean
  | null
  | undefined
  | readonly (string | number | boolean)[];
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
  if (Array.isArray(value)) {
    for (const v of value as readonly (string | number | boolean)[])
      out += `&${k}=${encodeURIComponent(String(v))}`;
    return out;
  }
  return `${out}&${k}=${encodeURIComponent(String(value))}`;
}
