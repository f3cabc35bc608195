import { type ReloadMetricOutcome, ReloadMetrics } from './reload-metrics.js';
import { type SpanDropMetricReason, TraceMetrics } from './trace-metrics.js';
import { ConfigError, type Logger, noopLogger, errorMessage, requireOptional } from '../core/index.js';
import type { HttpMetricsEvent } from '../http/index.js';
import type { BreakerSnapshot } from '../resilience/index.js';
import type { WebhookResponse } from '../webhooks/index.js';
import { type BreakerLike, BreakerMetrics } from './breaker-metrics.js';
import { CacheMetrics, type CacheStatsSource } from './cache-metrics.js';
import { HttpMetrics } from './http-metrics.js';
import { MetricRegistry, type MetricsRegistry } from './registry.js';
import { ToolMetrics, type ToolSeries } from './tool-metrics.js';
import type { ToolOutcome } from './tool-outcome.js';
import type { WebhookOutcome } from './webhook-outcome.js';
import { WebhookMetrics } from './webhook-metrics.js';

/** Options of `createGatewayMetrics`. */
export interface GatewayMetricsOptions {
  /**
   * Registry to register in: a prom-client `Registry` works too. Default: a new {@link MetricRegistry}
   * owned by this object (never a global one, so two gateways in one process, and tests, do not
   * collide).
   */
  registry?: MetricsRegistry;
  /** Prefix of every Conduit metric name. Default `conduit_`. */
  prefix?: string;
  /**
   * Also export prom-client's process and Node.js metrics (`process_*`, `nodejs_*`, unprefixed, as
   * dashboards expect). Default false. Needs the optional package `prom-client` (a
   * MissingDependencyError names it when it is not installed). prom-client offers no way to stop its
   * event-loop monitor and GC observer, so they outlive `close()` (neither keeps the process alive).
   */
  defaultMetrics?: boolean;
  /** Distinct `route` values per upstream before new ones read `(other)`. Default 200. */
  maxRoutesPerUpstream?: number;
  /** Warnings (a label cap reached). Default `noopLogger`. */
  logger?: Logger;
}

/**
 * Prometheus metrics of one gateway. Every label value is bounded: tool, upstream and endpoint names
 * come from configuration, routes are path templates (`/users/{id}`, never expanded paths or ids),
 * outcomes and reasons come from fixed sets, and each label has a cap past which new values read
 * `(other)` — unbounded labels are an operator's nightmare.
 *
 * Metric names (with the default prefix): `conduit_tool_calls_total`, `conduit_tool_call_duration_seconds`,
 * `conduit_upstream_requests_total`, `conduit_upstream_request_duration_seconds`,
 * `conduit_upstream_retries_total`, `conduit_breaker_state`, `conduit_breaker_transitions_total`,
 * `conduit_cache_*`, `conduit_webhook_deliveries_total`, `conduit_config_reloads_total`,
 * `conduit_trace_spans_dropped_total`.
 */
export interface GatewayMetrics {
  /** The registry holding these metrics. */
  readonly registry: MetricsRegistry;
  /** Content type of `metrics()`'s text (Prometheus text format 0.0.4). */
  readonly contentType: string;
  /**
   * The series of one tool: bind it once per tool and call `record(outcome, durationMs)` per call;
   * recording then costs an array read, a number increment and one histogram observation.
   */
  tool(name: string, upstream: string): ToolSeries;
  /** Records one tool call (looks the series up; `tool(...)` saves the lookup on the hot path). */
  recordToolCall(tool: string, upstream: string, outcome: ToolOutcome, durationMs: number): void;
  /** Records one upstream HTTP call; `httpMetricsHook(metrics)` is this as an `onMetrics` function. */
  recordHttp(event: HttpMetricsEvent): void;
  /**
   * Keeps `breaker_state{upstream}` current and counts transitions from the breaker's `stateChange`
   * events. Returns an unsubscribe; `close()` also unsubscribes. Tracking the same breaker under the
   * same name again shares the one subscription (each transition is counted once) until every
   * tracker unsubscribed. An untracked series keeps its last value until `forgetBreaker`.
   */
  trackBreaker(upstream: string, breaker: BreakerLike): () => void;
  /**
   * Reads `breaker_state{upstream}` from a snapshot at scrape time, for holders of a snapshot only
   * (`HttpClient.breakerSnapshot`); transitions are not counted this way.
   */
  trackBreakerSnapshot(upstream: string, read: () => BreakerSnapshot | undefined): () => void;
  /**
   * Removes `breaker_state{upstream}` once nothing tracks that upstream (a reload removed it); a
   * no-op while a breaker or snapshot reader is still tracked under the name.
   */
  forgetBreaker(upstream: string): void;
  /**
   * Exports a cache's counters (hits and misses per tier, stale served, factory calls and errors, L2
   * errors, bus messages) and L1 size, read from `stats()` at scrape time. Returns an untrack; the
   * cache's totals stay in the counters. Tracking the same cache again is a no-op.
   */
  trackCache(cache: CacheStatsSource): () => void;
  /** Counts one webhook delivery; `reason` outside the documented set is recorded as `other`. */
  webhookOutcome(endpoint: string, outcome: WebhookOutcome, reason?: string): void;
  /**
   * Counts one answer of a `conduit-mcp/webhooks` receiver (endpoint name, or undefined for an unknown
   * path); `webhookOutcomeHook(metrics)` is this as the receiver's `onOutcome` option.
   */
  webhookResponse(endpoint: string | undefined, response: { status: number; body: string }): void;
  /** Counts one config reload by how it ended. */
  configReload(outcome: ReloadMetricOutcome): void;
  /** Counts spans the OTLP exporter gave up, by why. */
  spansDropped(count: number, reason: SpanDropMetricReason): void;
  /** The Prometheus text exposition of every metric in the registry. */
  metrics(): Promise<string>;
  /**
   * Removes every subscription (breakers, caches, snapshot readers) and stops recording; the registry
   * stays readable. Idempotent.
   */
  close(): void;
}

const METRIC_PREFIX = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

class PromGatewayMetrics implements GatewayMetrics {
  readonly registry: MetricsRegistry;
  private open = true;
  private readonly unsubscribers = new Set<() => void>();
  private readonly tools: ToolMetrics;
  private readonly http: HttpMetrics;
  private readonly breakers: BreakerMetrics;
  private readonly caches: CacheMetrics;
  private readonly webhooks: WebhookMetrics;
  private readonly reloads: ReloadMetrics;
  private readonly traces: TraceMetrics;

  constructor(options: GatewayMetricsOptions) {
    const prefix = options.prefix ?? 'conduit_';
    if (prefix !== '' && !METRIC_PREFIX.test(prefix))
      throw new ConfigError(
        `createGatewayMetrics: prefix ${JSON.stringify(prefix)} is not a valid metric name start; use letters, digits, "_" and ":", not starting with a digit (e.g. "conduit_")`,
      );
    const maxRoutes = options.maxRoutesPerUpstream ?? 200;
    if (!(Number.isInteger(maxRoutes) && maxRoutes >= 1))
      throw new ConfigError(
        `createGatewayMetrics: maxRoutesPerUpstream must be an integer >= 1 (got ${maxRoutes})`,
      );
    const logger = options.logger ?? noopLogger;
    const warn = (what: string) =>
      logger.warn({ event: 'metrics.label_cap' }, `metrics: ${what}; further values are recorded as (other)`);
    this.registry = options.registry ?? new MetricRegistry();
    const isOpen = () => this.open;
    // Loaded first: a missing package is its own error, not a registry conflict.
    const prom = options.defaultMetrics ? processMetrics() : undefined;
    const before = new Set(this.registry.getMetricsAsArray().map((m) => m.name));
    try {
      this.tools = new ToolMetrics(this.registry, prefix, isOpen, warn);
      this.http = new HttpMetrics(this.registry, prefix, maxRoutes, warn);
      this.breakers = new BreakerMetrics(this.registry, prefix);
      this.caches = new CacheMetrics(this.registry, prefix);
      this.webhooks = new WebhookMetrics(this.registry, prefix, isOpen, warn);
      this.reloads = new ReloadMetrics(this.registry, prefix, isOpen);
      this.traces = new TraceMetrics(this.registry, prefix, isOpen);
      if (prom) prom.collectDefaultMetrics({ register: this.registry as never });
    } catch (err) {
      // Leave a shared registry as it was: no half-registered gateway.
      for (const m of this.registry.getMetricsAsArray())
        if (!before.has(m.name)) this.registry.removeSingleMetric(m.name);
      throw new ConfigError(
        `createGatewayMetrics: ${errorMessage(err)}; give each gateway its own registry (the default) or a different prefix`,
        { cause: err },
      );
    }
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  tool(name: string, upstream: string): ToolSeries {
    return this.tools.series(name, upstream);
  }

  recordToolCall(tool: string, upstream: string, outcome: ToolOutcome, durationMs: number): void {
    this.tools.series(tool, upstream).record(outcome, durationMs);
  }

  recordHttp(event: HttpMetricsEvent): void {
    if (this.open) this.http.record(event);
  }

  trackBreaker(upstream: string, breaker: BreakerLike): () => void {
    return this.keep(this.open ? this.breakers.track(upstream, breaker) : undefined);
  }

  trackBreakerSnapshot(upstream: string, read: () => BreakerSnapshot | undefined): () => void {
    return this.keep(this.open ? this.breakers.trackSnapshot(upstream, read) : undefined);
  }

  forgetBreaker(upstream: string): void {
    this.breakers.forget(upstream);
  }

  trackCache(cache: CacheStatsSource): () => void {
    return this.keep(this.open ? this.caches.track(cache) : undefined);
  }

  webhookOutcome(endpoint: string, outcome: WebhookOutcome, reason?: string): void {
    this.webhooks.record(endpoint, outcome, reason);
  }

  webhookResponse(endpoint: string | undefined, response: { status: number; body: string }): void {
    this.webhooks.recordResponse(endpoint, response.status, response.body);
  }

  configReload(outcome: ReloadMetricOutcome): void {
    this.reloads.record(outcome);
  }

  spansDropped(count: number, reason: SpanDropMetricReason): void {
    this.traces.record(count, reason);
  }

  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  close(): void {
    if (!this.open) return;
    this.open = false;
    for (const u of this.unsubscribers) u();
    this.unsubscribers.clear();
  }

  /** Remembers an unsubscribe for `close()`; the returned one also forgets it. */
  private keep(unsubscribe: (() => void) | undefined): () => void {
    if (unsubscribe === undefined) return () => {};
    let done = false;
    const once = () => {
      if (done) return;
      done = true;
      this.unsubscribers.delete(once);
      unsubscribe();
    };
    this.unsubscribers.add(once);
    return once;
  }
}

type PromClient = typeof import('prom-client');

/** prom-client, for its process and Node.js collectors (they register in any registry of this shape). */
function processMetrics(): PromClient {
  return requireOptional<PromClient>(
    'prom-client',
    'metrics.defaultMetrics (process_* and nodejs_* metrics)',
  );
}

/**
 * Creates the Prometheus metrics of one gateway, in their own registry.
 *
 * @example
 * const metrics = createGatewayMetrics();
 * const client = createHttpClient({ baseUrl, name: 'github', onMetrics: httpMetricsHook(metrics) });
 * const series = metrics.tool('get_issue', 'github');
 * series.record('ok', 12.5);
 * http.createServer(metricsHandler(metrics)).listen(9464);
 */
export function createGatewayMetrics(options: GatewayMetricsOptions = {}): GatewayMetrics {
  return new PromGatewayMetrics(options);
}

/**
 * The HTTP client's `onMetrics` hook recording into `metrics`: requests by upstream, method, route
 * template and status (or error code), duration, and retries (attempts beyond the first). The client
 * must be given path templates with `params` so `route` stays bounded.
 */
export function httpMetricsHook(metrics: GatewayMetrics): (event: HttpMetricsEvent) => void {
  return (event) => metrics.recordHttp(event);
}

/**
 * The webhook receiver's `onOutcome` hook recording into `metrics`: every answer counted by endpoint,
 * outcome and reason.
 *
 * @example
 * createWebhookHandler({ endpoints, onOutcome: webhookOutcomeHook(metrics) });
 */
export function webhookOutcomeHook(
  metrics: GatewayMetrics,
): (endpoint: string | undefined, response: WebhookResponse) => void {
  return (endpoint, response) => metrics.webhookResponse(endpoint, response);
}
