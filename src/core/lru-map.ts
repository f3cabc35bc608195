interface Slot<V> {
  value: V;
  /** Read or rewritten since the eviction hand last passed it. */
  used: boolean;
}

/**
 * A Map bounded to `max` entries that drops a least recently used one when full. Recency is kept the
 * CLOCK way (second chance): a read only marks its entry used, so the hot path is one Map lookup and
 * one field write; eviction walks from the oldest insertion, moving used entries to the back (and
 * clearing the mark) until it meets an unused one. Small on purpose: token, tag and quota lookups need
 * get/set/delete/clear/size, and holders of per-caller resources an eviction hook and `values()`.
 */
export class LruMap<K, V> {
  private readonly map = new Map<K, Slot<V>>();

  /**
   * `onEvict` is told of each entry dropped to make room (not of `delete` or `clear`), so an owner
   * can release what the value holds.
   */
  constructor(
    private readonly max: number,
    private readonly onEvict?: (value: V, key: K) => void,
  ) {
    if (!Number.isInteger(max) || max < 1)
      throw new RangeError(`LruMap max must be a positive integer, got ${max}`);
  }

  /** The value for `key`, marked recently used; `undefined` when absent. */
  get(key: K): V | undefined {
    const slot = this.map.get(key);
    if (slot === undefined) return undefined;
    slot.used = true;
    return slot.value;
  }

  /** Stores `value` as a recently used entry, dropping a least recently used one past `max`. */
  set(key: K, value: V): this {
    const slot = this.map.get(key);
    if (slot !== undefined) {
      slot.value = value;
      slot.used = true;
      return this;
    }
    this.map.set(key, { value, used: false });
    if (this.map.size > this.max) this.evictOne();
    return this;
  }

  delete(key: K): boolean {
    return this.map.delete(key);
  }

  clear(): void {
    this.map.clear();
  }

  get size(): number {
    return this.map.size;
  }

  /** Every value, oldest insertion first; reading them does not change their recency. */
  *values(): IterableIterator<V> {
    for (const slot of this.map.values()) yield slot.value;
  }

  /** Drops the oldest entry not used since the hand last passed; used ones get a second chance. */
  private evictOne(): void {
    const map = this.map;
    for (;;) {
      const [key, slot] = map.entries().next().value as [K, Slot<V>];
      map.delete(key);
      if (!slot.used) {
        this.onEvict?.(slot.value, key);
        return;
      }
      slot.used = false;
      map.set(key, slot);
    }
  }
}
