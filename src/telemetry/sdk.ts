import type { Tracer } from '@opentelemetry/api';
import { type Logger, requireOptional } from '../core/index.js';
import { PooledIdGenerator } from './id-generator.js';

type SdkModule = typeof import('@opentelemetry/sdk-trace-base');
type ExporterModule = typeof import('@opentelemetry/exporter-trace-otlp-http');
type ResourcesModule = typeof import('@opentelemetry/resources');
type SpanProcessor = import('@opentelemetry/sdk-trace-base').SpanProcessor;

/**
 * An SDK span exporter (e.g. the SDK's `InMemorySpanExporter`), by shape: this module's public types
 * must not name the optional SDK packages, so an install without them still type-checks.
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
  /** Share of new root traces recorded, 0 to 1 (a remote parent's sampling flag wins). Default 1. */
  sampling?: number;
  /** Export over OTLP/HTTP (JSON); needs the optional SDK peer packages. */
  otlp?: { endpoint: string; headers?: Readonly<Record<string, string>>; timeoutMs?: number };
  /** Or any SDK exporter (tests: the SDK's `InMemorySpanExporter`), sent span by span. */
  exporter?: SpanExporterLike;
  logger?: Logger;
}

/** A running tracer and what to do with it at shutdown. */
export interface Tracing {
  /** The tracer every span of this gateway is made with. */
  readonly tracer: Tracer;
  /** Sends what is still buffered. Never rejects (a receiver that is down is logged). */
  flush(): Promise<void>;
  /** Flushes, then stops the exporter. Idempotent; never rejects. */
  close(): Promise<void>;
}

const FEATURE = 'Traces (telemetry.otlp)';

/**
 * Starts a tracer provider of its own (not the global one, so two gateways in one process keep their
 * own service name and exporter): the SDK and OTLP exporter are optional peer dependencies, loaded
 * here only; a missing one is a `MissingDependencyError` naming it. No context manager is registered:
 * Conduit hands each span's context down its calls, and an AsyncLocalStorage would cost every promise
 * of the process (`ensureContextManager` installs one for code of your own that reads the active span).
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
  // Resources first: the SDK needs it too, and a missing one should be named, not fail inside the SDK.
  const resources = requireOptional<ResourcesModule>('@opentelemetry/resources', FEATURE);
  const sdk = requireOptional<SdkModule>('@opentelemetry/sdk-trace-base', FEATURE);
  const processors: SpanProcessor[] = [];
  if (options.otlp) {
    const { OTLPTraceExporter } = requireOptional<ExporterModule>(
      '@opentelemetry/exporter-trace-otlp-http',
      FEATURE,
    );
    const exporter = new OTLPTraceExporter({
      url: options.otlp.endpoint,
      // Copied: the exporter must not see later changes, and the values are never logged here.
      headers: { ...(options.otlp.headers ?? {}) },
      timeoutMillis: options.otlp.timeoutMs ?? 10_000,
    });
    processors.push(new sdk.BatchSpanProcessor(exporter));
  }
  if (options.exporter)
    processors.push(
      new sdk.SimpleSpanProcessor(
        options.exporter as unknown as import('@opentelemetry/sdk-trace-base').SpanExporter,
      ),
    );
  const ratio = options.sampling ?? 1;
  const provider = new sdk.BasicTracerProvider({
    resource: resources.resourceFromAttributes({ 'service.name': options.serviceName ?? 'conduit' }),
    sampler: new sdk.ParentBasedSampler({
      root: ratio >= 1 ? new sdk.AlwaysOnSampler() : new sdk.TraceIdRatioBasedSampler(ratio),
    }),
    spanProcessors: processors,
    // Ids from a pooled CSPRNG draw: about a third of the SDK generator's cost per id.
    idGenerator: new PooledIdGenerator(),
  });
  const logger = options.logger;
  const warn = (what: string) => (err: unknown) =>
    logger?.warn({ code: (err as { code?: unknown })?.code }, `traces: ${what} failed`);
  let closed: Promise<void> | undefined;
  return {
    tracer: provider.getTracer('conduit-mcp'),
    flush: () => provider.forceFlush().catch(warn('sending spans')),
    close() {
      closed ??= provider.shutdown().catch(warn('closing the exporter'));
      return closed;
    },
  };
}
