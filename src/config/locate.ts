import { isMap, isScalar, isSeq, type Document, LineCounter, type Node, parseDocument } from 'yaml';
import type { ConfigPath } from './interpolate.js';

/**
 * Finds where a config path sits in the source: the deepest node on the path that exists (a missing
 * key is reported at its parent). With `key`, the position of that key inside the map at `path`
 * (for unknown keys).
 */
export function locate(
  doc: Document,
  lines: LineCounter,
  path: ConfigPath,
  key?: string,
): { line: number; column: number } | undefined {
  let node: unknown = doc.contents;
  let found: Node | undefined = (doc.contents as Node | null) ?? undefined;
  const steps = key === undefined ? path : [...path, key];
  for (let i = 0; i < steps.length; i++) {
    const seg = steps[i];
    let next: unknown;
    if (isMap(node)) {
      const pair = node.items.find(
        (p) => (isScalar(p.key) ? String(p.key.value) : String(p.key)) === String(seg),
      );
      if (!pair) break;
      // For the last step of an unknown key, point at the key itself.
      if (key !== undefined && i === steps.length - 1) {
        found = (pair.key as Node) ?? found;
        break;
      }
      next = pair.value ?? pair.key;
    } else if (isSeq(node) && typeof seg === 'number') {
      next = node.items[seg];
    } else break;
    if (!next || typeof next !== 'object' || !('range' in next)) break;
    node = next;
    found = next as Node;
  }
  const start = found?.range?.[0];
  if (start === undefined) return undefined;
  const pos = lines.linePos(start);
  return { line: pos.line, column: pos.col };
}

/**
 * Positions in a config text, for checks made after loading (e.g. compiling tool schemas): the line
 * and column of a path, or of its deepest existing parent.
 */
export function configLocator(
  text: string,
): (path: ConfigPath) => { line: number; column: number; exact: boolean } | undefined {
  const lines = new LineCounter();
  // The text loaded already (repeated keys refused): the parser's quadratic `uniqueKeys` is not needed.
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: false });
  return (path) => {
    const pos = locate(doc, lines, path);
    return pos ? { ...pos, exact: doc.hasIn(path) } : undefined;
  };
}
