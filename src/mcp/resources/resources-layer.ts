import type {
  CallToolResult,
  jsonSchemaValidator,
  McpServer,
  ServerContext,
  ServerEventBus,
} from '@modelcontextprotocol/server';
import { type Clock, ConfigError, type Logger } from '../../core/index.js';
import type { HttpClient } from '../../http/index.js';
import { type ChangeFeed, createMemoryChangeFeed } from './change-feed.js';
import { createRedisChangeFeed } from './change-feed-redis.js';
import type { GatewayConfig, ResourcesConfig, ResourceTemplateConfig } from '../../config/index.js';
import { attachResourceSubscriptions, changeFeedEventBus } from './notifications.js';
import { RECENT_CHANGES_TOOL, registerRecentChangesTool } from './recent-changes.js';
import {
  type CompiledResourceTemplate,
  compileResourceTemplates,
  registerResources,
  type TemplateRunner,
  type ToolRunner,
} from './resources.js';
import { templateTargetIndex } from '../../config/index.js';
import { HealthSections } from './resources-health.js';
import type { CallerContext } from '../transport/auth-info.js';
import { guardedTemplate, hideDeniedResources, type ReadGuard, uriRefusal } from './read-policy.js';

/** Resources, subscriptions and `recent_changes` are served when `resources` or `webhooks` is configured. */
export function resourcesEnabled(config: GatewayConfig): boolean {
  return config.resources !== undefined || config.webhooks !== undefined;
}

/**
 * The tools the gateway serves itself besides the configured ones (`recent_changes`), so whatever
 * counts tools counts what `tools/list` answers.
 */
export function builtInToolNames(config: GatewayConfig): string[] {
  return resourcesEnabled(config) && config.resources?.recentChanges !== false ? [RECENT_CHANGES_TOOL] : [];
}

/** Refuses a `resources` section that names unknown tools or reuses names (before anything is built). */
export function checkResourcesConfig(config: GatewayConfig): void {
  const r = config.resources;
  if (!r) return;
  const known = new Set(config.tools.map((t) => t.name));
  if (r.recentChanges !== false && known.has(RECENT_CHANGES_TOOL))
    throw new ConfigError(
      `a configured tool is named "${RECENT_CHANGES_TOOL}", which the gateway serves itself: rename the tool or set resources.recentChanges: false`,
    );
  const never: jsonSchemaValidator = {
    getValidator: () => () => ({ valid: true, data: undefined as never, errorMessage: undefined }),
  };
  const unreachable: ToolRunner = () => Promise.reject(new Error('not runnable during the config check'));
  compileResourceTemplates(
    r.templates ?? [],
    templateTargetIndex(config),
    (shape) => templateRunner(config, shape, () => unreachable),
    never,
  );
}

/**
 * What answers a template: its tool, or its OpenAPI operation — through the upstream's invoke tool in
 * compact mode (validation, cache, retries and metrics as for an invoke call), through the operation's
 * own tool in tools mode.
 */
function templateRunner(
  config: GatewayConfig,
  shape: ResourceTemplateConfig,
  tool: (name: string) => ToolRunner,
): TemplateRunner | undefined {
  if (shape.tool !== undefined) {
    const t = config.tools.find((x) => x.name === shape.tool);
    return t ? { run: tool(t.name), input: t.input, tool: t.name } : undefined;
  }
  const set = config.openapiSets?.[shape.upstream ?? ''];
  const op = set?.catalog.byId.get(shape.operation ?? '');
  if (!set || !op) return undefined;
  if (!set.compact) return { run: tool(op.tool.name), input: op.tool.input, tool: op.tool.name };
  const invoke = tool(set.compact.invoke.name);
  return {
    run: (args, ctx) => invoke({ operationId: op.operationId, arguments: args }, ctx),
    input: op.tool.input,
    // Compact mode's invoke checks the operation's own tool name, so the policy does here too.
    tool: op.tool.name,
  };
}

/**
 * The change feed a config asks for: Redis pub/sub on the cache's Redis (channel `<prefix>:changes`)
 * when `cache.redis.url` or `cache.redis.cluster` is set, so changes reach every instance; in-memory
 * otherwise.
 */
export function changeFeedFromConfig(config: GatewayConfig, logger: Logger): ChangeFeed {
  const url = config.cache?.redis?.url;
  const cluster = config.cache?.redis?.cluster;
  if (!url && !cluster?.length) return createMemoryChangeFeed();
  return createRedisChangeFeed({
    ...(cluster?.length ? { cluster } : { url }),
    prefix: config.cache?.prefix ?? 'conduit',
    logger: logger.child({ component: 'change-feed' }),
  });
}

/** Resolves once a feed is ready (a Redis feed subscribed); at once for others. Never rejects. */
export function feedReady(changes: ChangeFeed): Promise<void> {
  const ready = (changes as { ready?: () => Promise<void> }).ready;
  return typeof ready === 'function' ? ready.call(changes).catch(() => {}) : Promise.resolve();
}

export interface ResourceLayerDeps {
  changes: ChangeFeed;
  clients: ReadonlyMap<string, HttpClient>;
  cache: unknown;
  validator: jsonSchemaValidator;
  clock: Clock;
  logger: Logger;
  /** The policy for reads (absent without a policy): lists, reads and subscriptions honour it. */
  readGuard?: ReadGuard | undefined;
  /**
   * Whether every caller may read resource `name` (through `viaTool`): a read only some may make is
   * hinted `private` to 2026-07-28 clients. Absent: every read is open.
   */
  openRead?: ((name: string, viaTool: string | undefined) => boolean) | undefined;
  /** Runs a configured tool by name through the gateway's tracked, resilient, cached path. */
  runTool(name: string, args: Record<string, unknown>, ctx: ServerContext): Promise<CallToolResult>;
}

export interface ResourceLayer {
  readonly enabled: boolean;
  /** `conduit://health` sections; add e.g. `webhooks` counters with `health.set(...)`. */
  readonly health: HealthSections;
  /** The SDK event bus fed by the change feed (pass to `createMcpHandler({ bus })`). */
  readonly events: ServerEventBus;
  /** Registers resources, subscriptions and `recent_changes` on a new server (before `connect`). */
  register(server: McpServer): void;
  /** Whether this caller may be told that `uri` changed: only when the policy lets it read `uri`. */
  hears(uri: string, ctx: CallerContext): boolean;
  /** The tools `register` adds (`recent_changes`), so counts of served tools include them. */
  readonly toolNames: readonly string[];
  /**
   * Binds the templates to the tools of `next` (a reload: the `resources` section itself only
   * changes with a restart, the tools behind it may not), so reads check and coerce their URIs by the
   * input in force. Throws ConfigError as at start; the returned function puts them in force.
   */
  prepare(next: GatewayConfig): () => void;
}

export function createResourceLayer(config: GatewayConfig, deps: ResourceLayerDeps): ResourceLayer {
  const enabled = resourcesEnabled(config);
  const r: Partial<ResourcesConfig> = config.resources ?? {};
  const health = new HealthSections(deps.clients, deps.cache, () => deps.clock.now());
  const events = changeFeedEventBus(deps.changes, deps.clock);
  const runTool =
    (name: string): ToolRunner =>
    (args, ctx) =>
      deps.runTool(name, args, ctx);
  const compile = (c: GatewayConfig): CompiledResourceTemplate[] =>
    enabled
      ? compileResourceTemplates(
          r.templates ?? [],
          templateTargetIndex(c),
          (shape) => templateRunner(c, shape, runTool),
          deps.validator,
        )
      : [];
  const templates = compile(config);
  const healthProvider = r.health === false ? undefined : () => health.snapshot();
  const log = deps.logger.child({ component: 'resources' });
  const guard = deps.readGuard;
  const guarded = templates.map((t) => guardedTemplate(t.shape.name, t.shape.uriTemplate, t.viaTool));
  const byName = new Map(guarded.map((g) => [g.name, g]));
  const refuse = guard ? uriRefusal(guarded, guard) : undefined;
  // Resources outlive reloads (a restart-only section): recent_changes keeps the listing it started with.
  const listing = config.server?.toolListing ?? 'compact';
  return {
    enabled,
    health,
    events,
    toolNames: builtInToolNames(config),
    hears: (uri, ctx) => refuse?.(uri, ctx) === undefined,
    prepare(next) {
      const fresh = compile(next);
      return () => {
        // In place: every server registered so far reads through these objects.
        fresh.forEach((f, i) => {
          Object.assign(templates[i]!, f);
          guarded[i]!.viaTool = f.viaTool;
        });
      };
    },
    register(server) {
      if (!enabled) return;
      registerResources(server, templates, healthProvider, refuse, deps.openRead);
      if (guard && (templates.length > 0 || healthProvider)) hideDeniedResources(server, byName, guard);
      attachResourceSubscriptions(server, deps.changes, log, refuse);
      if (r.recentChanges !== false)
        registerRecentChangesTool(server, deps.changes, deps.validator, listing, refuse);
    },
  };
}
