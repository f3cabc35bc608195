import { Counter } from './labeled-metrics.js';
import type { MetricsRegistry as Registry } from './registry.js';

/** How a config reload ended (`ReloadOutcome` of the gateway). */
export type ReloadMetricOutcome = 'applied' | 'unchanged' | 'invalid' | 'refused' | 'failed';

const OUTCOMES: ReadonlySet<string> = new Set(['applied', 'unchanged', 'invalid', 'refused', 'failed']);

/** `config_reloads_total{outcome}`. */
export class ReloadMetrics {
  private readonly reloads: Counter<'outcome'>;

  constructor(
    registry: Registry,
    prefix: string,
    private readonly isOpen: () => boolean,
  ) {
    this.reloads = new Counter({
      name: `${prefix}config_reloads_total`,
      help: 'Config reloads (SIGHUP or file watch) by outcome: applied, unchanged, invalid, refused (a restart-only key changed), failed.',
      labelNames: ['outcome'],
      registers: [registry],
    });
    // Every outcome is exported from the start, so a rate over a refused reload is never "no data".
    for (const outcome of OUTCOMES) this.reloads.inc({ outcome }, 0);
  }

  record(outcome: ReloadMetricOutcome): void {
    if (this.isOpen()) this.reloads.inc({ outcome: OUTCOMES.has(outcome) ? outcome : 'failed' });
  }
}
