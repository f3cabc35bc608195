import type { StoredEntry } from '../tiers/envelope.js';
import { L1Entry } from '../tiers/l1.js';
import type { FactoryRunner } from './factory-runner.js';
import type { Flight } from './flights.js';
import { latchMs } from './latch.js';
import type { PeerLock } from './peer-lock.js';
import { errorLabel, isAbortError } from '../../core/index.js';
import type { CacheStack, Fill } from './stack.js';
import type { CacheResult, CacheSource, Factory, GetOrSetOptions } from './types.js';

/**
 * The `getOrSet` pipeline past a fresh L1 hit: tag check, stale-while-revalidate and throttled
 * stale-if-error from L1, then one fill per key (L2, the optional peer lock, the factory, the write).
 */
export class GetSetHandler {
  constructor(
    private readonly stack: CacheStack,
    private readonly runner: FactoryRunner,
    private readonly lock: PeerLock | undefined,
  ) {}

  async resolve(
    key: string,
    factory: Factory<unknown>,
    options: GetOrSetOptions | undefined,
    e: L1Entry | undefined,
    now: number,
  ): Promise<CacheResult<unknown>> {
    const { stack } = this;
    const { counters, emitter } = stack.signals;
    if (e?.tags && !(await stack.tags.validate(e.tags, now))) {
      stack.l1.delete(key);
      e = undefined;
    }
    if (e !== undefined) {
      if (now < e.softExpiresAt) {
        counters.l1Hits++;
        if (emitter.has('hit')) emitter.emit('hit', { key, tier: 'l1', stale: false });
        return { value: e.value, source: 'l1', stale: false };
      }
      const stale = this.staleFromL1(key, factory, options, e, now);
      if (stale) return stale;
    }
    counters.l1Misses++;
    let flight = this.stack.flights.get(key);
    if (!flight) flight = this.startFlight(key, factory, options, e);
    try {
      const r = await this.runner.untilClosed(flight.promise);
      if (stack.l2) {
        if (r.source === 'l2') counters.l2Hits++;
        else counters.l2Misses++;
      }
      return r;
    } catch (err) {
      if (stack.l2) counters.l2Misses++;
      throw err;
    }
  }

  /** SWR and throttled stale-if-error straight from L1; undefined when the stale entry may not serve. */
  private staleFromL1(
    key: string,
    factory: Factory<unknown>,
    options: GetOrSetOptions | undefined,
    e: L1Entry,
    now: number,
  ): CacheResult<unknown> | undefined {
    const { settings } = this.stack;
    const age = now - e.softExpiresAt;
    const sie = options?.staleIfErrorMs ?? settings.sieMs;
    if (now < e.failUntil && age < sie) {
      // The factory failed moments ago: serve stale without hammering it.
      return this.serveStale(key, e, 'l1', 'error');
    }
    const swr = options?.staleWhileRevalidateMs ?? settings.swrMs;
    if (age < swr) {
      if (now >= e.failUntil && !this.stack.flights.has(key)) {
        const f = this.startFlight(key, factory, options, e, true);
        f.promise.catch(() => {}); // outcome is logged/counted in the flight; callers already have a value
      }
      return this.serveStale(key, e, 'l1', 'swr');
    }
    return undefined;
  }

  private serveStale(key: string, e: StoredEntry, source: CacheSource, reason: 'swr' | 'error') {
    const { counters, emitter } = this.stack.signals;
    counters.l1Hits++;
    counters.staleServed++;
    if (emitter.has('hit')) emitter.emit('hit', { key, tier: 'l1', stale: true });
    if (emitter.has('stale')) emitter.emit('stale', { key, reason });
    return { value: e.value, source, stale: true };
  }

  private startFlight(
    key: string,
    factory: Factory<unknown>,
    options: GetOrSetOptions | undefined,
    staleL1: L1Entry | undefined,
    background = false,
  ): Flight {
    return this.stack.flights.start(
      key,
      options?.tags,
      () => this.fly(key, factory, options, staleL1, background),
      (next) => {
        if (!next || this.stack.closed) return;
        const l1e = this.stack.l1.peek(key, this.stack.settings.clock.now());
        this.startFlight(key, next.factory, next.options, l1e, true).promise.catch(() => {});
      },
    );
  }

  /** One flight per key per process: L2, then (optionally) the lock, then the factory. */
  private async fly(
    key: string,
    factory: Factory<unknown>,
    options: GetOrSetOptions | undefined,
    staleL1: L1Entry | undefined,
    background: boolean,
  ): Promise<CacheResult<unknown>> {
    const fill = this.stack.beginFill(key);
    try {
      return await this.flyFill(fill, factory, options, staleL1, background);
    } finally {
      this.stack.endFill(fill);
    }
  }

  private async flyFill(
    fill: Fill,
    factory: Factory<unknown>,
    options: GetOrSetOptions | undefined,
    staleL1: L1Entry | undefined,
    background: boolean,
  ): Promise<CacheResult<unknown>> {
    const { stack } = this;
    const { key } = fill;
    const { emitter, counters } = stack.signals;
    const now = stack.settings.clock.now();
    let stale: StoredEntry | undefined = staleL1;
    let staleSource: CacheSource = 'l1';
    const fromL2 = await stack.claimL2(fill, options, now);
    if (fromL2) {
      if (now < fromL2.softExpiresAt) {
        if (emitter.has('hit')) emitter.emit('hit', { key, tier: 'l2', stale: false });
        if (stack.fillClean(fill)) stack.backfill(key, fromL2, now);
        return { value: fromL2.value, source: 'l2', stale: false };
      }
      if (!stale || fromL2.softExpiresAt > stale.softExpiresAt) {
        stale = fromL2;
        staleSource = 'l2';
      }
      const swr = options?.staleWhileRevalidateMs ?? stack.settings.swrMs;
      if (!staleL1 && now - fromL2.softExpiresAt < swr) {
        // Stale in L2 only (new instance): serve it and refresh behind.
        if (stack.fillClean(fill)) stack.backfill(key, fromL2, now);
        stack.flights.refreshAfterCurrent(key, { factory, options });
        counters.staleServed++;
        if (emitter.has('stale')) emitter.emit('stale', { key, reason: 'swr' });
        return { value: fromL2.value, source: 'l2', stale: true };
      }
    }
    if (emitter.has('miss')) emitter.emit('miss', { key });
    // Before the factory is called: an invalidation from here on moves a counter this fill recorded.
    if (options?.tags && options.tags.length > 0) await stack.fillTags(fill, options, now);

    const lock = this.lock;
    let token: string | undefined;
    if (lock && stack.signals.l2State === 'up' && (options?.lock ?? true)) {
      const got = await lock.acquire(key);
      if (typeof got === 'string') token = got;
      else if (got === false && stack.signals.l2State === 'up') {
        const waited = await this.waitForPeer(fill, lock);
        if (waited) return waited;
      }
    }
    try {
      return await this.callFactory(fill, factory, options, stale, staleSource, background);
    } finally {
      if (token) lock?.release(key, token);
    }
  }

  /**
   * Another instance holds the lock: poll L2 for its result, bounded by `waitMs`. Stops early once L2 is
   * known down (the peer's result could not reach us through it anyway).
   */
  private async waitForPeer(fill: Fill, lock: PeerLock): Promise<CacheResult<unknown> | undefined> {
    const { stack } = this;
    const { key } = fill;
    const clock = stack.settings.clock;
    const deadline = clock.now() + lock.options.waitMs;
    while (!stack.closed && stack.signals.l2State === 'up' && clock.now() < deadline) {
      await this.runner.delay(lock.options.pollMs);
      const now = clock.now();
      const ticket = stack.guard.begin(key);
      const r = await stack.readL2(key, now);
      const clean = stack.guard.end(key, ticket);
      if (r && now < r.softExpiresAt) {
        if (clean) stack.backfill(key, r, now);
        return { value: r.value, source: 'l2', stale: false };
      }
    }
    return undefined; // bounded wait over: fall back to calling the factory ourselves
  }

  private async callFactory(
    fill: Fill,
    factory: Factory<unknown>,
    options: GetOrSetOptions | undefined,
    stale: StoredEntry | undefined,
    staleSource: CacheSource,
    background: boolean,
  ): Promise<CacheResult<unknown>> {
    const { stack } = this;
    const { key } = fill;
    const { settings, signals } = stack;
    signals.counters.factoryCalls++;
    let value: unknown;
    try {
      value = await this.runner.run(key, factory, options?.timeoutMs, background);
    } catch (err) {
      return this.factoryFailed(fill, err, options, stale, staleSource);
    }
    // Closed meanwhile: its callers were rejected; do not write into a closed cache.
    if (stack.closed) return { value, source: 'factory', stale: false };
    if (value === undefined) {
      if (settings.negativeTtlMs !== undefined) {
        await stack.storeFill(fill, undefined, true, { ...options, ttlMs: settings.negativeTtlMs });
      }
      return { value: undefined, source: 'factory', stale: false };
    }
    try {
      await stack.storeFill(fill, value, false, options);
    } catch (err) {
      // Not serializable: hand the value back uncached rather than fail the caller.
      signals.logger.warn(
        { key, err: errorLabel(err) },
        'cache: factory value not cacheable (not JSON-serializable)',
      );
    }
    return { value, source: 'factory', stale: false };
  }

  /** Stale-if-error: the stale value when its window allows, else the factory's error. */
  private factoryFailed(
    fill: Fill,
    err: unknown,
    options: GetOrSetOptions | undefined,
    stale: StoredEntry | undefined,
    staleSource: CacheSource,
  ): CacheResult<unknown> {
    // A factory its caller cancelled says nothing about the upstream: no stale answer, no throttle. Callers
    // that joined the fill hear the cancellation and may ask again (the gateway's shared fetch does).
    if (isAbortError(err)) throw err;
    const { stack } = this;
    const { key } = fill;
    const { settings, signals } = stack;
    signals.counters.factoryErrors++;
    signals.emitter.emit('factoryError', { key, error: err });
    const now = settings.clock.now();
    // Throttle: no new call of a failing factory from the stale path for a while, but never past the
    // time the error says the call may succeed again (an open breaker's next probe, a Retry-After):
    // a fixed latch kept serving stale after the dependency had recovered.
    const failUntil = now + latchMs(err, settings.throttleMs);
    const sie = options?.staleIfErrorMs ?? settings.sieMs;
    if (stale && now - stale.softExpiresAt < sie && now < stale.hardExpiresAt) {
      // A stale copy read before an invalidation that overtook this fill is served, not kept.
      stack.throttleStale(key, stale, failUntil, now, stack.fillClean(fill));
      signals.counters.staleServed++;
      if (signals.emitter.has('stale')) signals.emitter.emit('stale', { key, reason: 'error' });
      signals.logger.debug({ key, err: errorLabel(err) }, 'cache: factory failed; serving stale value');
      return { value: stale.value, source: staleSource, stale: true };
    }
    // Past its window the stale entry is not served, but L1 still throttles its failing refresh.
    if (stale instanceof L1Entry) stack.throttleStale(key, stale, failUntil, now, false);
    throw err;
  }

  /** Forgets in-flight fills (their callers were rejected by the runner). */
  close(): void {
    this.stack.flights.clear();
  }
}
