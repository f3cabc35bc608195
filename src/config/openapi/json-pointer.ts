/** JSON pointers (RFC 6901) as used in `$ref` fragments: `#/components/schemas/a~1b` → `a/b`. */

/** Splits a fragment (`/a/b~0c`, with or without the leading `#`) into unescaped tokens. */
export function parsePointer(fragment: string): string[] | undefined {
  let text = fragment.startsWith('#') ? fragment.slice(1) : fragment;
  if (text === '') return [];
  if (!text.startsWith('/')) return undefined;
  try {
    text = decodeURIComponent(text);
  } catch {
    return undefined;
  }
  // ~1 first would turn "~01" into "/" instead of "~1".
  return text
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** Follows tokens from a root; undefined when any step is missing. Own properties only. */
export function walkPointer(root: unknown, tokens: readonly string[]): { found: boolean; value: unknown } {
  let node = root;
  for (const token of tokens) {
    if (Array.isArray(node)) {
      if (!/^(0|[1-9]\d*)$/.test(token)) return { found: false, value: undefined };
      const i = Number(token);
      if (i >= node.length) return { found: false, value: undefined };
      node = node[i];
    } else if (node !== null && typeof node === 'object') {
      if (!Object.hasOwn(node, token)) return { found: false, value: undefined };
      node = (node as Record<string, unknown>)[token];
    } else {
      return { found: false, value: undefined };
    }
  }
  return { found: true, value: node };
}
