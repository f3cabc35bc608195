/**
 * Tag invalidation by version counters.
 *
 * Each tag has one counter; `invalidateTags` INCRs it (O(1) per tag). An entry records the counters it
 * saw when written, and a read compares them: any counter moved on means the entry is invalid. Nothing is
 * scanned and no per-tag key set grows. Counters are ordered by Redis alone, never by a wall clock, so
 * clock skew between machines cannot make an invalidated entry look valid.
 *
 * Versions are cached locally for `ttlMs` (default 1 s). Why that is safe: every invalidation is also
 * pushed over the bus with the new counters, so peers normally learn of it at once; the short TTL only
 * bounds the damage if a pub/sub message is lost while the subscription looked healthy, and it spares a
 * Redis round-trip on every tagged read. On a bus gap the whole cache is dropped with L1. A reader whose
 * cached counter is *older* than an entry's treats the entry as valid (the writer simply saw a newer
 * version first); only a newer counter invalidates.
 */
export interface TagStore {
  /** Current counters; missing counters read as 0. */
  fetch(tags: readonly string[]): Promise<number[]>;
  /** Increments counters and returns the new values. */
  bump(tags: readonly string[]): Promise<number[]>;
}

export class TagVersions {
  private readonly known = new Map<string, { version: number; fetchedAt: number }>();

  constructor(
    private readonly store: TagStore | undefined,
    private readonly ttlMs: number,
  ) {}

  /**
   * Sync check used by the hit path: `true` valid, `false` invalidated, `undefined` when some counter is
   * not cached fresh (the caller then takes the async path).
   */
  check(tags: Record<string, number>, now: number): boolean | undefined {
    for (const tag in tags) {
      const k = this.known.get(tag);
      if (k === undefined) {
        if (!this.store) continue; // L1-only: an unknown tag was never invalidated
        return undefined;
      }
      if (this.store && now - k.fetchedAt >= this.ttlMs) return undefined;
      if (k.version > tags[tag]!) return false;
    }
    return true;
  }

  /** Async check: refreshes stale counters first. If Redis fails, the last known counters are used. */
  async validate(tags: Record<string, number>, now: number): Promise<boolean> {
    const sync = this.check(tags, now);
    if (sync !== undefined) return sync;
    await this.current(Object.keys(tags), now).catch(() => undefined);
    for (const tag in tags) {
      const k = this.known.get(tag);
      if (k !== undefined && k.version > tags[tag]!) return false;
    }
    return true;
  }

  /** Counters to record on a write. Never throws. */
  async current(tags: readonly string[], now: number): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    const missing: string[] = [];
    for (const tag of tags) {
      const k = this.known.get(tag);
      if (k !== undefined && (!this.store || now - k.fetchedAt < this.ttlMs)) out[tag] = k.version;
      else if (!this.store) out[tag] = 0;
      else missing.push(tag);
    }
    if (missing.length > 0 && this.store) {
      try {
        const versions = await this.store.fetch(missing);
        missing.forEach((tag, i) => {
          out[tag] = this.learn(tag, versions[i] ?? 0, now);
        });
      } catch {
        // Redis unreadable: use stale knowledge, or 0 for a counter never seen. Recording a too-low
        // counter can only make the entry look invalidated later (a miss), never resurrect stale data.
        for (const tag of missing) out[tag] = this.known.get(tag)?.version ?? 0;
      }
    }
    return out;
  }

  /** Invalidates: new counters (from Redis, or local in L1-only mode). */
  async bump(tags: readonly string[], now: number): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    if (this.store) {
      const versions = await this.store.bump(tags);
      tags.forEach((tag, i) => {
        out[tag] = this.learn(tag, versions[i] ?? 0, now);
      });
    } else {
      for (const tag of tags) out[tag] = this.learn(tag, (this.known.get(tag)?.version ?? 0) + 1, now);
    }
    return out;
  }

  /** Records counters heard from a peer (bus); never moves a counter backwards. */
  learn(tag: string, version: number, now: number): number {
    const k = this.known.get(tag);
    const v = k && k.version > version ? k.version : version;
    if (k) {
      k.version = v;
      k.fetchedAt = now;
    } else {
      this.known.set(tag, { version: v, fetchedAt: now });
    }
    return v;
  }

  /** Forgets cached counters (after a bus gap) so the next read asks Redis. */
  forget(): void {
    if (this.store) this.known.clear();
  }
}
