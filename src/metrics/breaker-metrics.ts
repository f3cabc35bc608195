import { Counter, Gauge } from './labeled-metrics.js';
import type { MetricsRegistry as Registry } from './registry.js';
import type { BreakerEvents, BreakerSnapshot, BreakerState } from '../resilience/index.js';

/** Gauge values of `breaker_state`. */
export const BREAKER_STATE_VALUE: Readonly<Record<BreakerState, number>> = {
  closed: 0,
  'half-open': 1,
  open: 2,
  isolated: 3,
};

/** What `trackBreaker` needs of a breaker: its state and its `stateChange` event. */
export interface BreakerLike {
  readonly state: BreakerState;
  on(event: 'stateChange', listener: (e: BreakerEvents['stateChange']) => void): () => void;
}

/** `breaker_state{upstream}` and `breaker_transitions_total{upstream,from,to}`. */
export class BreakerMetrics {
  private readonly state: Gauge<'upstream'>;
  private readonly transitions: Counter<'upstream' | 'from' | 'to'>;
  /** Per upstream, each breaker tracked and how many trackers hold it (a reload tracks a kept one again). */
  private readonly tracked = new Map<string, Map<BreakerLike, { holders: number; off: () => void }>>();
  /** Upstreams whose gauge is read from a snapshot at scrape time. */
  private readonly readers = new Map<string, () => BreakerSnapshot | undefined>();

  constructor(registry: Registry, prefix: string) {
    const readers = this.readers;
    const state = new Gauge({
      name: `${prefix}breaker_state`,
      help: 'Circuit breaker state per upstream: 0 closed, 1 half-open, 2 open, 3 isolated.',
      labelNames: ['upstream'],
      registers: [registry],
      collect() {
        for (const [upstream, read] of readers) {
          const s = read();
          if (s === undefined) state.remove({ upstream });
          else state.set({ upstream }, BREAKER_STATE_VALUE[s.state]);
        }
      },
    });
    this.state = state;
    this.transitions = new Counter({
      name: `${prefix}breaker_transitions_total`,
      help: 'Circuit breaker state changes per upstream, by from and to state.',
      labelNames: ['upstream', 'from', 'to'],
      registers: [registry],
    });
  }

  track(upstream: string, breaker: BreakerLike): () => void {
    let held = this.tracked.get(upstream);
    if (held === undefined) {
      held = new Map();
      this.tracked.set(upstream, held);
    }
    const mine = held;
    const existing = mine.get(breaker);
    // The same breaker tracked twice under one name would count each transition twice: share it.
    const entry = existing ?? {
      holders: 0,
      off: breaker.on('stateChange', (e) => {
        this.state.set({ upstream }, BREAKER_STATE_VALUE[e.to]);
        this.transitions.inc({ upstream, from: e.from, to: e.to });
      }),
    };
    entry.holders++;
    if (!existing) {
      mine.set(breaker, entry);
      this.state.set({ upstream }, BREAKER_STATE_VALUE[breaker.state]);
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (--entry.holders > 0) return;
      entry.off();
      mine.delete(breaker);
      if (mine.size === 0 && this.tracked.get(upstream) === mine) this.tracked.delete(upstream);
    };
  }

  trackSnapshot(upstream: string, read: () => BreakerSnapshot | undefined): () => void {
    this.readers.set(upstream, read);
    return () => {
      if (this.readers.get(upstream) === read) this.readers.delete(upstream);
    };
  }

  /** Removes the gauge series of an upstream nothing tracks any more (a reload removed it). */
  forget(upstream: string): void {
    if (!this.tracked.has(upstream) && !this.readers.has(upstream)) this.state.remove({ upstream });
  }
}
