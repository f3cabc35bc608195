/** `application/json` or any `+json` type, parameters (charset) allowed. */
export function isJsonContentType(header: string | readonly string[] | undefined): boolean {
  const value = Array.isArray(header) && header.length === 1 ? header[0] : header;
  if (typeof value !== 'string') return false;
  const semi = value.indexOf(';');
  const type = (semi === -1 ? value : value.slice(0, semi)).trim().toLowerCase();
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Parses JSON from strict UTF-8 bytes: the value, or what was wrong. */
export function parseJson(body: Uint8Array): { value: unknown } | { error: string } {
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    return { error: 'The body is not valid UTF-8' };
  }
  try {
    return { value: JSON.parse(text) };
  } catch {
    return { error: 'The body is not valid JSON' };
  }
}

/** Reads a dotted path (`data.object.id`) from a parsed payload. */
export function readPath(payload: unknown, path: readonly string[]): unknown {
  let value = payload;
  for (const part of path) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, part)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}
