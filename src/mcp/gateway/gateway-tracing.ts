import type { Clock, Logger } from '../../core/index.js';
import type { GatewayConfig } from '../../config/index.js';
import type { GatewayMetrics } from '../../metrics/index.js';
import { startTracing, type Tracer } from '../../telemetry/index.js';

/** The gateway's tracer and what closing it takes. */
export interface GatewayTracing {
  /** Undefined when traces are off: nothing on the hot path makes a span then. */
  readonly tracer: Tracer | undefined;
  /** Flushes and stops an exporter the gateway started; nothing for a given tracer. */
  close(): Promise<void>;
}

const OFF: GatewayTracing = { tracer: undefined, close: async () => {} };

/**
 * A given tracer (the caller owns its provider), `false` for none, or, with `telemetry.otlp` set, an
 * OTLP/HTTP exporter of the gateway's own. Without `telemetry.otlp` the SDK is never loaded.
 */
export function gatewayTracing(
  config: GatewayConfig,
  given: Tracer | false | undefined,
  logger: Logger,
  metrics?: GatewayMetrics,
  clock?: Clock,
): GatewayTracing {
  if (given === false) return OFF;
  if (given !== undefined) return { tracer: given, close: async () => {} };
  const t = config.telemetry;
  if (!t?.otlp) return OFF;
  const tracing = startTracing({
    serviceName: t.serviceName,
    sampling: t.sampling,
    otlp: {
      endpoint: t.otlp.endpoint,
      ...(t.otlp.headers ? { headers: t.otlp.headers } : {}),
      timeoutMs: t.otlp.timeout,
    },
    logger,
    ...(clock ? { clock } : {}),
    ...(metrics ? { onDropped: (spans, reason) => metrics.spansDropped(spans, reason) } : {}),
  });
  logger.info({ sampling: t.sampling, serviceName: t.serviceName }, 'traces: exporting over OTLP/HTTP');
  return { tracer: tracing.tracer, close: () => tracing.close() };
}
