import { type Document, isAlias, isMap, isPair, isScalar, isSeq, type LineCounter } from 'yaml';
import { OpenApiError } from './errors.js';

/** What one pass over a document's mappings found: the first repeated key, and how many keys it read. */
export interface DuplicateKeyScan {
  /** Source offset and text of the first key that repeats an earlier key of its mapping. */
  duplicate: { offset: number; key: string } | undefined;
  /** Keys looked at, for the tests that hold the pass to one look per key. */
  keysSeen: number;
}

/**
 * Finds a key that repeats an earlier key of the same mapping, in one pass with a set per mapping.
 * The yaml package's own `uniqueKeys` check compares each key with every earlier one, which is
 * quadratic: a third-party document of some tens of thousands of keys in one mapping held the
 * process for tens of seconds before any budget could be checked. Keys are equal as the yaml package
 * counts them: the same node, or scalars of the same value. Iterative: documents may nest deeply.
 */
export function scanDuplicateKeys(doc: Document.Parsed): DuplicateKeyScan {
  let keysSeen = 0;
  let duplicate: DuplicateKeyScan['duplicate'];
  const seen = new Set<unknown>();
  const stack: unknown[] = [doc.contents];
  while (stack.length > 0) {
    const node = stack.pop();
    if (node === null || typeof node !== 'object' || seen.has(node) || isAlias(node)) continue;
    seen.add(node);
    if (isMap(node)) {
      const keys = new Set<unknown>();
      for (const pair of node.items) {
        keysSeen++;
        const key = isScalar(pair.key) ? pair.key.value : pair.key;
        if (keys.has(key)) {
          if (duplicate === undefined || offsetOf(pair.key) < duplicate.offset)
            duplicate = { offset: offsetOf(pair.key), key: String(key).slice(0, 80) };
        } else keys.add(key);
        stack.push(pair.key, pair.value);
      }
    } else if (isSeq(node)) for (const item of node.items) stack.push(item);
    else if (isPair(node)) stack.push(node.key, node.value);
  }
  return { duplicate, keysSeen };
}

function offsetOf(node: unknown): number {
  const range = (node as { range?: [number, number, number] } | null)?.range;
  return range?.[0] ?? 0;
}

/** Throws `OPENAPI_DOCUMENT_INVALID` naming the line of the first repeated key, as a YAML error would. */
export function assertUniqueKeys(doc: Document.Parsed, lines: LineCounter, source: string): void {
  const { duplicate } = scanDuplicateKeys(doc);
  if (duplicate === undefined) return;
  throw new OpenApiError(
    'OPENAPI_DOCUMENT_INVALID',
    `${source}: not valid YAML (line ${lines.linePos(duplicate.offset).line}): the key "${duplicate.key}" ` +
      'appears twice in one mapping; map keys must be unique',
  );
}
