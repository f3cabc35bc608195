import { type OpenApiDocument, refFile } from './document.js';
import { OpenApiRefError } from './errors.js';
import { parsePointer, walkPointer } from './json-pointer.js';

/** A node reached through zero or more `$ref`s, with the file it lives in. */
export interface Resolved {
  value: unknown;
  /** File id the value lives in (refs inside it resolve against this file). */
  file: string;
  /** Canonical `file#pointer` of the last `$ref` followed; undefined if the node was not a ref. */
  id: string | undefined;
  /** Keys next to the first `$ref` (OpenAPI 3.1 allows `description` etc. beside a `$ref`). */
  siblings: Record<string, unknown> | undefined;
}

/** Longest `$ref` → `$ref` chain followed before calling it a cycle. */
const MAX_CHAIN = 32;

const isRef = (node: unknown): node is { $ref: string } =>
  node !== null &&
  typeof node === 'object' &&
  !Array.isArray(node) &&
  typeof (node as { $ref?: unknown }).$ref === 'string';

/** Resolves local and same-set file `$ref`s of a document; errors name the operation and pointer. */
export class RefResolver {
  constructor(readonly document: OpenApiDocument) {}

  /**
   * Follows `node` while it is a `$ref`. Throws `OPENAPI_REF_UNRESOLVED` when a pointer leads nowhere
   * and `OPENAPI_REF_CYCLE` when refs only point at each other.
   */
  deref(node: unknown, file: string, operation: string): Resolved {
    if (!isRef(node)) return { value: node, file, id: undefined, siblings: undefined };
    const { $ref: _first, ...rest } = node;
    const siblings = Object.keys(rest).length > 0 ? rest : undefined;
    const chain: string[] = [];
    let current: unknown = node;
    let currentFile = file;
    let id: string | undefined;
    while (isRef(current)) {
      const target = this.target(current.$ref, currentFile, operation);
      if (chain.includes(target.id) || chain.length >= MAX_CHAIN)
        throw new OpenApiRefError(
          'OPENAPI_REF_CYCLE',
          current.$ref,
          `${where(operation)}: $ref "${current.$ref}" only leads to other $refs (${[...chain, target.id]
            .map((c) => c.slice(c.indexOf('#')))
            .join(' → ')}); give the schema a body`,
          operation,
        );
      chain.push(target.id);
      id = target.id;
      current = target.value;
      currentFile = target.file;
    }
    return { value: current, file: currentFile, id, siblings };
  }

  private target(ref: string, from: string, operation: string): { value: unknown; file: string; id: string } {
    const fail = (why: string) =>
      new OpenApiRefError(
        'OPENAPI_REF_UNRESOLVED',
        ref,
        `${where(operation)}: cannot resolve $ref "${ref}": ${why}`,
        operation,
      );
    const hash = ref.indexOf('#');
    const fragment = hash === -1 ? '' : ref.slice(hash + 1);
    let file = from;
    if (hash !== 0 && ref !== '') {
      const filePart = hash === -1 ? ref : ref.slice(0, hash);
      if (filePart !== '') {
        if (/^[a-z][a-z0-9+.-]*:/i.test(filePart))
          throw fail(
            'remote references are not supported; download the file and refer to it by a local path',
          );
        const resolved = refFile(ref, from);
        const entry = resolved === undefined ? undefined : this.document.files.get(resolved);
        if (resolved === undefined || entry === undefined)
          throw fail(
            'references to other files need the document to be loaded from a file (loadOpenApiDocument)',
          );
        if (entry.problem !== undefined) throw fail(entry.problem);
        file = resolved;
      }
    }
    const tokens = parsePointer(fragment);
    if (tokens === undefined)
      throw fail('the part after "#" must be a JSON pointer such as #/components/schemas/Item');
    const root = this.document.files.get(file)?.root;
    const step = walkPointer(root, tokens);
    if (!step.found) throw fail(`nothing at ${fragment === '' ? 'the document root' : `#${fragment}`}`);
    return { value: step.value, file, id: `${file}#${fragment}` };
  }
}

/** How messages name an operation. */
export function where(operation: string): string {
  return `operation ${operation}`;
}
