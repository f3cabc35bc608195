import type { CallGuards } from './call-guards.js';
import { type Clock, type Logger, noopLogger, systemClock } from '../../core/index.js';
import type { TieredCache } from '../../cache/index.js';
import type { GatewayConfig } from '../../config/index.js';
import { gatewaySecrets } from './credential-secrets.js';
import type { GatewayMetrics } from '../../metrics/index.js';
import type { GatewayCache } from '../tools/cache-port.js';
import { InputValidator } from '../tools/input-validator.js';
import type { ChangeFeed } from '../resources/change-feed.js';
import { changeFeedFromConfig } from '../resources/resources-layer.js';
import { cacheFromConfig } from './cache-from-config.js';
import { CallTracker, type ToolHandler } from './call-tracker.js';
import { type HttpClient, SecretSet } from '../../http/index.js';
import { toolsNeedCache } from './compile-tools.js';
import { createGatewayMetricsFor } from './gateway-observers.js';
import type { GatewayDeps } from './gateway.js';
import { type GatewayTracing, gatewayTracing } from './gateway-tracing.js';
import { traceChanges } from '../resources/traced-changes.js';
import { redisTargetOf } from '../../redis/index.js';
import { createSharedBreakers, SharedBreakerPool } from './shared-breakers.js';
import { InFlightGates } from './in-flight-gates.js';

/**
 * What the gateway keeps for its whole life, whatever config its tools come from: logger and clock,
 * the metrics registry, the cache and the change feed (with their Redis connections), the schema
 * validator and the tracker of running calls.
 */
export interface GatewayParts {
  readonly logger: Logger;
  readonly clock: Clock;
  readonly metrics: GatewayMetrics | undefined;
  /** The metrics registry was made here (so `close()` closes it). */
  readonly ownsMetrics: boolean;
  readonly cache: GatewayCache | undefined;
  /** The cache made here from `config.cache`, when the deps gave none. */
  readonly builtCache: (GatewayCache & Pick<TieredCache, 'ready' | 'on'>) | undefined;
  readonly changes: ChangeFeed;
  /** The change feed was made here. */
  readonly ownsChanges: boolean;
  readonly validator: InputValidator;
  readonly progressIntervalMs: number;
  readonly tracker: CallTracker;
  /** The tracer (undefined when traces are off) and the exporter the gateway started, if any. */
  readonly tracing: GatewayTracing;
  /** Stops the notification spans of resource changes. */
  readonly untraceChanges: (() => void) | undefined;
  /**
   * Every `${ENV}` value of every config put in force: each upstream client, token endpoint and the
   * audit stream scrub them, so a reload's new values are scrubbed by the clients it keeps too.
   */
  readonly secrets: SecretSet;
  /**
   * The Redis connections of `breaker.shared` upstreams (undefined without `cache.redis`): opened by
   * the first such client, reused by the clients of every reload, closed with the last of them.
   */
  readonly sharedBreakers: SharedBreakerPool | undefined;
  /** Each upstream's in-flight gate, kept across reloads so the cap holds across a swap. */
  readonly gates: InFlightGates;
  /** What is in force now, refilled by each reload: resources and health read through it. */
  readonly live: LiveState;
}

/** The handlers and upstream clients of the config in force. */
export interface LiveState {
  readonly handlers: Map<string, ToolHandler>;
  readonly clients: Map<string, HttpClient>;
  /** The policy of the config in force, which resource reads and listings honour. */
  guards: CallGuards | undefined;
}

/** The metrics of the deps, else a registry of the gateway's own unless `metrics.enabled` is false. */
function metricsOf(config: GatewayConfig, deps: GatewayDeps, logger: Logger) {
  const owns = deps.metrics === undefined && config.metrics?.enabled !== false;
  if (deps.metrics === false) return { metrics: undefined, owns: false };
  return { metrics: deps.metrics ?? (owns ? createGatewayMetricsFor(config, logger) : undefined), owns };
}

/** Builds the lasting parts: what the deps do not give is made from the config. */
export function buildGatewayParts(config: GatewayConfig, deps: GatewayDeps): GatewayParts {
  const logger = deps.logger ?? noopLogger;
  const clock = deps.clock ?? systemClock;
  const { metrics, owns } = metricsOf(config, deps, logger);
  const builtCache =
    !deps.cache && toolsNeedCache(config) ? cacheFromConfig(config, logger, clock) : undefined;
  const changes = deps.changes ?? changeFeedFromConfig(config, logger);
  const tracing = gatewayTracing(config, deps.tracer, logger, metrics, clock);
  return {
    logger,
    clock,
    metrics,
    ownsMetrics: owns,
    cache: deps.cache ?? builtCache,
    builtCache,
    changes,
    ownsChanges: !deps.changes,
    validator: new InputValidator(),
    progressIntervalMs: deps.progressIntervalMs ?? 5000,
    tracker: new CallTracker(clock),
    tracing,
    untraceChanges: tracing.tracer ? traceChanges(changes, tracing.tracer) : undefined,
    secrets: secretsOf(config, deps.secrets),
    sharedBreakers: sharedBreakerPool(config, logger),
    gates: new InFlightGates(),
    live: { handlers: new Map(), clients: new Map(), guards: undefined },
  };
}

/** The pool of shared breaker connections through `cache.redis`; opens nothing until a client needs it. */
function sharedBreakerPool(config: GatewayConfig, logger: Logger): SharedBreakerPool | undefined {
  const target = redisTargetOf(config.cache?.redis);
  if (!target) return undefined;
  const prefix = config.cache?.prefix ?? 'conduit';
  return new SharedBreakerPool(() => createSharedBreakers(target, { prefix, logger }));
}

/** Releases what {@link buildGatewayParts} made, when the config is refused after it. */
export function releaseBuiltParts(parts: GatewayParts): void {
  void parts.builtCache?.close();
  if (parts.ownsChanges) void parts.changes.close();
  if (parts.ownsMetrics) parts.metrics?.close();
  parts.untraceChanges?.();
  void parts.tracing.close();
}

/** The gateway's secret set: the given one (a caller's logger scrubs with it too) or its own, with the config's values in it. */
function secretsOf(config: GatewayConfig, given: SecretSet | undefined): SecretSet {
  if (given === undefined) return new SecretSet(gatewaySecrets(config));
  given.add(gatewaySecrets(config));
  return given;
}
