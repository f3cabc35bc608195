import { CacheValueError } from '../errors.js';
import { globToRegExp } from '../glob.js';
import { PeerSync } from '../peers/peer-sync.js';
import { encodeEnvelope, FILL_MARK, type SlotStamp, type StoredEntry } from '../tiers/envelope.js';
import { L1, L1Entry } from '../tiers/l1.js';
import type { L2 } from '../tiers/l2.js';
import { COUNTER_MARGIN_MS, TagVersions } from '../tiers/tags.js';
import { Flights } from './flights.js';
import type { CacheSettings } from './options.js';
import { ReadGuard } from './read-guard.js';
import { errorLabel } from '../../core/index.js';
import type { Signals } from './signals.js';
import type { GetOrSetOptions, SetOptions } from './types.js';

const RESOLVED: Promise<void> = Promise.resolve();

/**
 * One fill of a key (the factory path of `getOrSet`), from its first L2 read to its write. What it
 * recorded at its start decides whether its value may still be stored: the read guard's ticket (local
 * and peers' invalidations of the key), the L2 slot's stamp (an invalidation on any instance deletes
 * the slot's content), and the tag counters (an invalidation on any instance increments them).
 */
export interface Fill {
  readonly key: string;
  readonly ticket: number;
  /** What the L2 slot held at the start; undefined: no L2, or unknown (the fill then skips L2). */
  stamp: SlotStamp | undefined;
  /** Tag counters read before the factory was called. */
  tags: Record<string, number> | undefined;
}

/**
 * The two tiers and what every operation shares: reading L2 (with its tag check), back-filling L1,
 * writing entries, and the bookkeeping that keeps an invalidation from being undone by a fill or read
 * that began before it.
 */
export class CacheStack {
  readonly l1: L1;
  readonly tags: TagVersions;
  readonly guard = new ReadGuard();
  readonly flights = new Flights();
  readonly sync: PeerSync;
  closed = false;
  private readonly fillId: string;
  private fillSeq = 0;

  constructor(
    readonly settings: CacheSettings,
    readonly l2: L2 | undefined,
    readonly signals: Signals,
    instanceId: string,
  ) {
    this.l1 = new L1(settings.l1);
    this.tags = new TagVersions(
      l2,
      settings.tagVersionTtlMs,
      // A counter created by an invalidation lives as long as a default entry; tagged writes extend it.
      settings.ttlMs + Math.max(settings.swrMs, settings.sieMs) + COUNTER_MARGIN_MS,
      settings.maxTagVersions,
    );
    this.fillId = `${FILL_MARK}${instanceId}:`;
    this.sync = new PeerSync(settings.bus ? l2 : undefined, this, signals, settings.clock);
  }

  // ---- invalidations: what they overtake ----------------------------------------------------------

  /** `key` was deleted or rewritten: reads and fills in progress must not store what they bring back. */
  overtakeKey(key: string): void {
    this.guard.dirty(key);
    this.flights.detach(key);
    this.l1.delete(key);
  }

  overtakePattern(glob: string): void {
    const re = globToRegExp(glob);
    const matches = (key: string) => re.test(key);
    this.guard.dirtyWhere(matches);
    this.flights.detachWhere(matches);
    this.l1.deletePattern(glob);
  }

  /** Tag counters moved: fills writing with these tags find out at write time; later misses start afresh. */
  overtakeTags(tags: readonly string[]): void {
    const set = new Set(tags);
    this.flights.detachWhere((_k, f) => f.tags?.some((t) => set.has(t)) === true);
  }

  overtakeAll(): void {
    this.guard.dirtyAll();
    this.flights.detachWhere(() => true);
    this.l1.clear();
  }

  // ---- reads --------------------------------------------------------------------------------------

  /** An L2 entry that is neither hard-expired nor invalidated by its tags; L2 failures are misses. */
  async readL2(key: string, now: number): Promise<StoredEntry | undefined> {
    if (!this.l2) return undefined;
    let r: StoredEntry | undefined;
    try {
      r = await this.l2.get(key);
    } catch (err) {
      this.signals.l2Error('get', err);
      return undefined;
    }
    return this.usable(r, now);
  }

  private async usable(r: StoredEntry | undefined, now: number): Promise<StoredEntry | undefined> {
    if (!r || now >= r.hardExpiresAt) return undefined;
    if (r.tags && !(await this.tags.validate(r.tags, now))) return undefined;
    return r;
  }

  /** Copies an entry into L1; false when its L1 lifetime is already over or it cannot be sized. */
  backfill(key: string, e: StoredEntry, now: number, l1TtlMs = this.settings.l1TtlMs): boolean {
    try {
      return this.storeL1(key, e, now, l1TtlMs);
    } catch {
      return false; // not plain data: served, not kept
    }
  }

  /**
   * The stale-if-error throttle on `stale` (the entry a failed refresh served): set on the entry L1
   * holds when it is still that one, else on a copy of it stored in L1 when `store` (the fill was
   * not overtaken by an invalidation).
   */
  throttleStale(key: string, stale: StoredEntry, failUntil: number, now: number, store: boolean): void {
    if (stale instanceof L1Entry) stale.failUntil = failUntil;
    if (this.l1.markFailing(key, stale, failUntil) || !store) return;
    try {
      if (stale instanceof L1Entry) {
        this.l1.set(key, stale);
      } else if (this.storeL1(key, stale, now)) {
        this.l1.markFailing(key, stale, failUntil);
      }
    } catch {
      // not plain data: served, not kept
    }
  }

  // ---- fills --------------------------------------------------------------------------------------

  /** Opens a fill of `key`; close it with `endFill` whatever happens. */
  beginFill(key: string): Fill {
    return { key, ticket: this.guard.begin(key), stamp: undefined, tags: undefined };
  }

  endFill(fill: Fill): void {
    this.guard.end(fill.key, fill.ticket);
  }

  /** True while no invalidation seen by this instance overtook `fill`. */
  fillClean(fill: Fill): boolean {
    return this.guard.clean(fill.key, fill.ticket);
  }

  /**
   * The fill's L2 read: the usable entry, and the slot's stamp (an empty slot gets this fill's marker,
   * which lives as long as the fill may take; one that outlives it only makes the write a no-op).
   */
  async claimL2(
    fill: Fill,
    options: GetOrSetOptions | undefined,
    now: number,
  ): Promise<StoredEntry | undefined> {
    if (!this.l2) return undefined;
    const marker = `${this.fillId}${++this.fillSeq}`;
    const ttl = (options?.timeoutMs ?? 0) + (this.settings.lock?.ttlMs ?? 0) + COUNTER_MARGIN_MS;
    try {
      const r = await this.l2.claim(fill.key, marker, ttl);
      fill.stamp = r.stamp;
      return await this.usable(r.entry, now);
    } catch (err) {
      this.signals.l2Error('get', err);
      return undefined;
    }
  }

  /** Reads the tag counters a fill's value will be written with; before its factory is called. */
  async fillTags(fill: Fill, options: GetOrSetOptions | undefined, now: number): Promise<void> {
    const names = options?.tags;
    if (!names || names.length === 0) return;
    const s = this.settings;
    const life = (options.ttlMs ?? s.ttlMs) + this.extraMs(options);
    fill.tags = await this.tags.current(names, now, life);
  }

  /**
   * Stores a fill's value unless an invalidation overtook it: one seen here (local or a peer's
   * message), one that deleted the L2 slot since the fill's read, or one that moved a tag counter.
   * True when stored.
   */
  async storeFill(
    fill: Fill,
    value: unknown,
    negative: boolean,
    options: SetOptions | undefined,
  ): Promise<boolean> {
    if (!this.fillClean(fill)) return false;
    const now = this.settings.clock.now();
    const { entry, payload } = this.entry(fill.key, value, negative, options, fill.tags, now);
    if (fill.tags && !(await this.tags.unchanged(fill.tags, now))) return false;
    const l2 = this.l2;
    let stored = false;
    if (l2 && fill.stamp && payload !== undefined) {
      const stamp = fill.stamp;
      let written: boolean | undefined;
      const failed = await this.signals.l2Call('set', async () => {
        written = await l2.storeIfUnchanged(fill.key, stamp, payload, entry.hardExpiresAt - now);
      });
      if (written === false) return false; // the slot changed: invalidated (or rewritten) meanwhile
      stored = failed === undefined;
    }
    if (!this.fillClean(fill)) return false;
    this.storeL1(fill.key, entry, now, options?.l1TtlMs);
    this.signals.counters.sets++;
    this.guard.dirty(fill.key); // an older read still in flight must not overwrite this one
    if (stored) await this.sync.publish({ t: 'set', k: fill.key });
    this.signals.emitter.emit('set', { key: fill.key });
    return true;
  }

  // ---- writes -------------------------------------------------------------------------------------

  /**
   * Writes an entry to both tiers and tells peers to drop their L1 copy. Without an L2 and tags it
   * completes synchronously (an L1-only `set` costs no promise chain of its own).
   */
  write(key: string, value: unknown, negative: boolean, options: SetOptions | undefined): Promise<void> {
    const s = this.settings;
    const ttl = options?.ttlMs ?? s.ttlMs;
    if (!(ttl > 0)) return Promise.reject(new CacheValueError(`ttlMs must be > 0; got ${ttl}`));
    const tagNames = options?.tags;
    if (this.l2 || (tagNames && tagNames.length > 0))
      return this.writeAsync(key, value, negative, options, ttl);
    try {
      // `entry` without its objects: this is the L1-only set path.
      const now = s.clock.now();
      const soft = now + this.jittered(ttl);
      const hard = soft + this.extraMs(options);
      const l1Ttl = options?.l1TtlMs ?? s.l1TtlMs;
      const l1Exp = l1Ttl === undefined ? hard : Math.min(now + l1Ttl, hard);
      if (l1Exp > now) this.l1.put(key, value, negative, soft, hard, undefined, l1Exp);
    } catch (err) {
      return Promise.reject(err);
    }
    this.wrote(key);
    return RESOLVED;
  }

  private async writeAsync(
    key: string,
    value: unknown,
    negative: boolean,
    options: SetOptions | undefined,
    ttl: number,
  ): Promise<void> {
    const now = this.settings.clock.now();
    const tagNames = options?.tags;
    const tags =
      tagNames && tagNames.length > 0
        ? await this.tags.current(tagNames, now, ttl + this.extraMs(options))
        : undefined;
    const { entry, payload } = this.entry(key, value, negative, options, tags, now);
    this.storeL1(key, entry, now, options?.l1TtlMs);
    this.counted(key);
    const l2 = this.l2;
    if (l2 && payload !== undefined)
      await this.signals.l2Call('set', () => l2.set(key, payload, entry.hardExpiresAt - now));
    await this.sync.publish({ t: 'set', k: key });
    const emitter = this.signals.emitter;
    if (emitter.has('set')) emitter.emit('set', { key });
  }

  /** Bookkeeping of a write, as soon as L1 holds it. */
  private counted(key: string): void {
    this.signals.counters.sets++;
    this.guard.dirty(key); // a read of the old value still in flight must not overwrite this one
  }

  /** `counted`, and the event, for a write that is complete. */
  private wrote(key: string): void {
    this.counted(key);
    const emitter = this.signals.emitter;
    if (emitter.has('set')) emitter.emit('set', { key });
  }

  /** Like `backfill`, but a value that is not plain data is the caller's error. */
  private storeL1(key: string, e: StoredEntry, now: number, l1TtlMs = this.settings.l1TtlMs): boolean {
    // An L1 copy never outlives the L2 entry: its end is min(L1 TTL, L2 hard expiry).
    const l1Exp = l1TtlMs === undefined ? e.hardExpiresAt : Math.min(now + l1TtlMs, e.hardExpiresAt);
    if (l1Exp <= now) return false;
    return this.l1.put(key, e.value, e.negative, e.softExpiresAt, e.hardExpiresAt, e.tags, l1Exp) >= 0;
  }

  /** `ttl` shortened by up to the configured jitter fraction (never below 1 ms). */
  private jittered(ttl: number): number {
    const j = this.settings.jitter;
    return j > 0 ? Math.max(1, Math.round(ttl * (1 - Math.random() * j))) : ttl;
  }

  private extraMs(options: SetOptions | undefined): number {
    const s = this.settings;
    return Math.max(options?.staleWhileRevalidateMs ?? s.swrMs, options?.staleIfErrorMs ?? s.sieMs);
  }

  /**
   * The entry and, with an L2, its payload; `CacheValueError` for a value JSON cannot carry. Without an
   * L2 nothing is serialised (L1 holds references); L1 refuses what is not plain data when sizing it.
   */
  private entry(
    key: string,
    value: unknown,
    negative: boolean,
    options: SetOptions | undefined,
    tags: Record<string, number> | undefined,
    now: number,
  ): { entry: StoredEntry; payload: string | undefined } {
    const s = this.settings;
    const ttlMs = options?.ttlMs ?? s.ttlMs;
    if (!(ttlMs > 0)) throw new CacheValueError(`ttlMs must be > 0; got ${ttlMs}`);
    const ttl = this.jittered(ttlMs);
    const entry: StoredEntry = {
      value,
      negative,
      created: now,
      softExpiresAt: now + ttl,
      hardExpiresAt: now + ttl + this.extraMs(options),
      tags,
    };
    if (!this.l2) return { entry, payload: undefined };
    try {
      return { entry, payload: encodeEnvelope(entry) };
    } catch (err) {
      throw new CacheValueError(
        `The value for key "${key}" is not JSON-serializable (${errorLabel(err)}); cache plain data only`,
        { cause: err },
      );
    }
  }
}
