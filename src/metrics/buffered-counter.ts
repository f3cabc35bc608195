import { Counter } from './labeled-metrics.js';
import type { MetricsRegistry as Registry } from './registry.js';

/**
 * One label set of a counter. The hot path adds to a plain number; the sum reaches prom-client when the
 * registry is scraped, so a call pays no label hashing for its counters.
 */
export class CounterSlot {
  pending = 0;

  constructor(readonly labels: Readonly<Record<string, string>>) {}

  inc(by = 1): void {
    this.pending += by;
  }
}

/** A prom-client counter fed from slots; `flush()` runs from the counter's collect callback. */
export class BufferedCounter {
  private readonly slots: CounterSlot[] = [];
  counter: Counter<string> | undefined;

  /** Registers the prom-client counter this one feeds; it flushes the slots whenever it is collected. */
  register(registry: Registry, series: { name: string; help: string; labelNames: readonly string[] }): void {
    this.counter = new Counter({
      name: series.name,
      help: series.help,
      labelNames: series.labelNames,
      registers: [registry],
      collect: () => this.flush(),
    });
  }

  /** A new slot; the series is exported at 0 right away, so `rate()` sees its first increment. */
  slot(labels: Readonly<Record<string, string>>): CounterSlot {
    const s = new CounterSlot(labels);
    this.slots.push(s);
    this.counter?.inc(labels as Record<string, string>, 0);
    return s;
  }

  flush(): void {
    const counter = this.counter;
    if (counter === undefined) return;
    for (const s of this.slots) {
      if (s.pending > 0) {
        const n = s.pending;
        s.pending = 0;
        counter.inc(s.labels as Record<string, string>, n);
      }
    }
  }
}
