import type { AuthInfo, ServerEventBus } from '@modelcontextprotocol/server';
import { McpServer } from '@modelcontextprotocol/server';
import { type Clock, type Logger, errorForLog } from '../../core/index.js';
import { CONDUIT_VERSION, type GatewayConfig } from '../../config/index.js';
import { type HttpClient, Redactor, type SecretSet } from '../../http/index.js';
import type { Tracer } from '../../telemetry/index.js';
import type { GatewayMetrics } from '../../metrics/index.js';
import type { WebhookHandler } from '../../webhooks/index.js';
import type { GatewayCache } from '../tools/cache-port.js';
import type { ChangeFeed } from '../resources/change-feed.js';
import { feedReady } from '../resources/resources-layer.js';
import type { HealthSections } from '../resources/resources-health.js';
import { checkGatewayConfig } from './check-gateway-config.js';
import { logConfigNotes } from './config-notes.js';
import { buildGatewayParts, type GatewayParts, releaseBuiltParts } from './gateway-parts.js';
import {
  buildGatewayRuntime,
  clientsFor,
  closeObservers,
  type GatewayRuntime,
  putInForce,
} from './gateway-runtime.js';
import { LiveTools } from './live-servers.js';
import { type ReloadReport, reloadGateway } from './reload.js';
import { upstreamClientsReady } from './upstream-clients.js';
import { hideDeniedTools } from './hide-denied-tools.js';
import { answerUnservedTools } from './unserved-tools.js';
import { gatewayReadiness, type ReadinessCheck } from './gateway-readiness.js';
import { TracedMcpServer } from './traced-server.js';
import { callerContext } from '../transport/auth-info.js';

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
  /**
   * The secret values every client, log field and answer is scrubbed of: the gateway adds its
   * config's (and each reload's) to it. Given, so a logger made before the gateway scrubs with the
   * same set (`conduit serve`'s does, line by line). Default: a set of the gateway's own.
   */
  secrets?: SecretSet;
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
  /**
   * Whether a listen stream of `caller` may be told that `uri` changed: only when the caller may read
   * it (the policy `resources/read` applies, of the config in force).
   */
  mayHear(uri: string, caller: AuthInfo): boolean;
  /**
   * `text` with every `${ENV}` value of the configs put in force replaced, in any encoding: for text
   * a client sent that a log line shows.
   */
  redact(text: string): string;
  /** The sections of `conduit://health`; add one with `health.set('webhooks', () => counters)`. */
  readonly health: HealthSections;
  /** A new McpServer with every configured tool registered. */
  createServer(): McpServer;
  /** Registers every configured tool on an existing server. */
  registerTools(server: McpServer): void;
  /** What `/readyz` reports of the gateway's parts (docs/operations.md, Health); cheap, no Redis round trip. */
  readiness(): readonly ReadinessCheck[];
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
  /** Where `audit` lines go (undefined without an audit section): stdio refuses `stdout`. */
  readonly auditDestination: 'stderr' | 'stdout' | 'file' | undefined;
  /**
   * Puts a parsed, validated config in force without dropping sessions (docs/operations.md, "Reload"):
   * refused when a restart-only key changed; calls in flight finish on the old config. Reloads run
   * one at a time.
   */
  reload(config: GatewayConfig): Promise<ReloadReport>;
  /** Drains nothing: closes the webhook receiver, upstream clients, cache (Redis) and metrics. Idempotent. */
  close(): Promise<void>;
}

/**
 * Builds the tools of a config on an HTTP client per upstream and the shared cache, in named steps:
 * check the config, build the lasting parts (metrics, cache, change feed), build the runtime of this
 * config (clients, tools, observers, resources), then put the gateway's face on them.
 */
export function createGateway(config: GatewayConfig, deps: GatewayDeps = {}): Gateway {
  checkGatewayConfig(config);
  const parts = buildGatewayParts(config, deps);
  logConfigNotes(config, parts.logger);
  const runtime = buildFirstRuntime(config, parts, deps.clients);
  putInForce(parts, runtime);
  return gatewayOf(config, parts, runtime);
}

/** The runtime of the starting config; nothing may stay open when the config is refused. */
function buildFirstRuntime(
  config: GatewayConfig,
  parts: GatewayParts,
  given: ReadonlyMap<string, HttpClient> | undefined,
): GatewayRuntime {
  let clients: ReadonlyMap<string, HttpClient> | undefined = given;
  try {
    clients ??= clientsFor(config, parts);
    return buildGatewayRuntime(config, parts, clients, !given);
  } catch (err) {
    if (!given) for (const c of clients?.values() ?? []) void c.close();
    releaseBuiltParts(parts);
    throw err;
  }
}

/** The gateway's face over its lasting parts and the runtime in force (a reload replaces it). */
function gatewayOf(config: GatewayConfig, parts: GatewayParts, first: GatewayRuntime): Gateway {
  const name = config.server?.name ?? 'conduit';
  const version = config.server?.version ?? CONDUIT_VERSION;
  const { validator, tracker } = parts;
  let runtime = first;
  let closed: Promise<void> | undefined;
  const live = new LiveTools(parts.live.handlers, first.resources.events, parts.logger);
  const retiring = new Set<Promise<void>>();
  // Reads the shared set at each use: values a reload adds are scrubbed from then on.
  const redactor = new Redactor([], [], [], parts.secrets);
  const reloads = serialized((next: GatewayConfig) =>
    reloadGateway(
      {
        parts,
        live,
        current: () => runtime,
        commit: (r) => {
          runtime = r;
        },
        retiring: (done) => {
          retiring.add(done);
          void done.finally(() => retiring.delete(done));
        },
        retired: () => Promise.allSettled([...retiring]).then(() => {}),
        closed: () => closed !== undefined,
      },
      next,
    ),
  );
  return {
    name,
    version,
    get toolNames() {
      return [...runtime.tools.map(({ tool }) => tool.name), ...first.resources.toolNames];
    },
    metrics: parts.metrics,
    webhooks: first.observers.webhooks,
    auditDestination: first.guards.audit?.destination,
    changes: parts.changes,
    serverEvents: first.resources.events,
    mayHear: (uri, caller) => first.resources.hears(uri, callerContext(caller)),
    redact: (text) => redactor.scrub(text),
    health: first.resources.health,
    createServer() {
      const info = { name, version };
      const options = { capabilities: { tools: {} }, jsonSchemaValidator: validator };
      const tracer = parts.tracing.tracer;
      const server = tracer ? new TracedMcpServer(tracer, info, options) : new McpServer(info, options);
      live.register(server, runtime.tools);
      // Read per request: a reload may bring or change the policy.
      if (runtime.guards.policy || runtime.tools.length > 0)
        hideDeniedTools(server, (tool, ctx) => runtime.guards.check(ctx, tool) === undefined);
      first.resources.register(server);
      answerUnservedTools(server, () => runtime);
      return server;
    },
    registerTools: (server) => live.register(server, runtime.tools),
    readiness: gatewayReadiness(config, parts, () => runtime),
    ready: () =>
      Promise.all([
        parts.builtCache?.ready(),
        feedReady(parts.changes),
        upstreamClientsReady(first.clients),
      ]).then(() => {}),
    get inFlight() {
      return tracker.inFlight;
    },
    drain: (timeoutMs) => tracker.drain(timeoutMs),
    reload: reloads,
    close() {
      closed ??= closeGateway(parts, () => runtime, retiring);
      return closed;
    },
  };
}

/** One run at a time: a call made while one runs starts after it. */
function serialized<A, R>(fn: (arg: A) => Promise<R>): (arg: A) => Promise<R> {
  let tail: Promise<unknown> = Promise.resolve();
  return (arg) => {
    const run = tail.then(() => fn(arg));
    tail = run.catch(() => {});
    return run;
  };
}

/**
 * Aborts running calls, closes the webhook receiver first (its running actions still use the cache
 * and the change feed), then clients, cache (Redis) and change feed together, then the traces' final
 * export (bounded by `telemetry.otlp.timeout`), then the metrics.
 */
async function closeGateway(
  parts: GatewayParts,
  current: () => GatewayRuntime,
  retiring: ReadonlySet<Promise<void>>,
): Promise<void> {
  parts.tracker.stopAccepting();
  parts.tracker.abortAll('the gateway was closed');
  // A reload that is building waits for nothing: it sees the gateway closed and discards its runtime.
  const runtime = current();
  await Promise.allSettled([...retiring]);
  await closeObservers(runtime, parts);
  const results = await Promise.allSettled([
    ...[...runtime.clients.values()].map((c) => c.close()),
    runtime.credentials.close(),
    runtime.guards.close(),
    parts.cache ? parts.cache.close() : Promise.resolve(),
    parts.changes.close(),
  ]);
  for (const r of results)
    if (r.status === 'rejected')
      parts.logger.warn({ err: errorForLog(r.reason) }, 'error while closing the gateway');
  parts.untraceChanges?.();
  // Before the metrics stop recording: the spans the final export gives up are counted.
  await parts.tracing.close();
  if (parts.ownsMetrics) parts.metrics?.close();
}
