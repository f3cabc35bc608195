import { randomUUID } from 'node:crypto';
import { FactoryRunner } from './engine/factory-runner.js';
import { GetSetHandler } from './engine/get-set.js';
import type { CacheSettings } from './engine/options.js';
import { PeerLock } from './engine/peer-lock.js';
import { Signals } from './engine/signals.js';
import { CacheStack } from './engine/stack.js';
import type { CacheResult, Factory, GetOrSetOptions, InvalidateOptions, SetOptions } from './engine/types.js';
import { CacheClosedError, CacheInvalidationError, CacheValueError } from './errors.js';
import type { CacheEventName, CacheEvents } from './events.js';
import type { BusMessage } from './peers/bus.js';
import type { CacheStats } from './stats.js';
import type { StoredEntry } from './tiers/envelope.js';
import type { L1Entry } from './tiers/l1.js';
import type { L2Tier } from './tiers/l2.js';

const RESOLVED_UNDEFINED = Promise.resolve(undefined);

/**
 * The tiered cache: L1 in memory, optional L2 in Redis, peers kept in step over a pub/sub bus. Built
 * by `createCache`, which opens the L2 tier first and hands it over.
 */
export class TieredCache {
  private readonly stack: CacheStack;
  private readonly signals: Signals;
  private readonly runner: FactoryRunner;
  private readonly getSet: GetSetHandler;
  private readonly lock: PeerLock | undefined;

  constructor(
    settings: CacheSettings,
    private readonly l2Tier: L2Tier | undefined,
  ) {
    const l2 = l2Tier?.store;
    this.signals = new Signals(settings.logger, l2 !== undefined, l2?.channel);
    const instanceId = randomUUID();
    this.stack = new CacheStack(settings, l2, this.signals, instanceId);
    this.runner = new FactoryRunner(settings.clock);
    const lock = l2 && settings.lock ? new PeerLock(l2, settings.lock, instanceId, this.signals) : undefined;
    this.lock = lock;
    this.getSet = new GetSetHandler(this.stack, this.runner, lock);
    l2Tier?.onState((state) => this.signals.setL2State(state));
  }

  /**
   * Resolves once the invalidation bus is subscribed (at once without L2 or bus). Never rejects: when
   * Redis is down at start it resolves and the cache runs on L1 + factories until Redis comes back.
   */
  ready(): Promise<void> {
    return this.stack.sync.ready();
  }

  /** @internal A peer's bus message, as the bus delivers it (for tests that stage a race). */
  onBusMessage(m: BusMessage): void {
    this.stack.sync.onMessage(m);
  }

  // ---- reads -------------------------------------------------------------------------------------

  /**
   * The cached value or `undefined`. Returns only fresh values; a cached `null`, `0`, `""` or `false` is
   * a hit. A cached "not found" (negative entry) also resolves `undefined`.
   */
  get<T = unknown>(key: string): Promise<T | undefined> {
    const { stack } = this;
    if (stack.closed) return Promise.reject(new CacheClosedError());
    const now = stack.settings.clock.now();
    const l1 = stack.l1;
    const i = l1.find(key, now);
    const hit = this.freshL1Hit(key, i, now);
    if (hit !== undefined) return hit as Promise<T | undefined>;
    // Fresh but tagged with counters L1 cannot vouch for: they are fetched first.
    if (i >= 0 && now < l1.softAt(i)) return this.getTagged<T>(key, l1.entryAt(i), now);
    return this.getFromL2<T>(key, now);
  }

  /**
   * The answer to a fresh L1 hit at slot `i` (counted and announced), allocating only the promise the
   * async API needs; undefined when there is none: no slot, past its soft TTL, or tags to validate.
   */
  private freshL1Hit(key: string, i: number, now: number): Promise<unknown> | undefined {
    const { stack } = this;
    const l1 = stack.l1;
    if (i < 0 || now >= l1.softAt(i)) return undefined;
    const tags = l1.tagsAt(i);
    if (tags !== undefined && !stack.tags.check(tags, now)) return undefined;
    this.signals.counters.l1Hits++;
    if (this.signals.emitter.hasHit) this.signals.emitter.emit('hit', { key, tier: 'l1', stale: false });
    return l1.isNegative(i) ? RESOLVED_UNDEFINED : Promise.resolve(l1.valueAt(i));
  }

  /** An L1 entry whose tag counters must be fetched before it can be served. */
  private async getTagged<T>(key: string, e: L1Entry, now: number): Promise<T | undefined> {
    if (e.tags && (await this.stack.tags.validate(e.tags, now))) {
      this.signals.counters.l1Hits++;
      const emitter = this.signals.emitter;
      if (emitter.has('hit')) emitter.emit('hit', { key, tier: 'l1', stale: false });
      return e.value as T | undefined;
    }
    return this.getFromL2<T>(key, now);
  }

  /**
   * The L2 part of `get`, as one `.then` on the L2 read (no async layers: this is the L2 hit path).
   * An entry with tags goes through the async tag check; the read stays open (dirty-read guard) until
   * that check is done.
   */
  private getFromL2<T>(key: string, now: number): Promise<T | undefined> {
    const { stack, signals } = this;
    signals.counters.l1Misses++;
    const l2 = stack.l2;
    if (!l2) {
      if (signals.emitter.has('miss')) signals.emitter.emit('miss', { key });
      return RESOLVED_UNDEFINED;
    }
    const ticket = stack.guard.begin(key);
    return l2.get(key).then(
      (r): T | undefined | Promise<T | undefined> => {
        if (r === undefined || now >= r.hardExpiresAt) return this.l2Done<T>(key, ticket, undefined, now);
        if (r.tags === undefined) return this.l2Done<T>(key, ticket, r, now);
        return stack.tags
          .validate(r.tags, now)
          .then((ok) => this.l2Done<T>(key, ticket, ok ? r : undefined, now));
      },
      (err) => {
        signals.l2Error('get', err);
        return this.l2Done<T>(key, ticket, undefined, now);
      },
    );
  }

  private l2Done<T>(
    key: string,
    ticket: number,
    fromL2: StoredEntry | undefined,
    now: number,
  ): T | undefined {
    const { stack, signals } = this;
    const clean = stack.guard.end(key, ticket);
    if (fromL2 && now < fromL2.softExpiresAt) {
      signals.counters.l2Hits++;
      if (signals.emitter.has('hit')) signals.emitter.emit('hit', { key, tier: 'l2', stale: false });
      if (clean) stack.backfill(key, fromL2, now);
      return fromL2.value as T | undefined;
    }
    signals.counters.l2Misses++;
    if (signals.emitter.has('miss')) signals.emitter.emit('miss', { key });
    return undefined;
  }

  /** Like `get` but with no side effects: no recency bump, no back-fill, no stats, no events. */
  async peek<T = unknown>(key: string): Promise<T | undefined> {
    const e = await this.peekEntry(key);
    return e?.value as T | undefined;
  }

  /** True when a fresh entry (a cached "not found" included) exists; no side effects. */
  async has(key: string): Promise<boolean> {
    return (await this.peekEntry(key)) !== undefined;
  }

  private async peekEntry(key: string): Promise<StoredEntry | undefined> {
    const { stack } = this;
    if (stack.closed) throw new CacheClosedError();
    const now = stack.settings.clock.now();
    const e = stack.l1.peek(key, now);
    if (e && now < e.softExpiresAt && (!e.tags || (await stack.tags.validate(e.tags, now)))) return e;
    if (!stack.l2 || this.signals.l2State === 'down') return undefined;
    try {
      const r = await stack.l2.get(key);
      if (r && now < r.softExpiresAt && (!r.tags || (await stack.tags.validate(r.tags, now)))) return r;
    } catch {
      // peek reports only what it can see
    }
    return undefined;
  }

  /**
   * The cached value, or the factory's, stored for next time. Concurrent misses on one key share one
   * factory call and its outcome (value or error). See `getOrSetWithMeta` for provenance.
   */
  getOrSet<T>(key: string, factory: Factory<T>, options?: GetOrSetOptions): Promise<T> {
    const { stack } = this;
    if (stack.closed) return Promise.reject(new CacheClosedError());
    const now = stack.settings.clock.now();
    const l1 = stack.l1;
    const i = l1.find(key, now);
    const hit = this.freshL1Hit(key, i, now);
    if (hit !== undefined) return hit as Promise<T>;
    const e = i >= 0 ? l1.entryAt(i) : undefined;
    return this.getSet.resolve(key, factory, options, e, now).then(resultValue) as Promise<T>;
  }

  /** `getOrSet` that also says where the value came from and whether it is stale. */
  getOrSetWithMeta<T>(key: string, factory: Factory<T>, options?: GetOrSetOptions): Promise<CacheResult<T>> {
    const { stack } = this;
    if (stack.closed) return Promise.reject(new CacheClosedError());
    const now = stack.settings.clock.now();
    return this.getSet.resolve(key, factory, options, stack.l1.get(key, now), now) as Promise<CacheResult<T>>;
  }

  // ---- writes ------------------------------------------------------------------------------------

  /** Stores a value in both tiers and tells peers to drop their L1 copy. `undefined` is rejected. */
  set(key: string, value: unknown, options?: SetOptions): Promise<void> {
    if (this.stack.closed) return Promise.reject(new CacheClosedError());
    if (value === undefined) {
      return Promise.reject(
        new CacheValueError(
          'cache.set(key, undefined) is not allowed; use delete(key), or null for "no value"',
        ),
      );
    }
    return this.stack.write(key, value, false, options);
  }

  /**
   * Removes a key from both tiers and from peers' L1. With Redis failing it is removed from this
   * instance only; `strict` then rejects with `CacheInvalidationError` so the caller can retry.
   */
  async delete(key: string, options?: InvalidateOptions): Promise<void> {
    const { stack, signals } = this;
    if (stack.closed) throw new CacheClosedError();
    signals.counters.deletes++;
    stack.overtakeKey(key);
    const l2 = stack.l2;
    const stored = l2 ? await signals.l2Call('delete', () => l2.delete(key)) : undefined;
    const sent = await stack.sync.publish({ t: 'del', k: key });
    signals.emitter.emit('delete', { key });
    if (options?.strict) throwIfLocalOnly('delete', stored ?? sent);
  }

  /**
   * Invalidates every entry written with any of `tags`, on every instance: O(1) per tag (one INCR).
   * With Redis down it falls back to dropping matching entries from this instance's L1 only (and
   * `strict` then rejects with `CacheInvalidationError`).
   */
  async invalidateTags(tags: readonly string[], options?: InvalidateOptions): Promise<void> {
    const { stack, signals } = this;
    if (stack.closed) throw new CacheClosedError();
    if (tags.length === 0) return;
    const now = stack.settings.clock.now();
    stack.overtakeTags(tags);
    let failed: unknown;
    try {
      const versions = await stack.tags.bump(tags, now);
      failed = await stack.sync.publish({ t: 'tags', v: versions });
    } catch (err) {
      failed = err;
      signals.l2Error('invalidateTags', err);
      const set = new Set(tags);
      stack.l1.deleteWhere((e) => e.tags !== undefined && Object.keys(e.tags).some((t) => set.has(t)));
      signals.tagsLocalOnly(tags.length);
    }
    signals.emitter.emit('invalidate', { tags: [...tags] });
    if (options?.strict) throwIfLocalOnly('invalidateTags', failed);
  }

  /**
   * Deletes keys matching a Redis glob in both tiers (SCAN with COUNT in Redis, never KEYS) and on
   * peers; `strict` as for `delete`.
   */
  async invalidatePattern(glob: string, options?: InvalidateOptions): Promise<void> {
    const { stack, signals } = this;
    if (stack.closed) throw new CacheClosedError();
    stack.overtakePattern(glob);
    const l2 = stack.l2;
    const stored = l2 ? await signals.l2Call('invalidatePattern', () => l2.deletePattern(glob)) : undefined;
    const sent = await stack.sync.publish({ t: 'pattern', p: glob });
    signals.emitter.emit('invalidate', { pattern: glob });
    if (options?.strict) throwIfLocalOnly('invalidatePattern', stored ?? sent);
  }

  /** Empties L1, every L2 key under this prefix, and peers' L1. */
  async clear(): Promise<void> {
    const { stack, signals } = this;
    if (stack.closed) throw new CacheClosedError();
    stack.overtakeAll();
    const l2 = stack.l2;
    if (l2) await signals.l2Call('clear', () => l2.deletePattern('*'));
    await stack.sync.publish({ t: 'clear' });
  }

  // ---- misc --------------------------------------------------------------------------------------

  /** Counters; see `CacheStats` for how they add up. */
  stats(): CacheStats {
    const { l1, l2 } = this.stack;
    return this.signals.counters.snapshot(l2 !== undefined, this.signals.l2State, l1.size, l1.bytes);
  }

  /** Subscribes to an event; returns an unsubscribe function. */
  on<K extends CacheEventName>(event: K, fn: (e: CacheEvents[K]) => void): () => void {
    return this.signals.emitter.on(event, fn);
  }

  /**
   * Stops timers and background work, closes connections the cache created, empties L1. Idempotent.
   * Callers still waiting in `getOrSet`/`getOrSetWithMeta` are rejected at once with
   * `CacheClosedError` (a factory may never settle, so close does not wait for it); a factory that
   * settles later has its value dropped, not cached.
   */
  async close(): Promise<void> {
    const { stack } = this;
    if (stack.closed) return;
    stack.closed = true;
    this.runner.close();
    // Background refreshes are not awaited: a user factory may never settle. Their late writes hit a
    // closed driver and are dropped.
    stack.sync.close();
    // Locks this instance took are freed, so peers do not wait out their TTL.
    await this.lock?.drain();
    await this.l2Tier?.close().catch(() => {});
    stack.l1.clear();
    this.getSet.close();
  }
}

function resultValue(r: CacheResult<unknown>): unknown {
  return r.value;
}

/** `strict` invalidations: an L2 or bus failure means other instances (or Redis) may still serve it. */
function throwIfLocalOnly(op: string, failure: unknown): void {
  if (failure !== undefined) throw new CacheInvalidationError(op, failure);
}
