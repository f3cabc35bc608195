/** One sample of a metric family: `metricName` (default the family's name), its labels and value. */
export interface MetricSample {
  readonly labels?: Readonly<Partial<Record<string, string | number>>>;
  readonly value: number;
  readonly metricName?: string;
}

/** What a metric family reports at scrape time (the shape prom-client's `get()` returns too). */
export interface MetricFamily {
  readonly name: string;
  readonly help: string;
  readonly type: string;
  readonly values: readonly MetricSample[];
}

/**
 * A metric a registry holds: its name, and `get()` for its samples (a prom-client metric is one, so
 * prom-client's own collectors register here, and Conduit's metrics register in a prom-client registry).
 */
export interface RegistrableMetric {
  readonly name: string;
  get(): Promise<MetricFamily> | MetricFamily;
  reset?(): void;
}

/**
 * Where Conduit registers its metrics: a {@link MetricRegistry} (the default) or a prom-client
 * `Registry`, which has the same methods.
 */
export interface MetricsRegistry {
  /** Content type of `metrics()`'s text. */
  readonly contentType: string;
  /** Takes a {@link RegistrableMetric} (typed `never` so prom-client's stricter signature fits). */
  registerMetric(metric: never): void;
  getMetricsAsArray(): readonly { readonly name: string }[];
  removeSingleMetric(name: string): void;
  /** The text exposition of every metric. */
  metrics(): Promise<string>;
}

/** Prometheus text format 0.0.4. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

const escapeText = (s: string) => s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
const escapeLabel = (s: string) => escapeText(s).replace(/"/g, '\\"');

function valueText(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(v);
}

/** One family in the text format: HELP, TYPE, then a line per sample. */
export function familyText(f: MetricFamily): string {
  const name = escapeText(f.name);
  const lines = [`# HELP ${name} ${escapeText(f.help)}`, `# TYPE ${name} ${f.type}`];
  for (const s of f.values) {
    let labels = '';
    if (s.labels !== undefined) {
      const parts: string[] = [];
      for (const k in s.labels) parts.push(`${k}="${escapeLabel(String(s.labels[k]))}"`);
      if (parts.length > 0) labels = `{${parts.join(',')}}`;
    }
    lines.push(`${s.metricName ?? name}${labels} ${valueText(s.value)}`);
  }
  return lines.join('\n');
}

/**
 * A registry of metric families, exposed in the Prometheus text format. Names are unique: registering
 * another metric under a taken name throws.
 */
export class MetricRegistry implements MetricsRegistry {
  readonly contentType = PROMETHEUS_CONTENT_TYPE;
  private readonly byName = new Map<string, RegistrableMetric>();

  registerMetric(metric: RegistrableMetric): void {
    const held = this.byName.get(metric.name);
    if (held !== undefined && held !== metric)
      throw new Error(`A metric with the name ${metric.name} has already been registered.`);
    this.byName.set(metric.name, metric);
  }

  getMetricsAsArray(): RegistrableMetric[] {
    return [...this.byName.values()];
  }

  getSingleMetric(name: string): RegistrableMetric | undefined {
    return this.byName.get(name);
  }

  removeSingleMetric(name: string): void {
    this.byName.delete(name);
  }

  /** Zeroes every metric that can be reset. */
  resetMetrics(): void {
    for (const m of this.byName.values()) m.reset?.();
  }

  /** Every family's samples, collected now. */
  async getMetricsAsJSON(): Promise<MetricFamily[]> {
    return Promise.all([...this.byName.values()].map((m) => m.get()));
  }

  async metrics(): Promise<string> {
    const families = await Promise.all(
      [...this.byName.values()].map((m) => {
        // prom-client's histograms give the text format its own view (exemplars aside, the same).
        const forText = (m as { getForPromString?: () => Promise<MetricFamily> }).getForPromString;
        return forText ? forText.call(m) : m.get();
      }),
    );
    return `${families.map(familyText).join('\n\n')}\n`;
  }
}
