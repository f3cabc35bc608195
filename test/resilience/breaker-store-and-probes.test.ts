import { describe, expect, it } from 'vitest';
import { createRecordingLogger, ManualClock } from '../../src/core/index.js';
import {
  type BreakerStateStore,
  CircuitOpenError,
  circuitBreaker,
  MemoryBreakerStateStore,
  type SharedBreakerState,
} from '../../src/resilience/index.js';
import { deferred } from '../helpers/deferred.js';
import { fail, ok } from './helpers.js';

/** A memory store whose notifications arrive only when `deliver()` is called, like pub/sub latency. */
class DelayedStore implements BreakerStateStore {
  readonly inner = new MemoryBreakerStateStore();
  private queue: { l: (r: SharedBreakerState) => void; r: SharedBreakerState }[] = [];
  private readonly listeners = new Set<(r: SharedBreakerState) => void>();
  constructor() {
    this.inner.subscribe((r) => {
      for (const l of this.listeners) this.queue.push({ l, r: { ...r } });
    });
  }
  get() {
    return this.inner.get();
  }
  set(r: SharedBreakerState) {
    this.inner.set(r);
  }
  subscribe(l: (r: SharedBreakerState) => void) {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
  deliver() {
    while (this.queue.length > 0) {
      const { l, r } = this.queue.shift()!;
      l(r);
    }
  }
}

describe('breaker store: synchronous throw', () => {
  it('a store.set that throws is logged; the call keeps its own outcome', async () => {
    const inner = new MemoryBreakerStateStore();
    const logger = createRecordingLogger();
    const store: BreakerStateStore = {
      get: () => inner.get(),
      subscribe: (l) => inner.subscribe(l),
      set: () => {
        throw new Error('store exploded');
      },
    };
    const b = circuitBreaker({ model: { kind: 'consecutive', threshold: 1 }, store, logger });
    await expect(b.execute(fail)).rejects.toThrow('boom');
    expect(b.state).toBe('open');
    expect(
      logger.records.some((r) => r.level === 'warn' && /store exploded/.test(JSON.stringify(r.err))),
    ).toBe(true);
    b.reset();
    await expect(b.execute(ok)).resolves.toBe('ok');
  });
});

describe('breaker store: ties between instances converge', () => {
  it('the memory store keeps the greater (version, writer) whatever the arrival order', () => {
    const rec = (writer: string, state: 'open' | 'closed'): SharedBreakerState => ({
      state,
      openedAt: undefined,
      nextAttemptAt: undefined,
      reopenCount: 0,
      version: 5,
      writer,
    });
    const s1 = new MemoryBreakerStateStore();
    s1.set(rec('a', 'open'));
    s1.set(rec('b', 'closed'));
    const s2 = new MemoryBreakerStateStore();
    s2.set(rec('b', 'closed'));
    s2.set(rec('a', 'open'));
    expect(s1.get()).toEqual(s2.get());
    expect(s1.get()?.writer).toBe('b');
  });

  it('two breakers that reach the same version concurrently end in the same state as the store', async () => {
    for (const [ida, idb] of [
      ['a', 'b'],
      ['b', 'a'],
    ] as const) {
      const clock = new ManualClock();
      const store = new DelayedStore();
      const opts = { model: { kind: 'consecutive' as const, threshold: 1 }, recoveryMs: 100, store, clock };
      const a = circuitBreaker({ ...opts, instanceId: ida });
      const b = circuitBreaker({ ...opts, instanceId: idb });
      // Both move at version 1 before either hears of the other: a opens, b is isolated.
      await a.execute(fail).catch(() => {});
      b.isolate();
      expect(a.state).toBe('open');
      expect(b.state).toBe('isolated');
      store.deliver();
      expect(a.state).toBe(b.state);
      expect(store.get()?.state).toBe(a.state);
      expect(a.state).toBe(idb > ida ? 'isolated' : 'open');
    }
  });

  it('two breakers on one plain memory store share every transition', async () => {
    const clock = new ManualClock();
    const store = new MemoryBreakerStateStore();
    const opts = { model: { kind: 'consecutive' as const, threshold: 1 }, recoveryMs: 100, store, clock };
    const a = circuitBreaker(opts);
    const b = circuitBreaker(opts);
    await a.execute(fail).catch(() => {});
    b.isolate();
    await a.execute(ok).catch(() => {});
    expect([a.state, b.state, store.get()?.state]).toEqual(['isolated', 'isolated', 'isolated']);
    a.reset();
    expect([a.state, b.state, store.get()?.state]).toEqual(['closed', 'closed', 'closed']);
  });
});

describe('half-open probe limit counts probes until they settle', () => {
  it('a probe still running after the breaker reopened keeps its slot', async () => {
    const clock = new ManualClock();
    const b = circuitBreaker({
      model: { kind: 'consecutive', threshold: 1 },
      recoveryMs: 100,
      halfOpenMaxConcurrent: 2,
      clock,
    });
    await b.execute(fail).catch(() => {});
    clock.advance(100);
    const slow = deferred<string>();
    const failing = deferred<string>();
    const p1 = b.execute(() => slow.promise);
    const p2 = b.execute(() => failing.promise);
    failing.reject(new Error('probe failed'));
    await expect(p2).rejects.toThrow('probe failed');
    expect(b.state).toBe('open');
    clock.advance(100);
    // One slot is still held by the slow probe: one new probe, then rejection.
    const next = deferred<string>();
    const p3 = b.execute(() => next.promise);
    expect(b.state).toBe('half-open');
    await expect(b.execute(ok)).rejects.toBeInstanceOf(CircuitOpenError);
    expect(b.snapshot().halfOpenInFlight).toBe(2);
    slow.resolve('late'); // its outcome belongs to an older period: ignored, but the slot is freed
    await expect(p1).resolves.toBe('late');
    expect(b.state).toBe('half-open');
    expect(b.snapshot().halfOpenInFlight).toBe(1);
    next.resolve('ok');
    await expect(p3).resolves.toBe('ok');
    expect(b.state).toBe('closed');
  });

  it('calls admitted while closed are not probes and take no slot', async () => {
    const clock = new ManualClock();
    const b = circuitBreaker({ model: { kind: 'consecutive', threshold: 1 }, recoveryMs: 100, clock });
    const old = deferred<string>();
    const running = b.execute(() => old.promise);
    await b.execute(fail).catch(() => {});
    clock.advance(100);
    const probe = deferred<string>();
    const p = b.execute(() => probe.promise);
    expect(b.snapshot().halfOpenInFlight).toBe(1);
    old.resolve('x');
    await running;
    expect(b.snapshot().halfOpenInFlight).toBe(1);
    probe.resolve('ok');
    await p;
    expect(b.state).toBe('closed');
  });
});

describe('half-open rejection hint', () => {
  it('says retry after probeWaitMs (default min(1000, recoveryMs)), not a full recovery time', async () => {
    const clock = new ManualClock(10_000);
    const b = circuitBreaker({ model: { kind: 'consecutive', threshold: 1 }, recoveryMs: 30_000, clock });
    await b.execute(fail).catch(() => {});
    clock.advance(30_000);
    const probe = deferred<string>();
    const p = b.execute(() => probe.promise);
    const err = await b.execute(ok).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CircuitOpenError);
    expect((err as CircuitOpenError).retryAfterMs).toBe(1000);
    expect((err as CircuitOpenError).retryAt).toBe(clock.now() + 1000);
    probe.resolve('ok');
    await p;
  });

  it('uses probeWaitMs when given, and slowCallMs when it is shorter than the default', async () => {
    for (const [opts, want] of [
      [{ probeWaitMs: 250 }, 250],
      [{ slowCallMs: 400 }, 400],
      [{ recoveryMs: 50 }, 50],
    ] as const) {
      const clock = new ManualClock();
      const b = circuitBreaker({
        model: { kind: 'consecutive', threshold: 1 },
        recoveryMs: 5000,
        ...opts,
        clock,
      });
      await b.execute(fail).catch(() => {});
      clock.advance(5000);
      const probe = deferred<string>();
      const p = b.execute(() => probe.promise);
      const err = (await b.execute(ok).catch((e: unknown) => e)) as CircuitOpenError;
      expect(err.retryAfterMs).toBe(want);
      probe.resolve('ok');
      await p;
    }
    expect(() => circuitBreaker({ probeWaitMs: -1 })).toThrow(/probeWaitMs/);
  });
});
