import type { ToolConfig } from '../schema.js';
import { withSuggestion } from '../did-you-mean.js';
import { unsafeTemplateReason } from '../../core/index.js';
import {
  buildCatalog,
  type CatalogOperation,
  type CompactToolDefinitions,
  compactTools,
  type OperationCatalog,
} from './catalog.js';
import { LoadBudget } from './budget.js';
import type { OpenApiDocument } from './document.js';
import { OpenApiError, OpenApiProblems } from './errors.js';
import { operationTool } from './operation-tool.js';
import { listOperations, type RawOperation, selection } from './operations.js';
import { RefResolver } from './resolver.js';
import {
  type OpenApiSource,
  type OpenApiSourceInput,
  openapiSourceSchema,
  overrideOf,
} from './source-schema.js';
import { capName, generatedName, sanitizeToolName, shortHash } from './tool-name.js';
import { shown } from './text.js';

export interface OpenApiToolsOptions {
  /**
   * Called with each operation's error instead of throwing it; the operation is left out. For
   * `conduit init`, which writes what it can and lists what it skipped. Document-level errors still throw.
   */
  onSkip?: (error: OpenApiError) => void;
  /**
   * The budget of the whole load, shared with `loadOpenApiDocument`; default: a new one from
   * `openapi.limits`. Going past it is never skipped: it ends the build.
   */
  budget?: LoadBudget;
}

/** What an upstream's `openapi` section yields. */
export interface OpenApiToolSet {
  upstream: string;
  mode: 'tools' | 'compact';
  /** Tools mode: one tool config per selected operation, shaped like `tools[]` entries. Compact: empty. */
  tools: ToolConfig[];
  /** Every selected operation with its tool config and wire hints (both modes). */
  catalog: OperationCatalog;
  /** Compact mode: the search and invoke tools the gateway implements over `catalog`. */
  compact: CompactToolDefinitions | undefined;
  /** Selected operations left out (`onSkip`, or `skipUnsupported`), each with its reason. */
  leftOut: readonly OpenApiError[];
  /** What was changed to serve an operation (a dropped pattern, a cut schema), by operation label. */
  warnings: readonly { operation: string; message: string }[];
  /**
   * The tool name each operation left out or not selected would have had, to its operationId
   * (`notServedError(catalog, id)` says why); no served tool's name is here. Tools mode answers calls
   * of these names; compact mode's invoke asks the policy about them by these names.
   */
  unservedTools: ReadonlyMap<string, string>;
}

/**
 * Turns the selected operations of an OpenAPI document into tool configs for `upstream`: name from the
 * operationId (sanitized to the MCP pattern, `toolPrefix` first), description from summary/description,
 * input from path/query/header parameters and the JSON body, output from the 2xx JSON object response,
 * GET cached with tags from the path, mutations invalidating the tags their path touches, overrides
 * applied. `source` may be the raw section (it is validated) or an already parsed one.
 *
 * Throws only `OpenApiError` subclasses (stable `code`, `operation` naming the operation concerned).
 */
export function openApiTools(
  upstream: string,
  source: OpenApiSource | OpenApiSourceInput,
  document: OpenApiDocument,
  options: OpenApiToolsOptions = {},
): OpenApiToolSet {
  const parsed = openapiSourceSchema.safeParse(source);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new OpenApiError(
      'OPENAPI_OVERRIDE_INVALID',
      `upstreams.${upstream}.openapi${issue.path.map((p) => `.${String(p)}`).join('')}: ${issue.message}`,
    );
  }
  const config = parsed.data;
  const resolver = new RefResolver(document, options.budget ?? new LoadBudget(config.limits));
  const select = selection(config.include, config.exclude);
  const all = listOperations(document, resolver, config.generateNames, select.skipPath);
  checkNamed(upstream, config, all);

  const chosen = all.filter((op) => select.selected(op));
  const gettable = new Set(all.filter((op) => op.method === 'GET').map((op) => op.path));
  // The first operation of each id: overrides and selectors name operations by id, so a second
  // operation of the same id (a DELETE beside the GET an operator selected) must not share them.
  const byId = new Map<string, RawOperation>();
  for (const op of all) if (op.id !== undefined && !byId.has(op.id)) byId.set(op.id, op);
  const names = new Map<string, RawOperation>();
  const operations: CatalogOperation[] = [];
  const leftOut: OpenApiError[] = [];
  const problems: OpenApiError[] = [];
  const warnings: { operation: string; message: string }[] = [];
  const unserved: RawOperation[] = all.filter((op) => !select.selected(op));
  for (const op of chosen) {
    try {
      addOperation(op);
    } catch (err) {
      // Past the budget every later operation would fail too: that ends the build.
      if (!(err instanceof OpenApiError) || err.code === 'OPENAPI_BUDGET_EXCEEDED') throw err;
      unserved.push(op);
      if (options.onSkip) {
        leftOut.push(err);
        options.onSkip(err);
      } else if (config.skipUnsupported) leftOut.push(err);
      else problems.push(err);
    }
  }
  if (problems.length === 1) throw problems[0];
  if (problems.length > 1) throw new OpenApiProblems(upstream, problems);
  function addOperation(op: RawOperation): void {
    if (op.id === undefined)
      throw new OpenApiError(
        'OPENAPI_OPERATION_ID_MISSING',
        `operation ${op.label} has no operationId; ${missingIdFix(op, all)}`,
        { operation: op.label },
      );
    const first = byId.get(op.id)!;
    if (first !== op)
      throw new OpenApiError(
        'OPENAPI_NAME_COLLISION',
        `operations ${first.label} and ${op.label} have one operationId, which must name one operation ` +
          `(include, exclude and overrides select by it); give ${op.method} ${shown(op.path)} its own operationId in the document, ` +
          'or leave it out with openapi.skipUnsupported: true',
        { operation: op.label },
      );
    const unsafe = unsafeTemplateReason(op.path);
    if (unsafe !== undefined)
      throw new OpenApiError(
        'OPENAPI_DOCUMENT_INVALID',
        `operation ${op.label}: its path ${unsafe}, so the gateway would refuse every call; fix the path in the document, or exclude the operation`,
        { operation: op.label },
      );
    const built = operationTool(op, sanitizeToolName(op.id, config.toolPrefix), {
      upstream,
      source: config,
      resolver,
      isGettable: (path) => gettable.has(path),
    });
    // Two operationIds that differ only in characters a tool name cannot hold: the later one gets a
    // suffix from its own id, so names stay deterministic. A name given in overrides is kept as given.
    if (names.has(built.tool.name) && overrideOf(config, op.id)?.name === undefined)
      built.tool.name = capName(`${built.tool.name.slice(0, 50)}_${shortHash(op.id)}`);
    const clash = names.get(built.tool.name);
    if (clash)
      throw new OpenApiError(
        'OPENAPI_NAME_COLLISION',
        `operations ${clash.label} and ${op.label} both become tool "${built.tool.name}"; ` +
          `give one another name with openapi.overrides.${shown(op.id)}.name`,
        { operation: op.label },
      );
    names.set(built.tool.name, op);
    for (const message of built.notes) warnings.push({ operation: op.label, message: shown(message) });
    operations.push({
      operationId: op.id,
      method: op.method,
      path: op.path,
      summary: typeof op.node.summary === 'string' ? op.node.summary : undefined,
      description: typeof op.node.description === 'string' ? op.node.description : undefined,
      tags: op.tags,
      tool: built.tool,
      wire: built.wire,
    });
  }
  const unselected = all
    .filter((op) => op.id !== undefined && !select.selected(op))
    .map((op) => ({
      operation: op.label,
      message: `it is not selected by upstreams.${upstream}.openapi.include/exclude`,
    }));
  const catalog = buildCatalog(upstream, operations, [...unselected, ...leftOut]);
  return {
    upstream,
    mode: config.mode,
    tools: config.mode === 'tools' ? operations.map((o) => o.tool) : [],
    catalog,
    compact: config.mode === 'compact' ? compactTools(catalog, config.toolPrefix) : undefined,
    leftOut,
    warnings,
    unservedTools: unservedToolNames(config, unserved, names),
  };
}

/** The names the tools of `unserved` operations would have had, to their operationIds; none taken by `served`. */
function unservedToolNames(
  config: OpenApiSource,
  unserved: readonly RawOperation[],
  served: ReadonlyMap<string, unknown>,
): Map<string, string> {
  const out = new Map<string, string>();
  for (const op of unserved) {
    // Without an operationId there is no name a client could have been given.
    if (op.id === undefined) continue;
    const name = overrideOf(config, op.id)?.name ?? sanitizeToolName(op.id, config.toolPrefix);
    if (!served.has(name) && !out.has(name)) out.set(name, op.id);
  }
  return out;
}

/**
 * How to deal with an operation that has no operationId. Selector criteria match on their own (a path
 * with a method is not one criterion), so `exclude.paths` would also drop the path's other operations:
 * it is offered only when the operation is the path's only one. The precise way is its generated name.
 */
function missingIdFix(op: RawOperation, all: RawOperation[]): string {
  const name = generatedName(op.method, op.path);
  const fix =
    `add one to the document, or set openapi.generateNames: true to name it "${name}" ` +
    `(to leave it out instead, also add "${name}" to openapi.exclude.operationIds)`;
  const alone = !op.path.includes('*') && all.every((other) => other === op || other.path !== op.path);
  return alone ? `${fix}, or exclude its path (openapi.exclude.paths: ["${shown(op.path)}"])` : fix;
}

/** operationIds in include/exclude/overrides, and tags in include/exclude, must exist: a typo would silently select nothing. */
function checkNamed(upstream: string, config: OpenApiSource, all: RawOperation[]): void {
  const ids = all.map((op) => op.id).filter((id): id is string => id !== undefined);
  const check = (id: string, where: string) => {
    if (ids.includes(id)) return;
    throw new OpenApiError(
      'OPENAPI_SELECTION_UNKNOWN',
      withSuggestion(
        `upstreams.${upstream}.openapi.${where} names operation "${id}", which the document does not have`,
        id,
        ids,
      ),
      { operation: id },
    );
  };
  for (const id of config.include?.operationIds ?? []) check(id, 'include.operationIds');
  for (const id of config.exclude?.operationIds ?? []) check(id, 'exclude.operationIds');
  for (const id of Object.keys(config.overrides)) check(id, `overrides.${id}`);
  // A mistyped tag selected nothing, and the config validated with 0 tools.
  const tags = [...new Set(all.flatMap((op) => op.tags))];
  const checkTag = (tag: string, where: string) => {
    if (tags.includes(tag)) return;
    throw new OpenApiError(
      'OPENAPI_SELECTION_UNKNOWN',
      withSuggestion(
        `upstreams.${upstream}.openapi.${where} names tag "${tag}", which no operation of the document has` +
          (tags.length > 0
            ? ` (its tags: ${tags.slice(0, 10).join(', ')}${tags.length > 10 ? ', …' : ''})`
            : ''),
        tag,
        tags,
      ),
    );
  };
  for (const tag of config.include?.tags ?? []) checkTag(tag, 'include.tags');
  for (const tag of config.exclude?.tags ?? []) checkTag(tag, 'exclude.tags');
}
