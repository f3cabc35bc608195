/**
 * The deepest nesting of JSON a bounded check accepts: recursion to this depth is far inside the
 * stack, while `JSON.stringify`, schema validators and shaping overflow it a few thousand levels down.
 */
export const MAX_NESTING_LIMIT = 1000;

/**
 * True when `value` nests objects or arrays deeper than `max` (a top-level object or array is depth
 * 1; a scalar is depth 0). It stops at the first path that is too deep, so it never recurses more
 * than `max` frames (keep `max` at most {@link MAX_NESTING_LIMIT}) and costs O(nodes) at most.
 * Recursive rather than an explicit stack: measured 4x faster on a 260 KB answer (0.26 ms vs 1.2 ms).
 */
export function nestedDeeperThan(value: unknown, max: number): boolean {
  return value !== null && typeof value === 'object' && deeper(value, 1, max);
}

function deeper(node: object, depth: number, max: number): boolean {
  if (depth > max) return true;
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++) {
      const child: unknown = node[i];
      if (child !== null && typeof child === 'object' && deeper(child, depth + 1, max)) return true;
    }
    return false;
  }
  // for…in, not Object.values: no array per object (parsed JSON owns every key).
  for (const key in node) {
    const child = (node as Record<string, unknown>)[key];
    if (child !== null && typeof child === 'object' && deeper(child, depth + 1, max)) return true;
  }
  return false;
}
