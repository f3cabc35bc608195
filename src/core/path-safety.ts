/**
 * What keeps a request path on its upstream: checked on a literal path (a template with its holes
 * filled by a plain stand-in) before any value goes in. Shared by the HTTP client, which refuses
 * such a path when called, and config checks, which refuse it when the template is first read.
 */

/** A `{name}` hole of a path template, as OpenAPI documents write names: GitHub has `{enterprise-team}`. */
export const PATH_HOLE = /\{([A-Za-z_][A-Za-z0-9_.-]*)\}/g;

/**
 * Why `path` could lead a request off the base path or to another host, or undefined when it cannot:
 * it must start with one "/", hold no backslash, whitespace, control character, "?" or "#", have a
 * well-formed percent-encoding, and no "." or ".." segment (raw or percent-encoded).
 */
export function unsafePathReason(path: string): string | undefined {
  if (path.length === 0 || path.charCodeAt(0) !== 47 /* / */)
    return 'must start with "/"; absolute URLs are not allowed (the client is pinned to its baseUrl origin)';
  if (path.length > 1 && path.charCodeAt(1) === 47)
    return 'starts with "//", which would name another host; use a single leading "/"';
  // Fast path: nothing suspicious at all (the common case).
  if (!/[\\#?%.\s]/.test(path) && !hasControlChar(path)) return undefined;
  if (/[\\\s]/.test(path) || hasControlChar(path))
    return 'contains a backslash, whitespace or control character';
  if (path.includes('#') || path.includes('?'))
    return 'contains "?" or "#"; a query or fragment is not part of the path';
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return 'has a malformed percent-encoding';
  }
  for (const segment of decoded.split(/[/\\]/))
    if (segment === '.' || segment === '..') return 'contains a "." or ".." segment';
  return undefined;
}

function hasControlChar(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

/**
 * Why a path template cannot be expanded safely, or undefined: its literal parts as above, and
 * every "{" and "}" part of a `{name}` hole (a name of letters, digits, "_", "." and "-").
 */
export function unsafeTemplateReason(template: string): string | undefined {
  const literal = template.replace(PATH_HOLE, 'x');
  const unsafe = unsafePathReason(literal);
  if (unsafe !== undefined) return unsafe;
  if (/[{}]/.test(literal))
    return 'has an unmatched or invalid "{" / "}"; parameters look like {id} (letters, digits, "_", "." or "-")';
  return undefined;
}
