import { isAbsolute, resolve } from 'node:path';
import type { ToolConfig } from '../schema.js';
import { LoadBudget } from './budget.js';
import { type LoadOpenApiOptions, type OpenApiDocument, loadOpenApiDocument } from './document.js';
import { OpenApiError } from './errors.js';
import { type OpenApiToolSet, openApiTools } from './openapi-tools.js';
import { type OpenApiSource, type OpenApiSourceInput, openapiSourceSchema } from './source-schema.js';

/** The parts of a config `expandOpenApi` reads: upstreams that may have an `openapi` section, and tools. */
export interface ConfigWithOpenApi {
  upstreams: Readonly<Record<string, { openapi?: OpenApiSource | OpenApiSourceInput | undefined }>>;
  tools: readonly ToolConfig[];
}

export interface ExpandedOpenApi {
  /** The hand-written tools followed by every tools-mode upstream's generated ones. */
  tools: ToolConfig[];
  /** Per upstream with an `openapi` section: its tool set (compact mode: catalog and the two tool definitions). */
  sets: Record<string, OpenApiToolSet>;
}

/**
 * Loads each upstream's OpenAPI document (a relative `document` is read from `baseDir`, the config
 * file's directory) and builds its tools. A generated tool whose name is already taken — by a
 * hand-written tool or another upstream's — is an `OPENAPI_NAME_COLLISION` naming both; rename it with
 * `openapi.overrides.<operationId>.name` or `toolPrefix`. Throws only `OpenApiError`.
 */
export async function expandOpenApi(
  config: ConfigWithOpenApi,
  options: {
    baseDir: string;
    load?: (path: string, options: LoadOpenApiOptions) => Promise<OpenApiDocument>;
    /** The clock of the load budgets (ms); default `performance.now`. */
    now?: () => number;
  },
): Promise<ExpandedOpenApi> {
  const load = options.load ?? loadOpenApiDocument;
  const tools = [...config.tools];
  const owner = new Map<string, string>(tools.map((t) => [t.name, 'tools[] (written by hand)']));
  const sets: Record<string, OpenApiToolSet> = {};
  for (const [name, upstream] of Object.entries(config.upstreams)) {
    const source = upstream.openapi;
    if (!source) continue;
    const at = (path: string) => (isAbsolute(path) ? path : resolve(options.baseDir, path));
    const file = at(source.document);
    // One budget for reading the document and building its tools.
    // A raw section is checked (with messages) by openApiTools; here only its bounds are read.
    const parsed = openapiSourceSchema.safeParse(source);
    const budget = new LoadBudget(parsed.data?.limits ?? {}, options.now);
    const refRoots = (parsed.data?.refRoots ?? []).map(at);
    let document: OpenApiDocument;
    try {
      document = await load(file, { refRoots, budget });
    } catch (err) {
      if (err instanceof OpenApiError) err.configKey ??= ['upstreams', name, 'openapi', 'document'];
      throw err;
    }
    const set = openApiTools(name, source, document, { budget });
    sets[name] = set;
    const names = [
      ...set.tools.map((t) => t.name),
      ...(set.compact ? [set.compact.search.name, set.compact.invoke.name] : []),
    ];
    for (const toolName of names) {
      const first = owner.get(toolName);
      if (first !== undefined)
        throw new OpenApiError(
          'OPENAPI_NAME_COLLISION',
          `upstreams.${name}.openapi makes a tool "${toolName}", a name already used by ${first}; ` +
            'rename it with openapi.overrides.<operationId>.name or set openapi.toolPrefix',
          { operation: toolName },
        );
      owner.set(toolName, `upstreams.${name}.openapi`);
    }
    // A required body with only optional fields has no `params` form, so it is added here, where the
    // tools are served from the document itself.
    for (const op of set.catalog.operations)
      if (op.wire.bodyRequired)
        op.tool.wire = { commaSeparatedQuery: [], jsonEncoded: [], ...op.tool.wire, bodyRequired: true };
    tools.push(...set.tools);
  }
  return { tools, sets };
}
