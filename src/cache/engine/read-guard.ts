/** One key's L2 reads in progress. */
export interface OpenRead {
  dirty: boolean;
  n: number;
}

/**
 * L2 reads in progress per key. An invalidation or write that lands while a read is in flight marks it
 * dirty, and a dirty read does not back-fill L1: it may carry the value that was just replaced (read
 * from L2 before the change, delivered after it).
 */
export class ReadGuard {
  private readonly reading = new Map<string, OpenRead>();

  begin(key: string): OpenRead {
    let r = this.reading.get(key);
    if (r === undefined) {
      r = { dirty: false, n: 0 };
      this.reading.set(key, r);
    }
    r.n++;
    return r;
  }

  /** Ends a read; true when nothing touched the key meanwhile. */
  end(key: string, r: OpenRead): boolean {
    if (--r.n === 0) this.reading.delete(key);
    return !r.dirty;
  }

  dirty(key: string): void {
    const r = this.reading.get(key);
    if (r !== undefined) r.dirty = true;
  }

  dirtyAll(): void {
    for (const r of this.reading.values()) r.dirty = true;
  }
}
