import { LruMap } from '../../core/index.js';

/**
 * Tag invalidation by version counters.
 *
 * Each tag has one counter; `invalidateTags` increments it (O(1) per tag). An entry records the counters
 * it saw when written, and a read compares them. Nothing is scanned and no per-tag key set grows.
 * Counters are ordered by Redis alone, never by a wall clock, so clock skew between machines cannot make
 * an invalidated entry look valid.
 *
 * Counters expire, so tags like `user:{id}` do not pile up in Redis. Every tagged write first "touches"
 * its counters: it creates a missing one and makes each live at least the entry's hard lifetime plus a
 * margin. Why that is safe: a counter thus outlives every entry that recorded it, so it can only expire
 * once nothing depends on it. And a counter lost any other way (eviction, a Redis restart or failover)
 * reads as a NEW version: a missing counter matches no recorded one, and it is re-created at a random
 * base (not at 0 or 1) so its new values cannot collide with those recorded before the loss. Entries
 * written under the old counter therefore become misses; none is ever resurrected.
 *
 * With Redis, a read is valid only when each counter it recorded equals the current one as read from
 * Redis. Counters are cached locally for `ttlMs` (default 1 s), and the local cache may lag: a cached
 * counter *newer* than the entry's invalidates it, an *older* one sends the read to Redis. Why caching is
 * safe: every invalidation is also pushed over the bus, so peers normally learn of it at once; the short
 * TTL only bounds the damage if a pub/sub message is lost while the subscription looked healthy. On a
 * bus gap the local counters are dropped with L1. The local cache is an LRU bounded by `maxTags`.
 */
export interface TagStore {
  /** Current counters; `undefined` for a counter that does not exist (never written, expired or lost). */
  fetch(tags: readonly string[]): Promise<(number | undefined)[]>;
  /** Counters for a write: creates missing ones and makes each live at least `ttlMs`. */
  touch(tags: readonly string[], ttlMs: number): Promise<number[]>;
  /** Increments counters (a missing one is created, living at least `ttlMs`) and returns the new values. */
  bump(tags: readonly string[], ttlMs: number): Promise<number[]>;
}

/** A counter Redis does not have: matches no recorded version. */
const MISSING = -1;

interface Known {
  version: number;
  fetchedAt: number;
}

export class TagVersions {
  private readonly known: LruMap<string, Known>;

  constructor(
    private readonly store: TagStore | undefined,
    private readonly ttlMs: number,
    /** Lifetime of a counter created by an invalidation (a write extends it as needed). */
    private readonly bumpTtlMs: number,
    maxTags = 10_000,
  ) {
    this.known = new LruMap(maxTags);
  }

  /** Tags whose counters are cached locally (bounded by `maxTags`). */
  get size(): number {
    return this.known.size;
  }

  /**
   * Sync check used by the hit path: `true` valid, `false` invalidated, `undefined` when some counter is
   * not cached fresh or lags the entry's (the caller then takes the async path).
   */
  check(tags: Record<string, number>, now: number): boolean | undefined {
    for (const tag in tags) {
      const k = this.known.get(tag);
      const recorded = tags[tag]!;
      if (!this.store) {
        // L1-only: an unknown tag was never invalidated; counters only grow.
        if (k !== undefined && k.version > recorded) return false;
        continue;
      }
      if (k === undefined || now - k.fetchedAt >= this.ttlMs) return undefined;
      if (k.version === recorded) continue;
      if (k.version === MISSING || k.version > recorded) return false;
      return undefined; // our copy is older than the writer's: ask Redis
    }
    return true;
  }

  /** Async check: asks Redis when needed. If Redis fails, the last known counters are used. */
  async validate(tags: Record<string, number>, now: number): Promise<boolean> {
    const sync = this.check(tags, now);
    if (sync !== undefined) return sync;
    const names = Object.keys(tags);
    let fresh: (number | undefined)[];
    try {
      fresh = await this.store!.fetch(names);
    } catch {
      // Redis unreadable: only a counter known to have moved on invalidates.
      for (const tag of names) {
        const k = this.known.get(tag);
        if (k !== undefined && k.version !== MISSING && k.version > tags[tag]!) return false;
      }
      return true;
    }
    let valid = true;
    names.forEach((tag, i) => {
      const v = this.learn(tag, fresh[i] ?? MISSING, now, true);
      if (v !== tags[tag]) valid = false; // read from Redis: only equality is valid
    });
    return valid;
  }

  /**
   * Counters to record on a write whose entry lives `entryTtlMs` (hard); extends their lifetime in
   * Redis past it. Never throws.
   */
  async current(tags: readonly string[], now: number, entryTtlMs: number): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    if (!this.store) {
      for (const tag of tags) out[tag] = this.known.get(tag)?.version ?? 0;
      return out;
    }
    try {
      const versions = await this.store.touch(tags, entryTtlMs + COUNTER_MARGIN_MS);
      tags.forEach((tag, i) => {
        out[tag] = this.learn(tag, versions[i] ?? MISSING, now, true);
      });
    } catch {
      // Redis unreadable: record stale knowledge, or 0. A wrong or untouched counter can only make the
      // entry look invalidated later (a miss), never resurrect stale data.
      for (const tag of tags) {
        const v = this.known.get(tag)?.version;
        out[tag] = v === undefined || v === MISSING ? 0 : v;
      }
    }
    return out;
  }

  /**
   * True when every counter still has the value a fill recorded at its start (asked of Redis; with
   * Redis unreadable, only a counter known to have moved says no).
   */
  async unchanged(recorded: Record<string, number>, now: number): Promise<boolean> {
    const names = Object.keys(recorded);
    if (!this.store) return names.every((t) => (this.known.get(t)?.version ?? 0) === recorded[t]);
    let fresh: (number | undefined)[];
    try {
      fresh = await this.store.fetch(names);
    } catch {
      return names.every((t) => {
        const k = this.known.get(t);
        return k === undefined || k.version === MISSING || k.version <= recorded[t]!;
      });
    }
    let same = true;
    names.forEach((tag, i) => {
      if (this.learn(tag, fresh[i] ?? MISSING, now, true) !== recorded[tag]) same = false;
    });
    return same;
  }

  /** Invalidates: new counters (from Redis, or local in L1-only mode). */
  async bump(tags: readonly string[], now: number): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    if (this.store) {
      const versions = await this.store.bump(tags, this.bumpTtlMs);
      tags.forEach((tag, i) => {
        out[tag] = this.learn(tag, versions[i] ?? MISSING, now, true);
      });
    } else {
      for (const tag of tags) out[tag] = this.learn(tag, (this.known.get(tag)?.version ?? 0) + 1, now, true);
    }
    return out;
  }

  /**
   * Records a counter. `authoritative` (just read from Redis) replaces what we knew; a peer's (bus) value
   * only moves the counter forwards, and an older one makes us ask Redis next time.
   */
  learn(tag: string, version: number, now: number, authoritative = false): number {
    const k = this.known.get(tag);
    if (k === undefined) {
      this.known.set(tag, { version, fetchedAt: now });
      return version;
    }
    if (authoritative || version > k.version) {
      k.version = version;
      k.fetchedAt = now;
    } else if (version < k.version) {
      k.fetchedAt = Number.NEGATIVE_INFINITY;
    }
    return k.version;
  }

  /** Forgets cached counters (after a bus gap) so the next read asks Redis. */
  forget(): void {
    if (this.store) this.known.clear();
  }
}

/** How much longer than the entries it guards a counter lives (covers the write's own latency). */
export const COUNTER_MARGIN_MS = 60_000;

/** A random base for a (re-)created counter: far from any earlier value, and safe to increment. */
export function randomCounterBase(): number {
  return 1 + Math.floor(Math.random() * 2 ** 51);
}
