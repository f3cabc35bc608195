/**
 * A Map bounded to `max` entries that drops the least recently used one when full. Recency is the
 * Map's insertion order: a read moves the entry to the back (delete + set), the front is the oldest.
 * Small on purpose: token, tag and quota lookups need get/set/delete/clear/size and nothing more.
 */
export class LruMap<K, V> {
  private readonly map = new Map<K, V>();

  constructor(private readonly max: number) {
    if (!Number.isInteger(max) || max < 1)
      throw new RangeError(`LruMap max must be a positive integer, got ${max}`);
  }

  /** The value for `key`, now the most recently used; `undefined` when absent. */
  get(key: K): V | undefined {
    const map = this.map;
    const value = map.get(key);
    if (value === undefined) return undefined;
    map.delete(key);
    map.set(key, value);
    return value;
  }

  /** Stores `value` as the most recently used entry, dropping the least recently used past `max`. */
  set(key: K, value: V): this {
    const map = this.map;
    map.delete(key);
    map.set(key, value);
    if (map.size > this.max) map.delete(map.keys().next().value as K);
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
}
