import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { startTracing, type Tracing } from '../../src/telemetry/index.js';

/** A tracer whose spans land in memory (the SDK's exporter), as `startTracing` builds it for OTLP. */
export function memoryTracing(serviceName = 'conduit-test'): {
  tracing: Tracing;
  exporter: InMemorySpanExporter;
  spans(): ReadableSpan[];
  byName(name: string): ReadableSpan[];
  one(name: string): ReadableSpan;
} {
  const exporter = new InMemorySpanExporter();
  const tracing = startTracing({ serviceName, exporter });
  const spans = () => exporter.getFinishedSpans();
  const byName = (name: string) => spans().filter((s) => s.name === name);
  return {
    tracing,
    exporter,
    spans,
    byName,
    one(name) {
      const found = byName(name);
      if (found.length !== 1)
        throw new Error(`expected one span "${name}", found ${found.length}: ${spans().map((s) => s.name)}`);
      return found[0]!;
    },
  };
}

/** The span id of a span's parent (undefined for a root). */
export const parentOf = (s: ReadableSpan) => s.parentSpanContext?.spanId;
export const idOf = (s: ReadableSpan) => s.spanContext().spanId;
