/**
 * Tells a read or fill whether the key was invalidated (or written) since it began, so that what it
 * brings back is not stored in L1: it may carry the value that was just replaced (read from L2 before
 * the change, delivered after it). A ticket is the change sequence at the start; a change bumps the
 * sequence and stamps the keys it touched, only while some read of them is open (nothing is kept for
 * keys nobody reads).
 */
export class ReadGuard {
  private seq = 0;
  /** Sequence of the last change that touched every key. */
  private allAt = 0;
  /** Open reads per key, and the sequence of the last change of that key while they were open. */
  private readonly open = new Map<string, { n: number; at: number }>();

  /** Opens a read of `key`; pass the ticket to `end`/`clean`. */
  begin(key: string): number {
    const r = this.open.get(key);
    if (r === undefined) this.open.set(key, { n: 1, at: 0 });
    else r.n++;
    return this.seq;
  }

  /** True when nothing touched `key` since the read with `ticket` began. */
  clean(key: string, ticket: number): boolean {
    if (this.allAt > ticket) return false;
    const r = this.open.get(key);
    return r === undefined || r.at <= ticket;
  }

  /** Ends a read; true when nothing touched the key meanwhile. */
  end(key: string, ticket: number): boolean {
    const clean = this.clean(key, ticket);
    const r = this.open.get(key);
    if (r !== undefined && --r.n === 0) this.open.delete(key);
    return clean;
  }

  dirty(key: string): void {
    const r = this.open.get(key);
    if (r !== undefined) r.at = ++this.seq;
  }

  /** Marks the open reads of keys that satisfy `pred` (a pattern invalidation). */
  dirtyWhere(pred: (key: string) => boolean): void {
    for (const [key, r] of this.open) if (pred(key)) r.at = ++this.seq;
  }

  dirtyAll(): void {
    if (this.open.size > 0) this.allAt = ++this.seq;
  }
}
