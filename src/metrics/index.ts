/**
 * `conduit-mcp/metrics`: Prometheus metrics of the gateway, in the text format 0.0.4 (prom-client is
 * not needed) — tool calls by tool, upstream and outcome with latency histograms, upstream HTTP calls and retries (from the HTTP client's
 * `onMetrics` hook), circuit breaker state per upstream, cache hits and misses per tier, and webhook
 * outcomes — in a registry of its own, served by a node:http `/metrics` handler.
 *
 * Every label value is bounded (names from configuration, route templates, fixed outcome and reason
 * sets, a cap per label); see `GatewayMetrics`.
 *
 * ```ts
 * const metrics = createGatewayMetrics();
 * const client = createHttpClient({ baseUrl, name: 'api', onMetrics: httpMetricsHook(metrics) });
 * http.createServer(metricsHandler(metrics)).listen(9464, '127.0.0.1');
 * ```
 */
export {
  createGatewayMetrics,
  httpMetricsHook,
  webhookOutcomeHook,
  type GatewayMetrics,
  type GatewayMetricsOptions,
} from './gateway-metrics.js';
export { metricsHandler, type MetricsHandlerOptions } from './metrics-handler.js';
export {
  MetricRegistry,
  PROMETHEUS_CONTENT_TYPE,
  type MetricsRegistry,
  type RegistrableMetric,
  type MetricFamily,
  type MetricSample,
} from './registry.js';
export type { ToolSeries } from './tool-metrics.js';
export type { ReloadMetricOutcome } from './reload-metrics.js';
export type { SpanDropMetricReason } from './trace-metrics.js';
export { type ToolOutcome, TOOL_OUTCOMES, toolOutcomeOf, toolOutcomeOfLookup } from './tool-outcome.js';
export {
  type WebhookOutcome,
  WEBHOOK_REASONS,
  classifyWebhookResponse,
} from './webhook-outcome.js';
export { UNMATCHED_ENDPOINT } from './webhook-metrics.js';
export { type BreakerLike, BREAKER_STATE_VALUE } from './breaker-metrics.js';
export type { CacheStatsSource } from './cache-metrics.js';
export { OTHER_LABEL } from './label-guard.js';
export { LATENCY_BUCKETS_SECONDS } from './buckets.js';
