import type { Clock, Logger } from '../../core/index.js';
import { type HttpClient, Redactor } from '../../http/index.js';
import {
  classifyWebhookResponse,
  createGatewayMetrics,
  type GatewayMetrics,
  webhookOutcomeHook,
} from '../../metrics/index.js';
import type {
  CacheInvalidator,
  EventPublisher,
  WebhookHandler,
  WebhookResponse,
} from '../../webhooks/index.js';
import type { GatewayCache } from '../tools/cache-port.js';
import { privateCopiesTag } from '../tools/answer-scope.js';
import type { GatewayConfig } from '../../config/index.js';
import { createGatewayWebhooks } from './gateway-webhooks.js';
import { gatewaySecrets } from './credential-secrets.js';
import type { Tracer } from '../../telemetry/index.js';
import { tracedInvalidator, tracedWebhookHandler, traceWebhookOutcome } from './traced-webhooks.js';

/** The metrics of `config.metrics` (a registry of their own). */
export function createGatewayMetricsFor(config: GatewayConfig, logger: Logger): GatewayMetrics {
  return createGatewayMetrics({ defaultMetrics: config.metrics?.defaultMetrics ?? false, logger });
}

export interface GatewayObservers {
  readonly webhooks: WebhookHandler | undefined;
  /** Deliveries by endpoint and outcome (`accepted`, `rejected`, …) since start, for `conduit://health`. */
  webhookCounts(): Record<string, Record<string, number>>;
  /** Whether the webhook de-duplication store (Redis) is reachable; undefined when it is in memory. */
  dedupeConnected(): boolean | undefined;
  /** Closes the webhook receiver (waits for its running actions). */
  close(): Promise<void>;
  /** Stops reading this runtime's upstream breakers into the metrics (a reload replaced the runtime). */
  untrackBreakers(): void;
  /** Stops reading the cache (which outlives reloads) into the metrics. */
  untrackCache(): void;
}

/**
 * What watches the gateway and what the upstream tells it: breaker and cache tracking for the metrics,
 * and the webhook receiver whose actions clear the cache and publish changed resource URIs.
 */
export function buildGatewayObservers(
  config: GatewayConfig,
  deps: {
    metrics: GatewayMetrics | undefined;
    clients: ReadonlyMap<string, HttpClient>;
    cache: GatewayCache | undefined;
    publisher: EventPublisher;
    logger: Logger;
    clock: Clock;
    /** Traces: a span per webhook delivery, its invalidations as events. */
    tracer?: Tracer | undefined;
  },
): GatewayObservers {
  const { metrics, cache } = deps;
  const untracks: (() => void)[] = [];
  const cacheUntracks: (() => void)[] = [];
  if (metrics) {
    for (const [name, client] of deps.clients) {
      // The instance counts transitions; a client without one (a stand-in) still shows its state.
      if (client.circuitBreaker) untracks.push(metrics.trackBreaker(name, client.circuitBreaker));
      else {
        // Route breakers: the gauge reads the worst route at scrape time; transitions are counted
        // from every route breaker.
        untracks.push(metrics.trackBreakerSnapshot(name, () => client.breakerSnapshot));
        if (client.breakerTransitions) untracks.push(metrics.trackBreaker(name, client.breakerTransitions));
      }
    }
    const stats = cache as unknown as { stats?: unknown } | undefined;
    if (cache && typeof stats?.stats === 'function')
      cacheUntracks.push(metrics.trackCache(cache as unknown as Parameters<GatewayMetrics['trackCache']>[0]));
  }
  let receiver: ReturnType<typeof createGatewayWebhooks> | undefined;
  // Plain counters for the health resource (bounded: endpoint names from config, fixed outcomes).
  const counts: Record<string, Record<string, number>> = {};
  const tracer = deps.tracer;
  const count = (endpoint: string | undefined, r: WebhookResponse) => {
    const { outcome } = classifyWebhookResponse(r.status, r.body);
    if (tracer) traceWebhookOutcome(endpoint, r, outcome);
    const name = endpoint ?? '(unmatched)';
    const byOutcome = counts[name] ?? {};
    counts[name] = byOutcome;
    byOutcome[outcome] = (byOutcome[outcome] ?? 0) + 1;
  };
  if (config.webhooks) {
    const redactor = new Redactor([], [], gatewaySecrets(config));
    const redact = (text: string) => redactor.scrub(text);
    const record = metrics ? webhookOutcomeHook(metrics) : undefined;
    const c = config.cache;
    receiver = createGatewayWebhooks(config.webhooks, {
      cache: cache
        ? tracer
          ? tracedInvalidator(invalidatorOf(cache), redact)
          : invalidatorOf(cache)
        : undefined,
      publisher: deps.publisher,
      redisUrl: c?.redis?.url,
      redisCluster: c?.redis?.cluster,
      prefix: c?.prefix ?? 'conduit',
      onOutcome: (endpoint, r) => {
        count(endpoint, r);
        record?.(endpoint, r);
      },
      logger: deps.logger,
      clock: deps.clock,
      redact,
    });
  }
  return {
    webhooks: receiver && tracer ? tracedWebhookHandler(receiver.handler, tracer) : receiver?.handler,
    webhookCounts: () => structuredClone(counts),
    dedupeConnected: () => receiver?.dedupeConnected(),
    close: async () => {
      await receiver?.close();
    },
    untrackBreakers: () => {
      for (const u of untracks.splice(0)) u();
    },
    untrackCache: () => {
      for (const u of cacheUntracks.splice(0)) u();
    },
  };
}

/** Webhook invalidations must reach Redis and the other instances, else the delivery fails and is retried. */
const STRICT = { strict: true } as const;

/**
 * The gateway cache as the webhook actions see it; a cache without globs clears patterns not at all.
 * Invalidations are strict: one that reached only this instance (Redis failing) answers 500, so the
 * sender's retry applies it once Redis is back, instead of an acknowledged event whose old value
 * stays in Redis and on the other instances.
 */
function invalidatorOf(cache: GatewayCache): CacheInvalidator {
  const withPattern = cache as GatewayCache & {
    invalidatePattern?: (glob: string, options?: { strict?: boolean }) => Promise<unknown>;
  };
  return {
    // A key's private copies (one per caller) carry its tag: deleting the key clears them too.
    delete: (key) =>
      Promise.all([cache.delete(key, STRICT), cache.invalidateTags([privateCopiesTag(key)], STRICT)]),
    invalidateTags: (tags) => cache.invalidateTags(tags, STRICT),
    invalidatePattern: (glob) => {
      if (typeof withPattern.invalidatePattern !== 'function')
        throw new Error('this cache cannot invalidate by pattern; use keys or tags');
      return withPattern.invalidatePattern(glob, STRICT);
    },
  };
}
