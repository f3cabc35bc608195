import type { MetricFamily, MetricSample, MetricsRegistry } from './registry.js';

type Labels<L extends string> = Partial<Record<L, string>>;

/** Options of a {@link Counter} or {@link Gauge}. */
export interface LabeledMetricOptions<L extends string> {
  name: string;
  help: string;
  labelNames?: readonly L[];
  /** Registries to register in. */
  registers: readonly MetricsRegistry[];
  /** Runs before each scrape reads the values (updates gauges, flushes buffered counts). */
  collect?: () => void;
}

interface Series {
  readonly labels: Readonly<Record<string, string>>;
  value: number;
}

const keyOf = (labels: Readonly<Record<string, string | undefined>>) => JSON.stringify(labels);

/** A metric family of label sets and their values; a family without labels has its one series at 0. */
abstract class LabeledMetric<L extends string> {
  readonly name: string;
  readonly help: string;
  abstract readonly type: 'counter' | 'gauge';
  private readonly series = new Map<string, Series>();
  private readonly collect: (() => void) | undefined;
  private readonly bare: boolean;

  constructor(o: LabeledMetricOptions<L>) {
    this.name = o.name;
    this.help = o.help;
    this.collect = o.collect;
    this.bare = (o.labelNames ?? []).length === 0;
    if (this.bare) this.series.set('{}', { labels: {}, value: 0 });
    for (const r of o.registers) r.registerMetric(this as never);
  }

  protected add(labels: Labels<L>, by: number): void {
    this.at(labels).value += by;
  }

  protected put(labels: Labels<L>, value: number): void {
    this.at(labels).value = value;
  }

  /** Drops the series of `labels`. */
  remove(labels: Labels<L>): void {
    this.series.delete(keyOf(labels));
  }

  /** Zeroes every series (a family without labels keeps its series at 0). */
  reset(): void {
    this.series.clear();
    if (this.bare) this.series.set('{}', { labels: {}, value: 0 });
  }

  get(): MetricFamily {
    this.collect?.();
    const values: MetricSample[] = [];
    for (const s of this.series.values()) values.push({ labels: s.labels, value: s.value });
    return { name: this.name, help: this.help, type: this.type, values };
  }

  private at(labels: Labels<L>): Series {
    const key = keyOf(labels);
    let s = this.series.get(key);
    if (s === undefined) {
      s = { labels: { ...(labels as Record<string, string>) }, value: 0 };
      this.series.set(key, s);
    }
    return s;
  }
}

/** A Prometheus counter: per label set, a total that only goes up. */
export class Counter<L extends string = string> extends LabeledMetric<L> {
  readonly type = 'counter';

  /** Adds `by` (default 1; 0 exports the series); negative amounts are ignored. */
  inc(labels?: Labels<L> | number, by = 1): void {
    if (typeof labels === 'number') this.incBy({}, labels);
    else this.incBy(labels ?? {}, by);
  }

  private incBy(labels: Labels<L>, by: number): void {
    if (by >= 0) this.add(labels, by);
  }
}

/** A Prometheus gauge: per label set, a value that is set. */
export class Gauge<L extends string = string> extends LabeledMetric<L> {
  readonly type = 'gauge';

  set(labels: Labels<L> | number, value?: number): void {
    if (typeof labels === 'number') this.put({}, labels);
    else this.put(labels, value ?? 0);
  }
}
