import type { LoadBudget } from './budget.js';
import { type OpenApiDocument, refFile } from './document.js';
import { OpenApiRefError } from './errors.js';
import { parsePointer, walkPointer } from './json-pointer.js';
import { shown } from './text.js';

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

/** What a `$ref` stands for; a cycle's message tells how to end it accordingly. */
export type RefKind =
  | 'schema'
  | 'parameter'
  | 'path item'
  | 'operation'
  | 'request body'
  | 'response'
  | 'media type';

const CYCLE_FIX: Record<RefKind, string> = {
  schema: 'give one of these schemas a body (type, properties, …) instead of a $ref',
  parameter: 'make one of them the parameter itself (name, in, schema) instead of a $ref',
  'path item': 'make one of them the path item itself (get, post, … operations) instead of a $ref',
  operation: 'make one of them the operation itself (operationId, parameters, responses) instead of a $ref',
  'request body': 'make one of them the request body itself (content) instead of a $ref',
  response: 'make one of them the response itself (description, content) instead of a $ref',
  'media type': 'make one of them the media type itself (schema) instead of a $ref',
};

/** Keys next to a `$ref`, or undefined when it stands alone (the usual case: no copy made). */
function siblingsOf(node: { $ref: string }): Record<string, unknown> | undefined {
  let siblings: Record<string, unknown> | undefined;
  for (const key of Object.keys(node)) {
    if (key === '$ref') continue;
    siblings ??= {};
    siblings[key] = (node as Record<string, unknown>)[key];
  }
  return siblings;
}

const isRef = (node: unknown): node is { $ref: string } =>
  node !== null &&
  typeof node === 'object' &&
  !Array.isArray(node) &&
  typeof (node as { $ref?: unknown }).$ref === 'string';

/** Where a `$ref` chain ends: the node, its file, and the canonical id of the last ref followed. */
interface ChainEnd {
  value: unknown;
  file: string;
  id: string;
}

/**
 * Resolves local and same-set file `$ref`s of a document; errors name the operation and pointer.
 *
 * Resolution is memoised per file and `$ref` text: a large document inlines the same few refs millions
 * of times, and parsing and walking each pointer again made that cost seconds. The document is
 * read-only once parsed, so a chain that resolved once resolves the same way every time. Failures are
 * not memoised: each one is worked out again, so its error names the operation that met it.
 */
export class RefResolver {
  /** Successful chain ends by the file the first `$ref` sits in, then its text. */
  private readonly chains = new Map<string, Map<string, ChainEnd>>();

  /** `budget`: the load's budget, which schema conversion spends (nodes inlined, time). */
  constructor(
    readonly document: OpenApiDocument,
    readonly budget?: LoadBudget,
  ) {}

  /**
   * Follows `node` while it is a `$ref`. Throws `OPENAPI_REF_UNRESOLVED` when a pointer leads nowhere
   * and `OPENAPI_REF_CYCLE` when refs only point at each other. `kind` says what the ref stands for
   * (a schema, a parameter, a path item, …), so a cycle's message says what to give a body.
   */
  deref(node: unknown, file: string, operation: string, kind: RefKind): Resolved {
    if (!isRef(node)) return { value: node, file, id: undefined, siblings: undefined };
    const end = this.chainEnd(node.$ref, file, operation, kind);
    return { value: end.value, file: end.file, id: end.id, siblings: siblingsOf(node) };
  }

  private chainEnd(ref: string, file: string, operation: string, kind: RefKind): ChainEnd {
    let byRef = this.chains.get(file);
    const known = byRef?.get(ref);
    if (known !== undefined) return known;
    const chain: string[] = [];
    let current: { $ref: string } = { $ref: ref };
    let currentFile = file;
    for (;;) {
      const target = this.target(current.$ref, currentFile, operation, kind);
      if (chain.includes(target.id) || chain.length >= MAX_CHAIN)
        throw new OpenApiRefError(
          'OPENAPI_REF_CYCLE',
          current.$ref,
          `${subject(operation, kind)}: $ref "${shown(current.$ref)}" only leads to other $refs (${[
            ...chain,
            target.id,
          ]
            .map((c) => c.slice(c.indexOf('#')))
            .join(' → ')}); ${CYCLE_FIX[kind]}`,
          operation,
        );
      chain.push(target.id);
      if (!isRef(target.value)) {
        const end: ChainEnd = { value: target.value, file: target.file, id: target.id };
        if (byRef === undefined) {
          byRef = new Map();
          this.chains.set(file, byRef);
        }
        byRef.set(ref, end);
        return end;
      }
      current = target.value;
      currentFile = target.file;
    }
  }

  private target(
    ref: string,
    from: string,
    operation: string,
    kind: RefKind,
  ): { value: unknown; file: string; id: string } {
    const fail = (
      why: string,
      code: 'OPENAPI_REF_UNRESOLVED' | 'OPENAPI_REF_FORBIDDEN' = 'OPENAPI_REF_UNRESOLVED',
    ) =>
      new OpenApiRefError(
        code,
        ref,
        `${subject(operation, kind)}: cannot resolve $ref "${shown(ref)}": ${why}`,
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
        if (entry.problem !== undefined)
          throw fail(entry.problem, entry.code === 'OPENAPI_REF_FORBIDDEN' ? entry.code : undefined);
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

/** A path item's refs are resolved before its operations are known: messages name the path (`path /p`). */
function subject(operation: string, kind: RefKind): string {
  return kind === 'path item' || kind === 'operation' ? operation : where(operation);
}

/** How messages name an operation. */
export function where(operation: string): string {
  return `operation ${operation}`;
}
