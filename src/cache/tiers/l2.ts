import type { Clock, Logger } from '../../core/index.js';
import { type DeadlineEntry, DeadlineQueue, TimeoutError } from '../../resilience/index.js';
import type { RedisDriver, RoundTrip } from '../../redis/index.js';
import type { StoredEntry } from './envelope.js';
import { decodeEnvelopeFast, encodeEnvelope, FILL_MARKER, type SlotStamp, stampOf } from './envelope.js';
import { escapeGlob } from '../glob.js';
import { randomCounterBase, type TagStore } from './tags.js';

/** The slice of the resilience circuit breaker the L2 tier needs. */
export interface L2Breaker {
  execute<T>(fn: () => T | PromiseLike<T>): Promise<T>;
}

/** Marks an L2 read that found nothing usable. */
export const L2_MISS = undefined;

/**
 * The Redis tier: key layout, envelope (de)serialization, and every call wrapped in the breaker and a
 * short timeout. Key layout under `prefix` (all single-key commands, so Cluster safe):
 * `<prefix>:d:<key>` data, `<prefix>:t:<tag>` tag counter, `<prefix>:l:<key>` lock, `<prefix>:bus` channel.
 */
export class L2 implements TagStore {
  readonly channel: string;
  private readonly dataPrefix: string;
  private readonly tagPrefix: string;
  private readonly lockPrefix: string;
  /** Every call's L2 timeout behind one clock timer (no timer armed and cleared per call). */
  private readonly deadlines: DeadlineQueue;

  constructor(
    readonly driver: RedisDriver,
    private readonly breaker: L2Breaker,
    prefix: string,
    private readonly timeoutMs: number,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {
    this.dataPrefix = `${prefix}:d:`;
    this.tagPrefix = `${prefix}:t:`;
    this.lockPrefix = `${prefix}:l:`;
    this.channel = `${prefix}:bus`;
    this.deadlines = new DeadlineQueue(clock);
  }

  /**
   * Runs one Redis call through the breaker under our own timer. The client's own command timeout is
   * not enough: an auto-pipelined command queued while disconnected can stay pending past it, and a
   * call that never settles would hold the breaker's half-open probe slot forever.
   */
  call<T>(fn: () => Promise<T>): Promise<T> {
    return this.breaker.execute(() => this.timed(fn(), identity as (v: T) => T));
  }

  /**
   * Reads and decodes an entry; a corrupted or foreign value is a miss and one log line. Plain reads
   * issued in one tick go out together at its end as MGETs of up to `MAX_BATCH` keys (split per hash
   * slot on a Cluster), each under one breaker call and one deadline: a cache under load sends one
   * command where a client would send one per read. A read alone in its tick is a plain GET. Only plain reads are coalesced: a fill's claim
   * and write stay single-key scripts. A read only ever leaves later than it was asked for, which is
   * the safe direction for the read guard (its ticket is older than what it reads).
   */
  get(key: string): Promise<StoredEntry | undefined> {
    if (this.driver.mget === undefined) return this.getOne(key);
    let b = this.batch;
    if (b === undefined) {
      b = this.batch = new ReadBatch();
      process.nextTick(this.flush);
    }
    const batch = b;
    return new Promise<StoredEntry | undefined>((resolve, reject) => {
      batch.names.push(key);
      batch.resolves.push(resolve);
      batch.rejects.push(reject);
    });
  }

  /** One GET, decoded in the timed call's own settle handler. */
  private getOne(key: string): Promise<StoredEntry | undefined> {
    return this.breaker.execute(() =>
      this.timed(this.driver.get(this.dataPrefix + key), (raw) => this.decode(key, raw)),
    );
  }

  /** Reads of the current tick, waiting for `flush`. */
  private batch: ReadBatch | undefined = undefined;

  private readonly flush = (): void => {
    const b = this.batch!;
    this.batch = undefined;
    const n = b.names.length;
    if (n === 1) {
      this.getOne(b.names[0]!).then(b.resolves[0], b.rejects[0]);
      return;
    }
    for (let from = 0; from < n; from += MAX_BATCH) this.send(b, from, Math.min(n, from + MAX_BATCH));
  };

  /** One MGET for reads `from` to `to` of `b`. */
  private send(b: ReadBatch, from: number, to: number): void {
    const keys = new Array<string>(to - from);
    for (let i = from; i < to; i++) keys[i - from] = this.dataPrefix + b.names[i]!;
    const mget = this.driver.mget!;
    this.breaker
      .execute(() => this.timed(mget.call(this.driver, keys), identity))
      .then(
        (values) => {
          for (let i = from; i < to; i++) b.resolves[i]!(this.decode(b.names[i]!, values[i - from] ?? null));
        },
        (err: unknown) => {
          for (let i = from; i < to; i++) b.rejects[i]!(err);
        },
      );
  }

  /** An entry from a raw value; never throws (anything unreadable is a miss and one log line). */
  private decode(key: string, raw: string | null): StoredEntry | undefined {
    if (raw === null) return L2_MISS;
    const entry = decodeEnvelopeFast(raw);
    if (typeof entry === 'string') {
      if (entry === FILL_MARKER) return L2_MISS; // a fill in progress somewhere: nothing to read yet
      this.logger.warn({ key, reason: entry }, 'cache: ignoring unreadable L2 entry (treated as a miss)');
      return L2_MISS;
    }
    return entry;
  }

  /**
   * `p` mapped through `map`, or a `TimeoutError` (phase 'l2') once `timeoutMs` passed first. The
   * deadline lives in the shared queue; whichever of answer and deadline comes first wins, the other
   * is ignored. `map` must not throw for a Redis answer (a decode problem is a miss, not a failure).
   */
  private timed<T, R>(p: Promise<T>, map: (v: T) => R): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const d = this.deadlines.push(new Deadline(this.clock.now() + this.timeoutMs, reject, this.timeoutMs));
      p.then(
        (v) => {
          if (d.done) return; // timed out already
          this.deadlines.cancel(d);
          try {
            resolve(map(v));
          } catch (err) {
            reject(err); // never left pending: the deadline is gone
          }
        },
        (e) => {
          if (d.done) return;
          this.deadlines.cancel(d);
          reject(e);
        },
      );
    });
  }

  /**
   * A fill's first read: the entry (as `get`), and the slot's stamp for `storeIfUnchanged`. An empty
   * slot gets `marker` (living `ttlMs`), so an invalidation that runs while the fill is in progress
   * leaves a trace the fill's write sees: it deletes the marker.
   */
  claim(
    key: string,
    marker: string,
    ttlMs: number,
  ): Promise<{ entry: StoredEntry | undefined; stamp: SlotStamp | undefined }> {
    return this.call(() => this.driver.getOrClaim(this.dataPrefix + key, marker, ttlMs)).then((raw) =>
      raw === null
        ? { entry: L2_MISS, stamp: { head: marker, bytes: Buffer.byteLength(marker) } }
        : { entry: this.decode(key, raw), stamp: stampOf(raw) },
    );
  }

  /** Writes a fill's entry only if the slot still holds what the fill's `claim` saw; true when written. */
  storeIfUnchanged(key: string, stamp: SlotStamp, payload: string, ttlMs: number): Promise<boolean> {
    return this.call(() =>
      this.driver.setIfUnchanged(this.dataPrefix + key, stamp.head, stamp.bytes, payload, ttlMs),
    );
  }

  set(key: string, payload: string, ttlMs: number): Promise<void> {
    return this.call(() => this.driver.set(this.dataPrefix + key, payload, ttlMs));
  }

  delete(key: string): Promise<void> {
    return this.call(() => this.driver.del(this.dataPrefix + key));
  }

  /**
   * SCAN (COUNT 250) for keys matching `glob` under the data prefix and delete them one by one. Each
   * SCAN and DEL round trip is its own timed, breaker-guarded call: a large keyspace takes many short
   * round trips, not one long call that times out. The first failed round trip ends the loop.
   */
  async deletePattern(glob: string): Promise<number> {
    let n = 0;
    const match = escapeGlob(this.dataPrefix) + glob;
    await this.driver.scan(
      match,
      250,
      async (keys) => {
        await Promise.all(keys.map((k) => this.call(() => this.driver.del(k))));
        n += keys.length;
      },
      this.roundTrip,
    );
    return n;
  }

  private readonly roundTrip: RoundTrip = (fn) => this.call(fn);

  /** Tag counters; a missing (or unreadable) one is `undefined`: it matches no recorded version. */
  fetch(tags: readonly string[]): Promise<(number | undefined)[]> {
    return Promise.all(
      tags.map((t) =>
        this.call(() => this.driver.get(this.tagPrefix + t)).then((v) => {
          const n = v === null ? Number.NaN : Number(v);
          return Number.isSafeInteger(n) ? n : undefined;
        }),
      ),
    );
  }

  /** See `TagStore.touch`: counters for a write, each made to live at least `ttlMs`. */
  touch(tags: readonly string[], ttlMs: number): Promise<number[]> {
    return Promise.all(
      tags.map((t) =>
        this.call(() => this.driver.touchCounter(this.tagPrefix + t, randomCounterBase(), ttlMs)),
      ),
    );
  }

  bump(tags: readonly string[], ttlMs: number): Promise<number[]> {
    return Promise.all(
      tags.map((t) =>
        this.call(() => this.driver.bumpCounter(this.tagPrefix + t, randomCounterBase(), ttlMs)),
      ),
    );
  }

  tryLock(key: string, token: string, ttlMs: number): Promise<boolean> {
    return this.call(() => this.driver.setIfAbsent(this.lockPrefix + key, token, ttlMs));
  }

  unlock(key: string, token: string): Promise<void> {
    return this.call(() => this.driver.deleteIfEquals(this.lockPrefix + key, token));
  }

  static encode(entry: StoredEntry): string {
    return encodeEnvelope(entry);
  }
}

/** One call's deadline: rejects it with a `TimeoutError` when the queue fires it. */
class Deadline implements DeadlineEntry {
  done = false;
  constructor(
    readonly at: number,
    private readonly reject: (e: unknown) => void,
    private readonly timeoutMs: number,
  ) {}

  fire(): void {
    this.reject(new TimeoutError(undefined, { timeoutMs: this.timeoutMs, phase: 'l2' }));
  }
}

/**
 * Most keys in one MGET. Small on purpose: one MGET for a whole tick leaves Redis idle while the
 * replies are handled and the client idle while Redis works; several in flight overlap the two. In
 * bench/cache (64 in flight, 10k keys) 16 read 1.2-1.9x faster than 256, and faster than 8 or 4.
 */
const MAX_BATCH = 16;

/** The plain reads of one tick: key, and how to settle its caller, in parallel arrays. */
class ReadBatch {
  readonly names: string[] = [];
  readonly resolves: ((e: StoredEntry | undefined) => void)[] = [];
  readonly rejects: ((err: unknown) => void)[] = [];
}

function identity<T>(v: T): T {
  return v;
}

/** An L2 with what its owner needs besides the store: breaker state reports and shutdown. */
export interface L2Tier {
  readonly store: L2;
  /** Calls `fn` when Redis becomes unavailable (`down`: the breaker opened) or available again. */
  onState(fn: (state: 'up' | 'down') => void): void;
  /** Disposes of the breaker and closes the driver if the tier created it. */
  close(): Promise<void>;
}
