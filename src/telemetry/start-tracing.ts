import type { Attributes, Tracer } from '@opentelemetry/api';
import type { Clock, Logger } from '../core/index.js';
import { PooledIdGenerator } from './id-generator.js';
import { OtlpExporter, type OtlpExporterOptions } from './recorder/otlp-exporter.js';
import { batchPrefix } from './recorder/otlp-json.js';
import type { RecordedSpan, SpanSink } from './recorder/recorded-span.js';
import { RecordingTracer, rootSampler } from './recorder/recording-tracer.js';
import { epochNowMs } from './recorder/time.js';

/**
 * An OpenTelemetry SDK span exporter (e.g. the SDK's `InMemorySpanExporter`), by shape: it receives
 * the recorder's spans, which carry every field of the SDK's `ReadableSpan`.
 */
export interface SpanExporterLike {
  export(spans: never[], resultCallback: (result: { code: number; error?: Error }) => void): void;
  shutdown(): Promise<void>;
  forceFlush?(): Promise<void>;
}

/** Where spans go and how many are kept: the `telemetry` config section, in ms. */
export interface TracingOptions {
  /** `service.name` of every span. Default `conduit`. */
  serviceName?: string;
  /** Share of new root traces recorded, 0 to 1 (a parent's sampling flag wins). Default 1. */
  sampling?: number;
  /** Export over OTLP/HTTP with the JSON encoding. */
  otlp?: { endpoint: string; headers?: Readonly<Record<string, string>>; timeoutMs?: number };
  /** Or any SDK exporter (tests: the SDK's `InMemorySpanExporter`), sent span by span. */
  exporter?: SpanExporterLike;
  logger?: Logger;
  /** Told of spans the OTLP exporter gives up (queue full, batch failed for good): a metric counts them. */
  onDropped?: OtlpExporterOptions['onDropped'];
  /** Timers of the OTLP batches. Default: the system clock. */
  clock?: Clock;
  /** Epoch milliseconds (fractional) for span times. Default: `performance`, sub-microsecond. */
  now?: () => number;
}

/** A running tracer and what to do with it at shutdown. */
export interface Tracing {
  /** The tracer every span of this gateway is made with. */
  readonly tracer: Tracer;
  /**
   * Sends what is still buffered, a failed OTLP batch retried as while running (up to 3 attempts,
   * 1 s then 2 s apart; the process is held meanwhile). Never rejects (a receiver that is down is logged).
   */
  flush(): Promise<void>;
  /**
   * Sends what is still buffered, then stops the exporter: over OTLP, one attempt per batch within the
   * `otlp.timeoutMs`, whatever the receiver does (the spans not sent are counted as dropped). Idempotent;
   * never rejects.
   */
  close(): Promise<void>;
}

const SCOPE = Object.freeze({ name: 'conduit-mcp' });

/** Hands each ended span to an SDK exporter, one call per span (the SDK's simple processor). */
function exporterSink(exporter: SpanExporterLike, logger: Logger | undefined): (span: RecordedSpan) => void {
  return (span) =>
    exporter.export([span as never], (r) => {
      if (r.code !== 0) logger?.warn({ code: 'EXPORT_FAILED' }, 'traces: exporting a span failed');
    });
}

/**
 * Starts a tracer of its own (not the global one, so two gateways in one process keep their own
 * service name and exporter). Spans are recorded by Conduit's recorder behind `@opentelemetry/api`
 * and sent over OTLP/HTTP JSON by its batching exporter: the OpenTelemetry SDK's span objects, batch
 * processor and OTLP serializer cost a traced call about twice what this does (BENCHMARKS.md). No
 * context manager is registered: Conduit hands each span's context down its calls, and an
 * AsyncLocalStorage would cost every promise of the process (`ensureContextManager` installs one for
 * code of your own that reads the active span). To use the SDK instead, pass its tracer to
 * `createGateway(config, { tracer })`.
 *
 * @example
 * ```ts
 * import { createGateway } from 'conduit-mcp/mcp';
 * import { startTracing } from 'conduit-mcp/telemetry';
 * const tracing = startTracing({ serviceName: 'gateway', otlp: { endpoint: 'http://127.0.0.1:4318/v1/traces' } });
 * const gateway = createGateway(config, { tracer: tracing.tracer });
 * // ... at shutdown:
 * await gateway.close();
 * await tracing.close();
 * ```
 */
export function startTracing(options: TracingOptions): Tracing {
  const resource: Attributes = {
    'service.name': options.serviceName ?? 'conduit',
    'telemetry.sdk.language': 'nodejs',
    'telemetry.sdk.name': 'conduit-mcp',
  };
  const logger = options.logger;
  const otlp =
    options.otlp !== undefined
      ? new OtlpExporter(batchPrefix(resource, SCOPE), {
          endpoint: options.otlp.endpoint,
          ...(options.otlp.headers !== undefined ? { headers: options.otlp.headers } : {}),
          timeoutMs: options.otlp.timeoutMs ?? 10_000,
          ...(logger !== undefined ? { logger } : {}),
          ...(options.clock !== undefined ? { clock: options.clock } : {}),
          ...(options.onDropped !== undefined ? { onDropped: options.onDropped } : {}),
        })
      : undefined;
  const toExporter = options.exporter !== undefined ? exporterSink(options.exporter, logger) : undefined;
  let closing = false;
  const sink: SpanSink = {
    resource: Object.freeze({ attributes: Object.freeze(resource) }),
    instrumentationScope: SCOPE,
    now: options.now ?? epochNowMs,
    onEnd(span) {
      if (closing) return;
      otlp?.add(span);
      toExporter?.(span);
    },
  };
  const warn = (what: string) => (err: unknown) =>
    logger?.warn({ code: (err as { code?: unknown })?.code }, `traces: ${what} failed`);
  const flush = async () => {
    await otlp?.flush();
    await options.exporter?.forceFlush?.().catch(warn('sending spans'));
  };
  let closed: Promise<void> | undefined;
  return {
    tracer: new RecordingTracer(sink, new PooledIdGenerator(), rootSampler(options.sampling ?? 1)),
    flush,
    close() {
      closed ??= (async () => {
        // The OTLP exporter is told first: a flush of a running one retries a failed batch with backoff
        // (seconds), where its close gives each batch one bounded attempt.
        closing = true;
        await otlp?.close();
        await options.exporter?.forceFlush?.().catch(warn('sending spans'));
        await options.exporter?.shutdown().catch(warn('closing the exporter'));
      })();
      return closed;
    },
  };
}
