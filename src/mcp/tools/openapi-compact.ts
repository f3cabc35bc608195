import type { CallToolResult, ServerContext } from '@modelcontextprotocol/server';
import { type OpenApiToolSet, resolveInvocation, searchOperations } from '../../config/index.js';
import type { CompiledTool } from './configured-tool.js';
import type { CallSignal } from './call-signal.js';
import { errorResult } from './error-result.js';
import type { InputValidator } from './input-validator.js';
import type { ToolConfig } from '../../config/index.js';
import { successResult } from './tool-result.js';
import { invokeAnnotations, SEARCH_ANNOTATIONS, toolAnnotations } from './method-annotations.js';
import {
  type ListedAnnotations,
  listedAnnotations,
  listedInputSchema,
  type ToolListing,
} from './tool-listing.js';

/** The policy as compact mode needs it: the refusal of an operation's tool for this call's caller. */
export interface OperationGuard {
  check(ctx: ServerContext | undefined, toolName: string): Error | undefined;
}

/**
 * Compact mode for a large OpenAPI upstream: instead of one tool per operation (which drowns a model in
 * tools), two tools — search the operations, invoke one by id. An invoked operation runs through the
 * same compiled path as a configured tool (validation, cache, retry, breaker, error mapping); each
 * operation is compiled on first use and kept. With a `guard` (the policy), search lists only the
 * operations the caller may invoke, and invoke refuses the others before compiling them. `scrub`
 * takes the config's secrets out of the text of invoke's own errors (the upstream's client scrubs the rest).
 */
export function compactModeTools(
  set: OpenApiToolSet,
  validator: InputValidator,
  compile: (tool: ToolConfig) => CompiledTool,
  guard?: OperationGuard,
  scrub: (text: string) => string = (text) => text,
  listing: ToolListing = 'compact',
): CompiledTool[] {
  const compact = set.compact;
  if (!compact) return [];
  const { catalog } = set;
  const compiled = new Map<string, CompiledTool>();
  // The policy names tools: each operation's, served or not, by its operationId.
  const toolNameOf = new Map(catalog.operations.map((o) => [o.operationId, o.tool.name]));
  for (const [name, id] of set.unservedTools ?? []) toolNameOf.set(id, name);

  const search: CompiledTool = {
    name: compact.search.name,
    config: {
      description: compact.search.description,
      inputSchema: listedInputSchema(compact.search.input, validator, listing),
      ...listedOrNone(listedAnnotations(SEARCH_ANNOTATIONS, undefined, listing)),
    },
    async execute(args, ctx: ServerContext): Promise<CallToolResult> {
      const query = typeof args.query === 'string' ? args.query : '';
      const limit = typeof args.limit === 'number' ? args.limit : undefined;
      // With a policy, rank among every match (up to the catalog's cap), then keep what the caller may invoke.
      let operations = searchOperations(catalog, query, guard ? 50 : limit);
      if (guard) {
        const wanted = Math.max(1, Math.min(50, Math.floor(limit ?? 10)));
        operations = operations
          .filter((m) => guard.check(ctx, toolNameOf.get(m.operationId) ?? m.operationId) === undefined)
          .slice(0, wanted);
      }
      return successResult({ operations }, { source: 'upstream', stale: false });
    },
  };

  const invokeHints = invokeAnnotations(
    catalog.operations.map((o) => toolAnnotations(o.tool.method, o.tool.annotations)),
  );
  const invoke: CompiledTool = {
    name: compact.invoke.name,
    config: {
      description: compact.invoke.description,
      inputSchema: listedInputSchema(compact.invoke.input, validator, listing),
      ...listedOrNone(listedAnnotations(invokeHints, undefined, listing)),
    },
    async execute(args, ctx: ServerContext, call: CallSignal): Promise<CallToolResult> {
      let resolved: ReturnType<typeof resolveInvocation>;
      try {
        const mayInvoke = guard
          ? (id: string) => guard.check(ctx, toolNameOf.get(id) ?? id) === undefined
          : undefined;
        resolved = resolveInvocation(catalog, args.operationId, args.arguments, validator, mayInvoke);
      } catch (err) {
        // Why an operation is not served may quote the config; its `${ENV}` values stay in the gateway.
        const result = errorResult(err, set.upstream, compact.invoke.name);
        return {
          ...result,
          content: result.content.map((c) => (c.type === 'text' ? { ...c, text: scrub(c.text) } : c)),
        };
      }
      const refused = guard?.check(ctx, resolved.tool.name);
      if (refused) return errorResult(refused, set.upstream, compact.invoke.name);
      let tool = compiled.get(resolved.tool.name);
      if (!tool) {
        try {
          tool = compile(resolved.tool);
        } catch (err) {
          return errorResult(err, set.upstream, compact.invoke.name);
        }
        compiled.set(resolved.tool.name, tool);
      }
      return tool.execute(resolved.args, ctx, call);
    },
  };
  return [search, invoke];
}

/** `annotations` as a member to spread: none when nothing is listed. */
function listedOrNone(annotations: ListedAnnotations | undefined): { annotations?: ListedAnnotations } {
  return annotations ? { annotations } : {};
}
