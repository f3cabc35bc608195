import type { CallToolResult, ServerContext, ServerEventBus } from '@modelcontextprotocol/server';
import { McpServer } from '@modelcontextprotocol/server';
import {
  AbortedError,
  type Clock,
  ConfigError,
  type Logger,
  noopLogger,
  systemClock,
  errorForLog,
} from '../../core/index.js';
import { configSecrets, reservedRequestNames } from '../../config/index.js';
import type { HttpClient } from '../../http/index.js';
import { type GatewayMetrics, httpMetricsHook } from '../../metrics/index.js';
import type { WebhookHandler } from '../../webhooks/index.js';
import type { GatewayCache } from '../tools/cache-port.js';
import { CONDUIT_VERSION, type GatewayConfig, type ToolConfig } from '../../config/index.js';
import { type CompiledTool, compileTool } from '../tools/configured-tool.js';
import { InFlightGate, inFlightLimits } from '../tools/in-flight-gate.js';
import { InputValidator } from '../tools/input-validator.js';
import { createUpstreamClients, upstreamClientsReady } from './upstream-clients.js';
import { cacheFromConfig } from './cache-from-config.js';
import { buildGatewayObservers, createGatewayMetricsFor } from './gateway-observers.js';
import { compactModeTools } from '../tools/openapi-compact.js';
import type { ChangeFeed } from '../resources/change-feed.js';
import {
  changeFeedFromConfig,
  checkResourcesConfig,
  createResourceLayer,
  feedReady,
} from '../resources/resources-layer.js';
import type { HealthSections } from '../resources/resources-health.js';
import type { Tracer } from '../../telemetry/index.js';
import { gatewayTracing } from './gateway-tracing.js';
import { tracedHandler } from './traced-handler.js';
import { traceChanges, withTraceparent } from '../resources/traced-changes.js';

export interface GatewayDeps {
  logger?: Logger;
  clock?: Clock;
  /** The cache for tools with a cache policy (default: built from `config.cache`); closed by `close()`. */
  cache?: GatewayCache;
  /** Ready-made HTTP clients by upstream name (tests, benches); the gateway closes them. */
  clients?: ReadonlyMap<string, HttpClient>;
  /** Progress heartbeat interval for long calls, ms (default 5000; 0 disables). */
  progressIntervalMs?: number;
  /**
   * Where resource changes are published and heard (default: Redis pub/sub when `cache.redis.url` is
   * set, else in-memory); closed by `close()`.
   */
  changes?: ChangeFeed;
  /**
   * Metrics to record into (default: a new registry unless `config.metrics.enabled` is false; `false`
   * disables). One given here is not closed by `close()`.
   */
  metrics?: GatewayMetrics | false;
  /**
   * Traces (docs/operations.md): spans are made with this tracer (its provider is the caller's, not
   * closed by `close()`); `false` disables. Default: an OTLP exporter when `telemetry.otlp` is set.
   */
  tracer?: Tracer | false;
}

/**
 * The configured tools, ready to be served: `createServer()` builds a fresh `McpServer` with every tool
 * registered (cheap: schemas and validators are compiled once, here), which is what the stateless HTTP
 * handler and stdio call per request or connection.
 */
export interface Gateway {
  readonly name: string;
  readonly version: string;
  readonly toolNames: readonly string[];
  /** Resource changes: publish here to notify subscribed clients (on every instance when Redis-backed). */
  readonly changes: ChangeFeed;
  /** The SDK server event bus fed by `changes`: 2026-07-28 `subscriptions/listen` streams over HTTP. */
  readonly serverEvents: ServerEventBus;
  /** The sections of `conduit://health`; add one with `health.set('webhooks', () => counters)`. */
  readonly health: HealthSections;
  /** A new McpServer with every configured tool registered. */
  createServer(): McpServer;
  /** Registers every configured tool on an existing server. */
  registerTools(server: McpServer): void;
  /** Resolves once the cache is ready (Redis subscribed, or at once without Redis); never rejects. */
  ready(): Promise<void>;
  /** Tool calls currently running. */
  readonly inFlight: number;
  /** Refuses new calls from now on; resolves true once running calls finished, false at the deadline. */
  drain(timeoutMs: number): Promise<boolean>;
  /** Prometheus metrics of this gateway (undefined when `metrics.enabled` is false). */
  readonly metrics: GatewayMetrics | undefined;
  /** The webhook receiver of `config.webhooks` (a node:http listener), when configured. */
  readonly webhooks: WebhookHandler | undefined;
  /** Drains nothing: closes the webhook receiver, upstream clients, cache (Redis) and metrics. Idempotent. */
  close(): Promise<void>;
}

/** Builds the tools of a config on an HTTP client per upstream and the shared cache. */
export function createGateway(config: GatewayConfig, deps: GatewayDeps = {}): Gateway {
  const logger = deps.logger ?? noopLogger;
  const clock = deps.clock ?? systemClock;
  const name = config.server?.name ?? 'conduit';
  const version = config.server?.version ?? CONDUIT_VERSION;
  const seen = new Set<string>();
  for (const [i, tool] of config.tools.entries()) {
    if (!(tool.upstream in config.upstreams))
      throw new ConfigError(
        `tools[${i}] (${tool.name}) names upstream "${tool.upstream}", which is not configured; known upstreams: ${Object.keys(config.upstreams).join(', ') || 'none'}`,
      );
    if (seen.has(tool.name)) throw new ConfigError(`tools[${i}]: the tool name "${tool.name}" is used twice`);
    seen.add(tool.name);
  }
  checkResourcesConfig(config);
  const ownMetrics = deps.metrics === undefined && config.metrics?.enabled !== false;
  const metrics =
    deps.metrics === false
      ? undefined
      : (deps.metrics ?? (ownMetrics ? createGatewayMetricsFor(config, logger) : undefined));
  const tracing = gatewayTracing(config, deps.tracer, logger);
  const tracer = tracing.tracer;
  const clients =
    deps.clients ??
    createUpstreamClients(config.upstreams, {
      logger,
      clock,
      secretValues: configSecrets(config),
      cache: config.cache,
      tracer,
      ...(metrics ? { onMetrics: httpMetricsHook(metrics) } : {}),
    });
  const compactSets = Object.values(config.openapiSets ?? {}).filter((set) => set.compact);
  logOpenApiNotes(config.openapiSets, logger);
  const needsCache =
    config.tools.some((t) => t.cache || t.invalidates) ||
    compactSets.some((set) => set.catalog.operations.some((o) => o.tool.cache || o.tool.invalidates));
  const built = !deps.cache && needsCache ? cacheFromConfig(config, logger, clock) : undefined;
  const cache = deps.cache ?? built;
  const validator = new InputValidator();
  const progressIntervalMs = deps.progressIntervalMs ?? 5000;
  const changes = deps.changes ?? changeFeedFromConfig(config, logger);
  let compiled: CompiledTool[];
  let observers: ReturnType<typeof buildGatewayObservers>;
  try {
    const gates = inFlightGates(config, compactSets);
    const compile = (tool: ToolConfig): CompiledTool => {
      const client = clients.get(tool.upstream);
      if (!client) throw new ConfigError(`no HTTP client for upstream "${tool.upstream}"`);
      return compileTool(tool, {
        client,
        upstreamName: tool.upstream,
        cache,
        validator,
        clock,
        logger,
        progressIntervalMs,
        series: metrics?.tool(tool.name, tool.upstream),
        reserved: reservedRequestNames(config.upstreams[tool.upstream]),
        gate: gates.get(tool.upstream),
        tracer,
      });
    };
    compiled = config.tools.map(compile);
    for (const set of compactSets) compiled.push(...compactModeTools(set, validator, compile));
    observers = buildGatewayObservers(config, {
      metrics,
      clients,
      cache,
      publisher: {
        async publish(e) {
          for (const uri of e.uris) {
            const change = { uri, event: e.eventType, source: 'webhook', at: e.receivedAt };
            await changes.publish(tracer ? withTraceparent(change) : change);
          }
        },
      },
      logger,
      clock,
      tracer,
    });
  } catch (err) {
    // Nothing may stay open when the config is refused: close what was built for it.
    if (!deps.clients) for (const c of clients.values()) void c.close();
    void built?.close();
    if (!deps.changes) void changes.close();
    if (ownMetrics) metrics?.close();
    void tracing.close();
    throw err;
  }

  let inFlight = 0;
  let draining = false;
  // One controller per running call, so shutdown can abort what outlives its deadline.
  const running = new Set<AbortController>();
  const abortRunning = (reason: string) => {
    for (const c of running) c.abort(new AbortedError(reason));
  };
  let idleWaiters: (() => void)[] = [];
  let closed: Promise<void> | undefined;

  const track =
    (tool: CompiledTool) =>
    async (args: unknown, ctx: ServerContext): Promise<CallToolResult> => {
      if (draining)
        return {
          content: [
            { type: 'text', text: 'The gateway is shutting down and takes no new calls; retry in a moment.' },
          ],
          isError: true,
        };
      inFlight++;
      const controller = new AbortController();
      const clientSignal = ctx.mcpReq.signal;
      const onClientAbort = () => controller.abort(clientSignal.reason);
      if (clientSignal.aborted) controller.abort(clientSignal.reason);
      else clientSignal.addEventListener('abort', onClientAbort, { once: true });
      running.add(controller);
      try {
        return await tool.execute((args ?? {}) as Record<string, unknown>, ctx, controller.signal);
      } finally {
        running.delete(controller);
        clientSignal.removeEventListener('abort', onClientAbort);
        if (--inFlight === 0 && idleWaiters.length > 0) {
          const waiters = idleWaiters;
          idleWaiters = [];
          for (const w of waiters) w();
        }
      }
    };
  const handlers = compiled.map((tool) => ({
    tool,
    handler: tracer ? tracedHandler(tracer, tool.name, track(tool)) : track(tool),
  }));
  const byName = new Map(handlers.map(({ tool, handler }) => [tool.name, handler]));
  const resources = createResourceLayer(config, {
    changes,
    clients,
    cache,
    validator,
    clock,
    logger,
    runTool: (toolName, args, ctx) => (byName.get(toolName) as ReturnType<typeof track>)(args, ctx),
  });
  if (observers.webhooks) resources.health.set('webhooks', () => observers.webhookCounts());
  const untraceChanges = tracer ? traceChanges(changes, tracer) : undefined;

  const registerTools = (server: McpServer) => {
    for (const { tool, handler } of handlers) server.registerTool(tool.name, tool.config, handler as never);
  };

  return {
    name,
    version,
    toolNames: compiled.map((t) => t.name),
    metrics,
    webhooks: observers.webhooks,
    changes,
    serverEvents: resources.events,
    health: resources.health,
    createServer() {
      const server = new McpServer(
        { name, version },
        { capabilities: { tools: {} }, jsonSchemaValidator: validator },
      );
      registerTools(server);
      resources.register(server);
      return server;
    },
    registerTools,
    ready: () =>
      Promise.all([
        built ? built.ready() : undefined,
        feedReady(changes),
        upstreamClientsReady(clients),
      ]).then(() => {}),
    get inFlight() {
      return inFlight;
    },
    drain(timeoutMs) {
      draining = true;
      if (inFlight === 0) return Promise.resolve(true);
      return new Promise<boolean>((resolve) => {
        const timer = clock.setTimeout(() => {
          abortRunning(`the gateway shut down before this call finished (deadline ${timeoutMs} ms)`);
          resolve(false);
        }, timeoutMs);
        idleWaiters.push(() => {
          clock.clearTimeout(timer);
          resolve(true);
        });
      });
    },
    close() {
      draining = true;
      closed ??= (async () => {
        abortRunning('the gateway was closed');
        // The webhook receiver first: its running actions still use the cache and the change feed.
        await observers
          .close()
          .catch((err: unknown) =>
            logger.warn({ err: errorForLog(err) }, 'error while closing the webhook receiver'),
          );
        observers.untrack();
        untraceChanges?.();
        const results = await Promise.allSettled([
          ...[...clients.values()].map((c) => c.close()),
          cache ? cache.close() : Promise.resolve(),
          changes.close(),
        ]);
        for (const r of results)
          if (r.status === 'rejected')
            logger.warn({ err: errorForLog(r.reason) }, 'error while closing the gateway');
        if (ownMetrics) metrics?.close();
        await tracing.close();
      })();
      return closed;
    },
  };
}

/** One in-flight gate per upstream (`upstreams.<name>.inFlight`), sized for the tools that use it. */
function inFlightGates(
  config: GatewayConfig,
  compactSets: readonly { catalog: { operations: readonly { tool: ToolConfig }[] } }[],
): Map<string, InFlightGate> {
  const tools = [...config.tools, ...compactSets.flatMap((set) => set.catalog.operations.map((o) => o.tool))];
  const gates = new Map<string, InFlightGate>();
  for (const [name, upstream] of Object.entries(config.upstreams)) {
    const count = tools.filter((t) => t.upstream === name).length;
    gates.set(name, new InFlightGate(inFlightLimits(upstream.inFlight), Math.max(1, count)));
  }
  return gates;
}

/** Operations an `openapi` section leaves out, and what was changed to serve others: one warning each. */
function logOpenApiNotes(sets: GatewayConfig['openapiSets'], logger: Logger): void {
  for (const set of Object.values(sets ?? {})) {
    for (const err of set.leftOut ?? [])
      logger.warn(
        { upstream: set.upstream, operation: err.operation, code: err.code, reason: err.message },
        'openapi operation left out',
      );
    for (const w of set.warnings ?? [])
      logger.warn(
        { upstream: set.upstream, operation: w.operation, reason: w.message },
        'openapi operation adjusted',
      );
  }
}
