import { errorForLog } from '../../core/index.js';
import { configSecrets, type GatewayConfig } from '../../config/index.js';
import type { HttpClient } from '../../http/index.js';
import { httpMetricsHook } from '../../metrics/index.js';
import type { EventPublisher } from '../../webhooks/index.js';
import type { ChangeFeed } from '../resources/change-feed.js';
import { createResourceLayer, type ResourceLayer } from '../resources/resources-layer.js';
import type { CompiledTool } from '../tools/configured-tool.js';
import type { ToolHandler } from './call-tracker.js';
import { type CallGuards, callGuardsFor, guardedExecute } from './call-guards.js';
import { compileGatewayTools } from './compile-tools.js';
import { buildGatewayObservers, type GatewayObservers } from './gateway-observers.js';
import type { GatewayParts } from './gateway-parts.js';
import { createUpstreamClients } from './upstream-clients.js';
import { createUpstreamCredentials, type UpstreamCredentials } from './upstream-credentials.js';
import type { Tracer } from '../../telemetry/index.js';
import { withTraceparent } from '../resources/traced-changes.js';
import { deliveryContext } from './traced-webhooks.js';
import { RuntimeCalls } from './runtime-calls.js';
import { type GatePlan, gatesOf } from './in-flight-gates.js';

/** A compiled tool and the tracked handler the SDK calls for it. */
export interface ServedTool {
  readonly tool: CompiledTool;
  readonly handler: ToolHandler;
}

/**
 * Everything the gateway builds from one config: upstream clients, tools, resources and the
 * observers (metrics tracking, webhook receiver). Built whole, so it can be replaced whole.
 */
export interface GatewayRuntime {
  readonly config: GatewayConfig;
  readonly clients: ReadonlyMap<string, HttpClient>;
  /** The clients were made here (the runtime closes them), not given by the deps. */
  readonly ownsClients: boolean;
  readonly tools: readonly ServedTool[];
  readonly resources: ResourceLayer;
  readonly observers: GatewayObservers;
  /** Who each call runs as and what the policy lets them call. */
  readonly guards: CallGuards;
  /** The upstreams' non-static credentials (token grants, forwarding); closed with the clients. */
  readonly credentials: UpstreamCredentials;
  /** The calls running on this runtime: a reload closes what it retires once they are done. */
  readonly calls: RuntimeCalls;
  /** The in-flight gates its tools run through; their new limits apply when it is put in force. */
  readonly gates: GatePlan;
}

/** What the upstream clients and their credentials are built with: logs, clock, secrets, metrics, traces. */
function upstreamDeps(config: GatewayConfig, parts: GatewayParts) {
  return {
    logger: parts.logger,
    clock: parts.clock,
    secretValues: configSecrets(config),
    sharedSecrets: parts.secrets,
    sharedBreakers: parts.sharedBreakers,
    cache: config.cache,
    ...(parts.metrics ? { onMetrics: httpMetricsHook(parts.metrics) } : {}),
    tracer: parts.tracing.tracer,
  };
}

/** One HTTP client per upstream of the config, recording into the gateway's metrics. */
export function clientsFor(config: GatewayConfig, parts: GatewayParts): Map<string, HttpClient> {
  return createUpstreamClients(config.upstreams, upstreamDeps(config, parts));
}

/** Webhook events as resource changes: one per changed URI, published on the change feed. */
function changePublisher(changes: ChangeFeed, tracer: Tracer | undefined): EventPublisher {
  return {
    async publish(e) {
      for (const uri of e.uris) {
        const change = { uri, event: e.eventType, source: 'webhook', at: e.receivedAt };
        // Traced: the delivery's span travels with the change, to every instance that hears it.
        await changes.publish(tracer ? withTraceparent(change, deliveryContext()) : change);
      }
    },
  };
}

/** Tools, then the observers, then resources (whose templates run the tools by name). */
export function buildGatewayRuntime(
  config: GatewayConfig,
  parts: GatewayParts,
  clients: ReadonlyMap<string, HttpClient>,
  ownsClients: boolean,
): GatewayRuntime {
  const credentials = credentialsFor(config, config.upstreams, parts);
  try {
    return assembleRuntime(config, parts, { clients, ownsClients, credentials });
  } catch (err) {
    void credentials.close();
    throw err;
  }
}

/** The non-static credentials of these upstreams of a config. */
export function credentialsFor(
  config: GatewayConfig,
  upstreams: GatewayConfig['upstreams'],
  parts: GatewayParts,
): UpstreamCredentials {
  return createUpstreamCredentials(upstreams, upstreamDeps(config, parts));
}

/** What a runtime is assembled from: its clients and credentials, and what a reload carries over. */
export interface RuntimeInputs {
  clients: ReadonlyMap<string, HttpClient>;
  ownsClients: boolean;
  credentials: UpstreamCredentials;
  /** A reload keeps the running audit stream, quotas, resources and webhook receiver. */
  carried?: Pick<GatewayRuntime, 'guards' | 'resources' | 'observers'>;
}

/** Compiles the tools on the given clients, tracked per runtime, with the observers and resources. */
export function assembleRuntime(
  config: GatewayConfig,
  parts: GatewayParts,
  inputs: RuntimeInputs,
): GatewayRuntime {
  const { clients, ownsClients, credentials, carried } = inputs;
  const { cache, changes, validator, clock, logger, tracker } = parts;
  const guards = callGuardsFor(config, {
    clock,
    logger,
    secrets: parts.secrets,
    ...(carried ? { keep: carried.guards } : {}),
  });
  const tracer = parts.tracing.tracer;
  const gates = parts.gates.plan(config);
  const compiled = compileGatewayTools(config, {
    gates: gatesOf(gates),
    guards,
    clients,
    cache,
    validator,
    clock,
    logger,
    progressIntervalMs: parts.progressIntervalMs,
    metrics: parts.metrics,
    credentials: credentials.byUpstream,
    tracer,
  });
  const observers = buildGatewayObservers(carried ? { ...config, webhooks: undefined } : config, {
    metrics: parts.metrics,
    clients,
    cache: carried ? undefined : cache,
    publisher: changePublisher(changes, tracer),
    logger,
    clock,
    tracer,
  });
  const calls = new RuntimeCalls();
  const tools = compiled.map((tool) => {
    const handler = tracker.handlerFor(guardedExecute(tool, guards), calls);
    return { tool, handler };
  });
  if (carried)
    return {
      config,
      clients,
      ownsClients,
      tools,
      resources: carried.resources,
      observers: withWebhooksOf(carried.observers, observers),
      credentials,
      guards,
      calls,
      gates,
    };
  const live = parts.live;
  const resources = createResourceLayer(config, {
    changes,
    clients: live.clients,
    cache,
    validator,
    clock,
    logger,
    readGuard: (ctx, name, viaTool) => live.guards?.checkRead(ctx, name, viaTool),
    openRead: (name, viaTool) => live.guards?.policy?.openToAll('resources', name, viaTool) ?? true,
    // Resources outlive reloads: their templates run the tool of the config in force.
    runTool: (toolName, args, ctx) => (live.handlers.get(toolName) as ToolHandler)(args, ctx),
  });
  if (observers.webhooks) resources.health.set('webhooks', () => observers.webhookCounts());
  return { config, clients, ownsClients, tools, resources, observers, credentials, guards, calls, gates };
}

/**
 * A reloaded runtime's observers: its own breaker tracking; the running webhook receiver and cache
 * tracking (taken by reference, so reload after reload refers to the first ones, not a chain).
 */
function withWebhooksOf(running: GatewayObservers, own: GatewayObservers): GatewayObservers {
  return {
    webhooks: running.webhooks,
    webhookCounts: running.webhookCounts,
    dedupeConnected: running.dedupeConnected,
    close: running.close,
    untrackBreakers: own.untrackBreakers,
    untrackCache: running.untrackCache,
  };
}

/** Makes a runtime the one in force for resources, health and new calls. */
export function putInForce(parts: GatewayParts, runtime: GatewayRuntime): void {
  parts.live.handlers.clear();
  for (const { tool, handler } of runtime.tools) parts.live.handlers.set(tool.name, handler);
  parts.live.clients.clear();
  for (const [name, client] of runtime.clients) parts.live.clients.set(name, client);
  parts.live.guards = runtime.guards;
  parts.gates.commit(runtime.gates);
}

/** Closes the runtime's webhook receiver and stops its metrics tracking; its clients stay open. */
export async function closeObservers(runtime: GatewayRuntime, parts: GatewayParts): Promise<void> {
  await runtime.observers
    .close()
    .catch((err: unknown) =>
      parts.logger.warn({ err: errorForLog(err) }, 'error while closing the webhook receiver'),
    );
  runtime.observers.untrackBreakers();
  runtime.observers.untrackCache();
}
