import { Counter } from './labeled-metrics.js';
import type { MetricsRegistry as Registry } from './registry.js';

/** Why spans were dropped before export (the telemetry exporter's reasons). */
export type SpanDropMetricReason = 'queue_full' | 'export_failed';

const REASONS: readonly SpanDropMetricReason[] = ['queue_full', 'export_failed'];

/** `trace_spans_dropped_total{reason}`: spans that will never reach the OTLP receiver. */
export class TraceMetrics {
  private readonly dropped: Counter<'reason'>;

  constructor(
    registry: Registry,
    prefix: string,
    private readonly isOpen: () => boolean,
  ) {
    this.dropped = new Counter({
      name: `${prefix}trace_spans_dropped_total`,
      help: 'Spans never sent to the OTLP receiver, by reason: queue_full (more waited than the queue holds), export_failed (their batch failed for good).',
      labelNames: ['reason'],
      registers: [registry],
    });
    // Both reasons are exported from the start: an alert on a rate is never "no data".
    for (const reason of REASONS) this.dropped.inc({ reason }, 0);
  }

  record(count: number, reason: SpanDropMetricReason): void {
    if (this.isOpen() && count > 0)
      this.dropped.inc({ reason: REASONS.includes(reason) ? reason : 'export_failed' }, count);
  }
}
