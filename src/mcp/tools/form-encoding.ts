/**
 * Bracket notation for structured values, as form-encoded APIs (Stripe, Twilio) and OpenAPI's
 * `deepObject` style read them: `metadata[a]=b`, `expand[]=x&expand[]=y`, `items[0][price]=p`.
 * Arrays of scalars use `[]`; arrays of objects or arrays are indexed, so their fields stay together.
 * `null` is an empty value (form encoding has no null); `undefined` and empty arrays send nothing.
 */
export function bracketPairs(key: string, value: unknown, out: [string, string][] = []): [string, string][] {
  if (value === undefined) return out;
  if (value === null) out.push([key, '']);
  else if (Array.isArray(value)) {
    value.forEach((item, i) => {
      const structured = item !== null && typeof item === 'object';
      bracketPairs(structured ? `${key}[${i}]` : `${key}[]`, item, out);
    });
  } else if (typeof value === 'object') {
    for (const [k, v] of Object.entries(value as Record<string, unknown>))
      bracketPairs(`${key}[${k}]`, v, out);
  } else out.push([key, String(value)]);
  return out;
}

/** An `application/x-www-form-urlencoded` body of the given fields, structured ones in bracket notation. */
export function formBody(fields: Readonly<Record<string, unknown>>): string {
  const pairs: [string, string][] = [];
  for (const [name, value] of Object.entries(fields)) bracketPairs(name, value, pairs);
  return new URLSearchParams(pairs).toString();
}
