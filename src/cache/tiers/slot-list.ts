/**
 * The recency order of L1's slots: a doubly linked list over slot numbers held in typed arrays, and
 * the stack of free slots. No object per entry: a slot is an index into L1's columns.
 */
export class SlotList {
  /** Towards the least recent; -1 at the tail. */
  private next: Int32Array;
  /** Towards the most recent; -1 at the head. */
  private prev: Int32Array;
  private free: Int32Array;
  private freeTop = 0;
  /** Slots handed out at least once since the last reset; the rest have never been used. */
  private used = 0;
  /** Most recently used slot, -1 when empty. */
  head = -1;
  /** Least recently used slot (the next to evict), -1 when empty. */
  tail = -1;

  constructor(public capacity: number) {
    this.next = new Int32Array(capacity);
    this.prev = new Int32Array(capacity);
    this.free = new Int32Array(capacity);
  }

  /** Room for `capacity` slots (only ever grows); slot numbers keep their meaning. */
  grow(capacity: number): void {
    this.next = grown(this.next, capacity);
    this.prev = grown(this.prev, capacity);
    this.free = grown(this.free, capacity);
    this.capacity = capacity;
  }

  /** A free slot, unlinked; -1 when all `capacity` slots are in use. */
  take(): number {
    if (this.freeTop > 0) return this.free[--this.freeTop]!;
    return this.used < this.capacity ? this.used++ : -1;
  }

  /** Unlinks slot `i` and makes it free. */
  give(i: number): void {
    this.unlink(i);
    this.free[this.freeTop++] = i;
  }

  /** Links a taken slot in as the most recent. */
  addHead(i: number): void {
    this.prev[i] = -1;
    this.next[i] = this.head;
    if (this.head >= 0) this.prev[this.head] = i;
    else this.tail = i;
    this.head = i;
  }

  /** Makes slot `i` the most recent. */
  touch(i: number): void {
    if (this.head === i) return;
    this.unlink(i);
    this.addHead(i);
  }

  /** Every slot free again. */
  reset(): void {
    this.head = -1;
    this.tail = -1;
    this.freeTop = 0;
    this.used = 0;
  }

  private unlink(i: number): void {
    const p = this.prev[i]!;
    const n = this.next[i]!;
    if (p >= 0) this.next[p] = n;
    else this.head = n;
    if (n >= 0) this.prev[n] = p;
    else this.tail = p;
  }
}

function grown(a: Int32Array, capacity: number): Int32Array {
  const b = new Int32Array(capacity);
  b.set(a);
  return b;
}
