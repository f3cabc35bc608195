import { LRUCache } from 'lru-cache';
import type { StoredEntry } from './envelope.js';
import { globToRegExp } from '../glob.js';
import { estimateBytes, slotOverheadBytes } from './size.js';

/** Options of the in-memory tier. */
export interface L1Options {
  /** Most entries kept (true LRU eviction past it). Default 10 000. */
  maxEntries?: number;
  /**
   * Most bytes kept, as the estimated heap size of each value plus its slot (see `size.ts`): what the
   * process holds for L1, not the JSON length. Default 64 MiB.
   */
  maxBytes?: number;
  /** Default L1 TTL; an L1 copy never outlives its L2 entry either. Default: the entry's own TTL. */
  ttlMs?: number;
}

/**
 * One L1 slot. A class (not an object literal) keeps every entry the same hidden class, which keeps
 * the hit path's property reads monomorphic.
 */
export class L1Entry implements StoredEntry {
  constructor(
    public value: unknown,
    public negative: boolean,
    public created: number,
    public softExpiresAt: number,
    public hardExpiresAt: number,
    public tags: Record<string, number> | undefined,
    /** When this L1 copy goes away (<= hardExpiresAt). */
    public l1ExpiresAt: number,
    /** Stale-if-error throttle: do not call the failing factory again before this time. */
    public failUntil = 0,
  ) {}
}

/**
 * The in-memory tier. Expiry is checked on read against the injected clock instead of lru-cache's TTL
 * timers: nothing is scheduled, so no timer can overflow past 24.8 days and a ManualClock drives it.
 */
export class L1 {
  private readonly lru: LRUCache<string, L1Entry>;
  private readonly maxBytes: number;

  constructor(options: L1Options = {}) {
    this.maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
    this.lru = new LRUCache<string, L1Entry>({ max: options.maxEntries ?? 10_000, maxSize: this.maxBytes });
  }

  /** The live entry (bumps recency), or undefined when absent or past its L1/hard expiry. */
  get(key: string, now: number): L1Entry | undefined {
    const e = this.lru.get(key);
    if (e === undefined) return undefined;
    if (now >= e.l1ExpiresAt) {
      this.lru.delete(key);
      return undefined;
    }
    return e;
  }

  /** Like get, without touching recency or deleting. */
  peek(key: string, now: number): L1Entry | undefined {
    const e = this.lru.peek(key);
    return e !== undefined && now < e.l1ExpiresAt ? e : undefined;
  }

  /**
   * Stores `entry`, sized by its estimated heap bytes; one bigger than maxBytes is skipped (and an older
   * copy of the key dropped). `CacheValueError` for a value that is not plain data.
   */
  set(key: string, entry: L1Entry): void {
    const size = estimateBytes(entry.value, this.maxBytes) + slotOverheadBytes(key);
    this.lru.set(key, entry, { size });
  }

  delete(key: string): boolean {
    return this.lru.delete(key);
  }

  /** Deletes every key matching a Redis-style glob; returns how many. */
  deletePattern(glob: string): number {
    const re = globToRegExp(glob);
    let n = 0;
    for (const key of [...this.lru.keys()]) {
      if (re.test(key) && this.lru.delete(key)) n++;
    }
    return n;
  }

  /** Deletes entries for which `pred` holds (fallback path only: walks all of L1). */
  deleteWhere(pred: (e: L1Entry) => boolean): number {
    let n = 0;
    for (const [key, e] of [...this.lru.entries()]) {
      if (pred(e) && this.lru.delete(key)) n++;
    }
    return n;
  }

  clear(): void {
    this.lru.clear();
  }

  get size(): number {
    return this.lru.size;
  }

  get bytes(): number {
    return this.lru.calculatedSize;
  }
}
