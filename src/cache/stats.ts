/**
 * Counters, defined so they add up:
 * - every lookup (`get`, `getOrSet`) counts once: `lookups = l1.hits + l1.misses`;
 * - every L1 miss goes to L2 when there is one: `l1.misses = l2.hits + l2.misses` (an L2 call that fails
 *   or is skipped by the open breaker is an L2 miss and also an `l2.errors`/`l2.skipped`);
 * - `hits = l1.hits + l2.hits`, `misses = l2.misses` (or `l1.misses` without L2),
 *   `hitRate = hits / lookups`, `l1.hitRate = l1.hits / lookups`, `l2.hitRate = l2.hits / l1.misses`.
 * Stale values served (SWR or stale-if-error) are counted in `staleServed` on top of the above.
 */
export interface CacheStats {
  lookups: number;
  hits: number;
  misses: number;
  hitRate: number;
  l1: { hits: number; misses: number; hitRate: number; entries: number; bytes: number };
  l2: { hits: number; misses: number; hitRate: number; errors: number; skipped: number; state: L2State };
  staleServed: number;
  factoryCalls: number;
  factoryErrors: number;
  sets: number;
  deletes: number;
  bus: { published: number; received: number; gaps: number };
}

/** `up` normal; `down` breaker open (L2 skipped); `disabled` no L2 configured. */
export type L2State = 'up' | 'down' | 'disabled';

export class Counters {
  l1Hits = 0;
  l1Misses = 0;
  l2Hits = 0;
  l2Misses = 0;
  l2Errors = 0;
  l2Skipped = 0;
  staleServed = 0;
  factoryCalls = 0;
  factoryErrors = 0;
  sets = 0;
  deletes = 0;
  busPublished = 0;
  busReceived = 0;
  busGaps = 0;

  snapshot(hasL2: boolean, l2State: L2State, entries: number, bytes: number): CacheStats {
    const lookups = this.l1Hits + this.l1Misses;
    const hits = this.l1Hits + this.l2Hits;
    const rate = (a: number, b: number) => (b === 0 ? 0 : a / b);
    return {
      lookups,
      hits,
      misses: hasL2 ? this.l2Misses : this.l1Misses,
      hitRate: rate(hits, lookups),
      l1: { hits: this.l1Hits, misses: this.l1Misses, hitRate: rate(this.l1Hits, lookups), entries, bytes },
      l2: {
        hits: this.l2Hits,
        misses: this.l2Misses,
        hitRate: rate(this.l2Hits, this.l1Misses),
        errors: this.l2Errors,
        skipped: this.l2Skipped,
        state: l2State,
      },
      staleServed: this.staleServed,
      factoryCalls: this.factoryCalls,
      factoryErrors: this.factoryErrors,
      sets: this.sets,
      deletes: this.deletes,
      bus: { published: this.busPublished, received: this.busReceived, gaps: this.busGaps },
    };
  }
}
