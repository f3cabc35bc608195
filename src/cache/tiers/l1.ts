import type { StoredEntry } from './envelope.js';
import { globToRegExp } from '../glob.js';
import { estimateBytes, slotOverheadBytes } from './size.js';
import { SlotList } from './slot-list.js';

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
 * A copy of one L1 entry's fields, for the paths past a fresh hit (stale serving, tag checks, fills).
 * L1 itself keeps no object per entry (see `L1`); changing a copy changes nothing in L1 — use
 * `L1.markFailing` for the stale-if-error throttle.
 */
export class L1Entry implements StoredEntry {
  constructor(
    public value: unknown,
    public negative: boolean,
    /** Not kept in L1 (nothing reads it there): 0 in copies L1 hands out. */
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

/** Slots made at once for a cache whose `maxEntries` is larger; it grows by doubling up to it. */
const FIRST_CAPACITY = 1 << 16;

/**
 * The in-memory tier: a least-recently-used map whose entries are slots in typed-array columns, so
 * an entry costs its key, one Map entry and the column cells (made up front, as lru-cache makes its own
 * slot arrays), and a `set` allocates nothing. Expiry is checked on read against the injected clock:
 * nothing is scheduled, so no timer can overflow past 24.8 days and a ManualClock drives it.
 *
 * The hit path reads a slot's fields through `find` and the accessors; everything else works on
 * `L1Entry` copies.
 */
export class L1 {
  private readonly index = new Map<string, number>();
  private readonly maxEntries: number;
  private readonly maxBytes: number;
  private readonly list: SlotList;
  private keys: (string | undefined)[];
  private values: unknown[];
  private tagsOf: (Record<string, number> | undefined)[];
  private soft: Float64Array;
  private hard: Float64Array;
  private until: Float64Array;
  private sizes: Float64Array;
  private negative: Uint8Array;
  /** Slot -> stale-if-error throttle end; sparse (only entries whose refresh failed). */
  private readonly failing = new Map<number, number>();
  private total = 0;

  constructor(options: L1Options = {}) {
    this.maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
    this.maxEntries = Math.max(1, Math.floor(options.maxEntries ?? 10_000));
    const cap = Math.min(this.maxEntries, FIRST_CAPACITY);
    this.list = new SlotList(cap);
    this.keys = new Array<string | undefined>(cap).fill(undefined);
    this.values = new Array<unknown>(cap).fill(undefined);
    this.tagsOf = new Array<Record<string, number> | undefined>(cap).fill(undefined);
    this.soft = new Float64Array(cap);
    this.hard = new Float64Array(cap);
    this.until = new Float64Array(cap);
    this.sizes = new Float64Array(cap);
    this.negative = new Uint8Array(cap);
  }

  // ---- the hit path -------------------------------------------------------------------------------

  /** The slot of the live entry of `key` (bumps recency), or -1 when absent or past its L1 expiry. */
  find(key: string, now: number): number {
    const i = this.index.get(key);
    if (i === undefined) return -1;
    if (now >= this.until[i]!) {
      this.remove(key, i);
      return -1;
    }
    this.list.touch(i);
    return i;
  }

  /** Fields of a slot `find` returned; valid until L1 is next changed. */
  valueAt(i: number): unknown {
    return this.values[i];
  }

  isNegative(i: number): boolean {
    return this.negative[i] === 1;
  }

  softAt(i: number): number {
    return this.soft[i]!;
  }

  tagsAt(i: number): Record<string, number> | undefined {
    return this.tagsOf[i];
  }

  /** A copy of slot `i`'s entry. */
  entryAt(i: number): L1Entry {
    return new L1Entry(
      this.values[i],
      this.negative[i] === 1,
      0,
      this.soft[i]!,
      this.hard[i]!,
      this.tagsOf[i],
      this.until[i]!,
      this.failing.size === 0 ? 0 : (this.failing.get(i) ?? 0),
    );
  }

  // ---- copies -------------------------------------------------------------------------------------

  /** A copy of the live entry (bumps recency), or undefined when absent or past its L1/hard expiry. */
  get(key: string, now: number): L1Entry | undefined {
    const i = this.find(key, now);
    return i < 0 ? undefined : this.entryAt(i);
  }

  /** Like get, without touching recency or deleting. */
  peek(key: string, now: number): L1Entry | undefined {
    const i = this.index.get(key);
    return i !== undefined && now < this.until[i]! ? this.entryAt(i) : undefined;
  }

  // ---- writes -------------------------------------------------------------------------------------

  /** Stores a copy of `entry` (its throttle included); see `put`. */
  set(key: string, entry: L1Entry): void {
    const i = this.put(
      key,
      entry.value,
      entry.negative,
      entry.softExpiresAt,
      entry.hardExpiresAt,
      entry.tags,
      entry.l1ExpiresAt,
    );
    if (i >= 0 && entry.failUntil !== 0) this.failing.set(i, entry.failUntil);
  }

  /**
   * Stores an entry, sized by its estimated heap bytes; one bigger than maxBytes is skipped (and an
   * older copy of the key dropped). `CacheValueError` for a value that is not plain data (L1 is then
   * unchanged). Returns the slot, or -1 when skipped.
   */
  put(
    key: string,
    value: unknown,
    negative: boolean,
    softExpiresAt: number,
    hardExpiresAt: number,
    tags: Record<string, number> | undefined,
    l1ExpiresAt: number,
  ): number {
    const size = estimateBytes(value, this.maxBytes) + slotOverheadBytes(key);
    let i = this.index.get(key);
    if (size > this.maxBytes) {
      if (i !== undefined) this.remove(key, i);
      return -1;
    }
    if (i === undefined) {
      if (this.index.size >= this.maxEntries) this.evictTail();
      i = this.slot();
      this.index.set(key, i);
      this.keys[i] = key;
      this.list.addHead(i);
    } else {
      this.total -= this.sizes[i]!;
      if (this.failing.size !== 0) this.failing.delete(i);
      this.list.touch(i);
    }
    this.values[i] = value;
    this.negative[i] = negative ? 1 : 0;
    this.soft[i] = softExpiresAt;
    this.hard[i] = hardExpiresAt;
    this.until[i] = l1ExpiresAt;
    this.tagsOf[i] = tags;
    this.sizes[i] = size;
    this.total += size;
    while (this.total > this.maxBytes && this.list.tail !== i) this.evictTail();
    return i;
  }

  /**
   * Sets the stale-if-error throttle on the entry L1 holds for `key` when it is still the one `e` was
   * copied from; false when L1 holds another entry (or none).
   */
  markFailing(key: string, e: StoredEntry, failUntil: number): boolean {
    const i = this.index.get(key);
    if (
      i === undefined ||
      this.values[i] !== e.value ||
      this.soft[i] !== e.softExpiresAt ||
      this.hard[i] !== e.hardExpiresAt ||
      (this.negative[i] === 1) !== e.negative
    )
      return false;
    this.failing.set(i, failUntil);
    return true;
  }

  delete(key: string): boolean {
    const i = this.index.get(key);
    if (i === undefined) return false;
    this.remove(key, i);
    return true;
  }

  /** Deletes every key matching a Redis-style glob; returns how many. */
  deletePattern(glob: string): number {
    const re = globToRegExp(glob);
    let n = 0;
    // Deleting the entry being visited is safe in a Map iteration.
    for (const [key, i] of this.index) {
      if (re.test(key)) {
        this.remove(key, i);
        n++;
      }
    }
    return n;
  }

  /** Deletes entries for which `pred` holds (fallback path only: walks all of L1). */
  deleteWhere(pred: (e: L1Entry) => boolean): number {
    let n = 0;
    for (const [key, i] of this.index) {
      if (pred(this.entryAt(i))) {
        this.remove(key, i);
        n++;
      }
    }
    return n;
  }

  clear(): void {
    this.index.clear();
    this.failing.clear();
    this.keys.fill(undefined);
    this.values.fill(undefined);
    this.tagsOf.fill(undefined);
    this.list.reset();
    this.total = 0;
  }

  get size(): number {
    return this.index.size;
  }

  get bytes(): number {
    return this.total;
  }

  // ---- slots --------------------------------------------------------------------------------------

  private remove(key: string, i: number): void {
    this.index.delete(key);
    this.keys[i] = undefined;
    this.values[i] = undefined;
    this.tagsOf[i] = undefined;
    this.total -= this.sizes[i]!;
    this.sizes[i] = 0;
    if (this.failing.size !== 0) this.failing.delete(i);
    this.list.give(i);
  }

  private evictTail(): void {
    const i = this.list.tail;
    if (i >= 0) this.remove(this.keys[i]!, i);
  }

  /** A free slot, growing the columns (doubling, up to maxEntries) when all are in use. */
  private slot(): number {
    let i = this.list.take();
    if (i < 0) {
      this.grow(Math.min(this.maxEntries, this.list.capacity * 2));
      i = this.list.take();
    }
    return i;
  }

  private grow(cap: number): void {
    const old = this.list.capacity;
    this.list.grow(cap);
    for (const a of [this.keys, this.values, this.tagsOf]) {
      a.length = cap;
      a.fill(undefined, old);
    }
    this.soft = grownF64(this.soft, cap);
    this.hard = grownF64(this.hard, cap);
    this.until = grownF64(this.until, cap);
    this.sizes = grownF64(this.sizes, cap);
    const neg = new Uint8Array(cap);
    neg.set(this.negative);
    this.negative = neg;
  }
}

function grownF64(a: Float64Array, cap: number): Float64Array {
  const b = new Float64Array(cap);
  b.set(a);
  return b;
}
