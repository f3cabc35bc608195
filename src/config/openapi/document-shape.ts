import { Composer, type CST, type Document, LineCounter, Parser, YAMLParseError } from 'yaml';
import { assertUniqueKeys } from './duplicate-keys.js';
import { OpenApiError } from './errors.js';

/**
 * Deepest nesting of mappings and lists an OpenAPI document may have. Real documents stay far below:
 * a schema nested 64 levels (the most a tool's schema may have) is about 140 levels of document. The
 * YAML parser recurses once per level and runs out of stack some hundreds of levels down, so deeper
 * documents are refused before it is called, with this limit in the message.
 */
export const MAX_DOCUMENT_DEPTH = 256;

/** `how`: `300 levels deep (line 12)`, `too deep to be read`, … */
function tooDeep(source: string, how: string): OpenApiError {
  return new OpenApiError(
    'OPENAPI_DOCUMENT_INVALID',
    `${source}: the document nests ${how}, with mappings and lists inside each other; at most ` +
      `${MAX_DOCUMENT_DEPTH} levels are allowed, and no OpenAPI document needs that many: look for a ` +
      'runaway generated part (or a YAML alias used inside itself) and flatten it',
  );
}

/**
 * Parses YAML text as `parseDocument` from the yaml package does (unique keys, one document), but
 * refuses text nested deeper than `MAX_DOCUMENT_DEPTH` first, naming the line where it goes too deep.
 * The depth is read from the parser's token tree, which (unlike composing the document from it) is
 * built without recursion, so hostile input cannot overflow the stack; the tokens are then composed,
 * so the text is read only once. Unique keys are checked after composing, in one linear pass: the yaml
 * package's own check is quadratic in the keys of a mapping.
 */
export function parseYamlChecked(text: string, source: string): Document.Parsed {
  const lines = new LineCounter();
  const tokens = [...new Parser(lines.addNewLine).parse(text)];
  const stack: { token: CST.Token | undefined; depth: number }[] = [];
  for (const token of tokens) if (token.type === 'document') stack.push({ token: token.value, depth: 0 });
  let deepest = 0;
  let firstTooDeep: number | undefined;
  while (stack.length > 0) {
    const { token, depth } = stack.pop()!;
    if (token === undefined) continue;
    if (token.type !== 'block-map' && token.type !== 'block-seq' && token.type !== 'flow-collection')
      continue;
    const level = depth + 1;
    if (level > deepest) deepest = level;
    if (level > MAX_DOCUMENT_DEPTH && (firstTooDeep === undefined || token.offset < firstTooDeep))
      firstTooDeep = token.offset;
    for (const item of token.items) {
      if (item.key) stack.push({ token: item.key as CST.Token, depth: level });
      if (item.value) stack.push({ token: item.value, depth: level });
    }
  }
  if (firstTooDeep !== undefined)
    throw tooDeep(
      source,
      `${deepest} levels deep (past ${MAX_DOCUMENT_DEPTH} at line ${lines.linePos(firstTooDeep).line})`,
    );
  // What parseDocument does with the tokens: the first document, and an error if there are more.
  let doc: Document.Parsed | undefined;
  for (const next of new Composer({ uniqueKeys: false, prettyErrors: false }).compose(
    tokens,
    true,
    text.length,
  )) {
    if (doc === undefined) doc = next;
    else {
      doc.errors.push(
        new YAMLParseError(
          [next.range[0], next.range[1]],
          'MULTIPLE_DOCS',
          'Source contains multiple documents; please use YAML.parseAllDocuments()',
        ),
      );
      break;
    }
  }
  // compose(…, forceDoc = true) always yields one document, even for empty text.
  if (doc!.errors.length === 0) assertUniqueKeys(doc!, lines, source);
  return doc!;
}

/**
 * A mapping with the key `__proto__`: copied into a schema or a tool's arguments it would replace
 * that object's prototype, adding fields no published schema shows and dropping the key itself.
 */
function protoKey(source: string): OpenApiError {
  return new OpenApiError(
    'OPENAPI_DOCUMENT_INVALID',
    `${source}: a mapping has the key "__proto__", which Conduit does not accept (as a schema keyword, ` +
      'property or parameter name it would change how the objects built from it behave); rename or remove it',
  );
}

/** The parser overflowed the stack after all (it was called deep in a stack already): same advice. */
export function isStackOverflow(message: string): boolean {
  return /Maximum call stack size exceeded|too much recursion/i.test(message);
}

export function stackOverflowError(source: string): OpenApiError {
  return tooDeep(source, 'too deep to be read');
}

/**
 * Checks a parsed document value: no node may contain itself (YAML aliases can make that:
 * `a: &x [*x]`; every later walk would loop or overflow) and it may nest at most `MAX_DOCUMENT_DEPTH`
 * levels, aliases expanded (JSON text and aliases are not checked before parsing). Iterative:
 * documents may nest deeply; shared nodes (aliases) are measured once.
 */
export function assertDocumentShape(root: unknown, source: string): void {
  if (root === null || typeof root !== 'object') return;
  const onPath = new Set<object>();
  /** Levels of nesting at and below each finished node (1 for one with no object inside). */
  const height = new Map<object, number>();
  const stack: { node: object; exit: boolean }[] = [{ node: root, exit: false }];
  while (stack.length > 0) {
    const { node, exit } = stack.pop()!;
    if (exit) {
      onPath.delete(node);
      let below = 0;
      for (const child of Object.values(node)) {
        if (child === null || typeof child !== 'object') continue;
        below = Math.max(below, height.get(child) ?? 0);
      }
      height.set(node, below + 1);
      continue;
    }
    if (height.has(node)) continue;
    if (!Array.isArray(node) && Object.hasOwn(node, '__proto__')) throw protoKey(source);
    onPath.add(node);
    stack.push({ node, exit: true });
    for (const child of Object.values(node)) {
      if (child === null || typeof child !== 'object' || height.has(child)) continue;
      if (onPath.has(child))
        throw new OpenApiError(
          'OPENAPI_DOCUMENT_INVALID',
          `${source}: a YAML alias refers to a node that contains it; use a $ref for recursive schemas`,
        );
      stack.push({ node: child, exit: false });
    }
  }
  const deepest = height.get(root)!;
  if (deepest > MAX_DOCUMENT_DEPTH) throw tooDeep(source, `${deepest} levels deep`);
}
