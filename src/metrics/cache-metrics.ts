import { Counter, Gauge } from './labeled-metrics.js';
import type { MetricsRegistry as Registry } from './registry.js';
import type { CacheStats } from '../cache/index.js';

/** What `trackCache` needs of a cache: `stats()` (the tiered cache of `conduit-mcp/cache` has it). */
export interface CacheStatsSource {
  stats(): CacheStats;
}

interface Tracked {
  readonly cache: CacheStatsSource;
  last: CacheStats | undefined;
}

type CounterName =
  | 'hits'
  | 'misses'
  | 'stale'
  | 'factoryCalls'
  | 'factoryErrors'
  | 'l2Errors'
  | 'l2Skipped'
  | 'bus'
  | 'busGaps';

/**
 * Cache counters read from `stats()` at scrape time: the cache's hit path pays nothing for metrics.
 * Each scrape adds what changed since the last one, so counters stay monotonic when a cache is
 * untracked (its last figures stay in the totals) and sum over several tracked caches.
 */
export class CacheMetrics {
  private readonly tracked = new Map<CacheStatsSource, Tracked>();
  private readonly c: Record<CounterName, Counter<string>>;
  private readonly entries: Gauge;
  private readonly bytes: Gauge;
  private readonly l2State: Gauge<'state'>;

  constructor(registry: Registry, prefix: string) {
    const collect = () => this.refresh();
    const counter = (name: string, help: string, labelNames: string[] = []) =>
      new Counter({ name: `${prefix}${name}`, help, labelNames, registers: [registry], collect });
    const gauge = (name: string, help: string, labelNames: string[] = []) =>
      new Gauge({ name: `${prefix}${name}`, help, labelNames, registers: [registry], collect });
    this.c = {
      hits: counter('cache_hits_total', 'Cache lookups answered by a tier (l1, l2).', ['tier']),
      misses: counter(
        'cache_misses_total',
        'Cache lookups a tier could not answer (an l1 miss goes on to l2 when there is one).',
        ['tier'],
      ),
      stale: counter(
        'cache_stale_served_total',
        'Stale values served (stale-while-revalidate, stale-if-error).',
      ),
      factoryCalls: counter(
        'cache_factory_calls_total',
        'Loads of a missing value (upstream calls via the cache).',
      ),
      factoryErrors: counter('cache_factory_errors_total', 'Loads that failed.'),
      l2Errors: counter('cache_l2_errors_total', 'Redis (L2) operations that failed.'),
      l2Skipped: counter('cache_l2_skipped_total', 'L2 lookups skipped while the Redis breaker was open.'),
      bus: counter(
        'cache_bus_messages_total',
        'Invalidation bus messages, by direction (published, received).',
        ['direction'],
      ),
      busGaps: counter('cache_bus_gaps_total', 'Times the invalidation bus was down (L1 flushed on return).'),
    };
    this.entries = gauge('cache_l1_entries', 'Entries in the in-memory cache (L1).');
    this.bytes = gauge('cache_l1_bytes', 'Approximate bytes held by the in-memory cache (L1).');
    this.l2State = gauge(
      'cache_l2_state',
      'Tracked caches by L2 state: up (Redis in use), down (its breaker skips Redis), disabled (no L2).',
      ['state'],
    ) as Gauge<'state'>;
  }

  track(cache: CacheStatsSource): () => void {
    // Tracked twice, a cache would be counted twice: the first tracking governs.
    if (this.tracked.has(cache)) return () => {};
    const t: Tracked = { cache, last: undefined };
    // The baseline: counts from before tracking are reported too (the cache is usually new).
    this.tracked.set(cache, t);
    this.c.hits.inc({ tier: 'l1' }, 0);
    this.c.misses.inc({ tier: 'l1' }, 0);
    return () => {
      if (this.tracked.get(cache) !== t) return;
      this.apply(t);
      this.tracked.delete(cache);
    };
  }

  /** Adds each tracked cache's change since the last read; sets the gauges. */
  refresh(): void {
    let entries = 0;
    let bytes = 0;
    let up = 0;
    let down = 0;
    let disabled = 0;
    for (const t of this.tracked.values()) {
      const s = this.apply(t);
      if (s === undefined) continue;
      entries += s.l1.entries;
      bytes += s.l1.bytes;
      if (s.l2.state === 'up') up++;
      else if (s.l2.state === 'down') down++;
      else disabled++;
    }
    this.entries.set(entries);
    this.bytes.set(bytes);
    this.l2State.set({ state: 'up' }, up);
    this.l2State.set({ state: 'down' }, down);
    this.l2State.set({ state: 'disabled' }, disabled);
  }

  private apply(t: Tracked): CacheStats | undefined {
    let s: CacheStats;
    try {
      s = t.cache.stats();
    } catch {
      return t.last; // a closed or broken cache keeps its last figures
    }
    const p = t.last;
    const d = (now: number, before: number | undefined) => Math.max(0, now - (before ?? 0));
    const inc = (c: Counter<string>, v: number, labels?: Record<string, string>) => {
      if (v <= 0) return;
      if (labels) c.inc(labels, v);
      else c.inc(v);
    };
    const { c } = this;
    inc(c.hits, d(s.l1.hits, p?.l1.hits), { tier: 'l1' });
    inc(c.misses, d(s.l1.misses, p?.l1.misses), { tier: 'l1' });
    if (s.l2.state !== 'disabled' || s.l2.hits + s.l2.misses > 0) {
      inc(c.hits, d(s.l2.hits, p?.l2.hits), { tier: 'l2' });
      inc(c.misses, d(s.l2.misses, p?.l2.misses), { tier: 'l2' });
    }
    inc(c.stale, d(s.staleServed, p?.staleServed));
    inc(c.factoryCalls, d(s.factoryCalls, p?.factoryCalls));
    inc(c.factoryErrors, d(s.factoryErrors, p?.factoryErrors));
    inc(c.l2Errors, d(s.l2.errors, p?.l2.errors));
    inc(c.l2Skipped, d(s.l2.skipped, p?.l2.skipped));
    inc(c.bus, d(s.bus.published, p?.bus.published), { direction: 'published' });
    inc(c.bus, d(s.bus.received, p?.bus.received), { direction: 'received' });
    inc(c.busGaps, d(s.bus.gaps, p?.bus.gaps));
    t.last = s;
    return s;
  }
}
