import type { ExportResult } from '@opentelemetry/core';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { startTracing, type Tracing } from '../../src/telemetry/index.js';

/** The SDK's in-memory exporter, telling waiters when a span of a given name is exported. */
class WatchedExporter extends InMemorySpanExporter {
  private waiters: { name: string; resolve: (s: ReadableSpan) => void }[] = [];
  override export(spans: ReadableSpan[], done: (r: ExportResult) => void): void {
    super.export(spans, done);
    for (const s of spans)
      for (const w of this.waiters.filter((x) => x.name === s.name)) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(s);
      }
  }
  /** Resolves with the first exported span of that name (already or still to come). */
  waitFor(name: string): Promise<ReadableSpan> {
    const found = this.getFinishedSpans().find((s) => s.name === name);
    if (found) return Promise.resolve(found);
    return new Promise((resolve) => this.waiters.push({ name, resolve }));
  }
}

/** A tracer whose spans land in memory (the SDK's exporter), as `startTracing` builds it for OTLP. */
export function memoryTracing(serviceName = 'conduit-test'): {
  tracing: Tracing;
  exporter: WatchedExporter;
  spans(): ReadableSpan[];
  byName(name: string): ReadableSpan[];
  one(name: string): ReadableSpan;
} {
  const exporter = new WatchedExporter();
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
