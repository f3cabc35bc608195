import type { ToolConfig } from '../schema.js';
import { withSuggestion } from '../did-you-mean.js';
import { InvalidOperationArgumentsError, OperationSchemaError, UnknownOperationError } from './errors.js';
import type { WireHints } from './operation-tool.js';
import { modelInputOf } from '../published-input.js';

/** One operation of a compact-mode catalog (also produced in tools mode). */
export interface CatalogOperation {
  /** The operationId (or generated name). */
  operationId: string;
  method: string;
  path: string;
  summary: string | undefined;
  description: string | undefined;
  tags: string[];
  /** The same tool config tools mode would serve; the gateway runs it for `invoke`. */
  tool: ToolConfig;
  wire: WireHints;
}

/** The selected operations of one upstream's document. */
export interface OperationCatalog {
  upstream: string;
  operations: readonly CatalogOperation[];
  byId: ReadonlyMap<string, CatalogOperation>;
  /** Operations of the document left out, by operationId, with the reason. */
  leftOut?: ReadonlyMap<string, string>;
}

/** A tool the gateway implements itself (not an upstream call): name, description, input schema. */
export interface MetaToolDefinition {
  name: string;
  description: string;
  input: Record<string, unknown>;
}

/** Compact mode's two tools. */
export interface CompactToolDefinitions {
  /** `{ query, limit? }` → `searchOperations(catalog, query, limit)`. */
  search: MetaToolDefinition;
  /** `{ operationId, arguments }` → `resolveInvocation(catalog, operationId, arguments, validator)`. */
  invoke: MetaToolDefinition;
}

/** One search hit, what a model needs to call `invoke`. */
export interface OperationMatch {
  operationId: string;
  method: string;
  path: string;
  summary: string | undefined;
  inputSchema: Record<string, unknown>;
}

export const DEFAULT_SEARCH_LIMIT = 10;
export const MAX_SEARCH_LIMIT = 50;

export function buildCatalog(
  upstream: string,
  operations: CatalogOperation[],
  leftOut: readonly { operation?: string | undefined; message: string }[] = [],
): OperationCatalog {
  const why = new Map<string, string>();
  for (const err of leftOut) {
    const id = err.operation?.split(' (')[0];
    if (id !== undefined) why.set(id, err.message);
  }
  return { upstream, operations, byId: new Map(operations.map((o) => [o.operationId, o])), leftOut: why };
}

/** The definitions of `<upstream>_search_operations` and `<upstream>_invoke_operation`. */
export function compactTools(catalog: OperationCatalog, prefix = ''): CompactToolDefinitions {
  // `_search_operations` is 18 characters: the names stay within 64.
  const base = `${prefix}${catalog.upstream}`.replace(/[^A-Za-z0-9_.-]+/g, '_').slice(0, 46);
  const ids = catalog.operations.map((o) => o.operationId);
  return {
    search: {
      name: `${base}_search_operations`,
      description:
        `Search the ${catalog.upstream} API's ${ids.length} operations by words (name, path, summary, tags). ` +
        `Returns matching operations with their operationId, method, path, summary and input schema; ` +
        `call ${base}_invoke_operation with one of them. An empty query lists the first operations.`,
      input: {
        type: 'object',
        properties: {
          query: { type: 'string', description: 'Words to look for, e.g. "list assignments"' },
          limit: { type: 'integer', minimum: 1, maximum: MAX_SEARCH_LIMIT, default: DEFAULT_SEARCH_LIMIT },
        },
        required: ['query'],
        additionalProperties: false,
      },
    },
    invoke: {
      name: `${base}_invoke_operation`,
      description:
        `Call one operation of the ${catalog.upstream} API by operationId with its arguments, validated ` +
        `against the operation's input schema (find both with ${base}_search_operations).`,
      input: {
        type: 'object',
        properties: {
          operationId: {
            type: 'string',
            description: 'operationId from a search result',
            // Small catalogs can list the ids; a long enum would drown the model again. Not when
            // operations are left out: the enum would refuse one before invoke could say why.
            ...(ids.length > 0 && ids.length <= 30 && (catalog.leftOut?.size ?? 0) === 0
              ? { enum: ids }
              : {}),
          },
          arguments: { type: 'object', description: "The operation's arguments", default: {} },
        },
        required: ['operationId'],
        additionalProperties: false,
      },
    },
  };
}

function words(text: string): string[] {
  // Split camelCase and snake_case so "listAssignments" matches "list assignments".
  return text
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w !== '');
}

const indexes = new WeakMap<CatalogOperation, { id: string[]; strong: string[]; weak: string[] }>();

function index(op: CatalogOperation) {
  let entry = indexes.get(op);
  if (!entry) {
    entry = {
      id: words(op.operationId),
      strong: [
        ...words(op.path),
        ...words(op.summary ?? ''),
        ...op.tags.flatMap(words),
        op.method.toLowerCase(),
      ],
      weak: [...words(op.description ?? ''), ...Object.keys(op.tool.input.properties ?? {}).flatMap(words)],
    };
    indexes.set(op, entry);
  }
  return entry;
}

/**
 * Operations matching a free-text query, best first (operationId words weigh most, then path, summary,
 * tags and method, then description and argument names; a word matches as a prefix). An empty query
 * lists the catalog in order. `limit` is clamped to 1..50.
 */
export function searchOperations(
  catalog: OperationCatalog,
  query: string,
  limit = DEFAULT_SEARCH_LIMIT,
): OperationMatch[] {
  const n = Math.max(
    1,
    Math.min(MAX_SEARCH_LIMIT, Number.isFinite(limit) ? Math.floor(limit) : DEFAULT_SEARCH_LIMIT),
  );
  const terms = words(typeof query === 'string' ? query : '');
  const scored: { op: CatalogOperation; score: number; order: number }[] = [];
  catalog.operations.forEach((op, order) => {
    if (terms.length === 0) {
      scored.push({ op, score: 0, order });
      return;
    }
    const ix = index(op);
    let score = 0;
    for (const term of terms) {
      const hit = (list: string[]) => list.some((w) => w === term || w.startsWith(term));
      if (op.operationId.toLowerCase() === term) score += 10;
      if (hit(ix.id)) score += 4;
      if (hit(ix.strong)) score += 2;
      if (hit(ix.weak)) score += 1;
    }
    if (score > 0) scored.push({ op, score, order });
  });
  scored.sort((a, b) => b.score - a.score || a.order - b.order);
  return scored.slice(0, n).map(({ op }) => ({
    operationId: op.operationId,
    method: op.method,
    path: op.path,
    summary: op.summary,
    inputSchema: modelInputOf(op.tool),
  }));
}

/**
 * Why `catalog` does not serve operation `id`, one of its document's operations that was left out or
 * not selected: an `OPENAPI_UNKNOWN_OPERATION` error saying so with the reason (which names the config
 * key that changes it). Undefined when the document has no such operation, or it is served.
 */
export function notServedError(catalog: OperationCatalog, id: string): UnknownOperationError | undefined {
  const why = catalog.leftOut?.get(id);
  if (why === undefined || catalog.byId.has(id)) return undefined;
  return new UnknownOperationError(id, `${catalog.upstream} does not serve operation "${id}": ${why}`);
}

/**
 * The JSON Schema validator seam: `InputValidator` from `conduit-mcp/mcp` fits it. Kept structural so the
 * config module does not import the gateway.
 */
export interface ArgumentValidator {
  getValidator<T>(
    schema: never,
  ): (input: unknown) => { valid: boolean; errorMessage?: string | undefined; data?: T };
}

const compiled = new WeakMap<
  object,
  WeakMap<CatalogOperation, (input: unknown) => { valid: boolean; errorMessage?: string | undefined }>
>();

/**
 * Resolves an invoke call: the operation's tool config and its arguments, validated against its input
 * schema when a validator is given (the gateway passes its own; without one, the gateway validates when
 * it runs the tool). Throws `UnknownOperationError` (`OPENAPI_UNKNOWN_OPERATION`, with a "did you mean")
 * or `InvalidOperationArgumentsError` (`OPENAPI_INVALID_ARGUMENTS`, naming the fields), or
 * `OperationSchemaError` (`OPENAPI_SCHEMA_INVALID`) when the validator cannot compile the schema.
 * `mayInvoke` (the policy, by operationId) limits what an unknown id's answer names: an operation
 * the caller may not invoke is never suggested, and one left out is then not explained.
 */
export function resolveInvocation(
  catalog: OperationCatalog,
  operationId: unknown,
  args: unknown,
  validator?: ArgumentValidator,
  mayInvoke?: (operationId: string) => boolean,
): { tool: ToolConfig; args: Record<string, unknown>; wire: WireHints } {
  const id = typeof operationId === 'string' ? operationId : '';
  const op = catalog.byId.get(id);
  if (!op) {
    const notServed = mayInvoke === undefined || mayInvoke(id) ? notServedError(catalog, id) : undefined;
    if (notServed) throw notServed;
    const known = [...catalog.byId.keys()];
    throw new UnknownOperationError(
      id,
      withSuggestion(
        `${catalog.upstream} has no operation "${id.slice(0, 100)}"`,
        id,
        mayInvoke === undefined ? known : known.filter(mayInvoke),
        '; search for one with the search_operations tool',
      ),
    );
  }
  const given = args === undefined || args === null ? {} : args;
  if (typeof given !== 'object' || Array.isArray(given))
    throw new InvalidOperationArgumentsError(id, `arguments of ${id} must be an object of named arguments`);
  if (validator) {
    let perValidator = compiled.get(validator);
    if (!perValidator) {
      perValidator = new WeakMap();
      compiled.set(validator, perValidator);
    }
    let check = perValidator.get(op);
    if (!check) {
      try {
        check = validator.getValidator(modelInputOf(op.tool) as never);
      } catch (err) {
        throw new OperationSchemaError(
          id,
          `the input schema of ${id} cannot be used for validation (${String((err as Error)?.message ?? err).split('\n')[0]}); fix the document or exclude the operation`,
          { cause: err },
        );
      }
      perValidator.set(op, check);
    }
    const result = check(given);
    if (!result.valid)
      throw new InvalidOperationArgumentsError(
        id,
        `invalid arguments for ${id}: ${result.errorMessage ?? 'they do not match its input schema'}`,
      );
  }
  return { tool: op.tool, args: given as Record<string, unknown>, wire: op.wire };
}
