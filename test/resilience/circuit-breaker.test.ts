import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/index.js';
import {
  CircuitOpenError,
  circuitBreaker,
  MemoryBreakerStateStore,
  type StateChangeEvent,
} from '../../src/resilience/index.js';
import { deferred } from '../helpers/deferred.js';
import { fail, ok } from './helpers.js';

async function run(
  b: { execute: (fn: () => Promise<unknown>) => Promise<unknown> },
  fn: () => Promise<unknown>,
) {
  try {
    return { value: await b.execute(fn) };
  } catch (error) {
    return { error };
  }
}

describe('circuitBreaker: consecutive model and state machine', () => {
  it('walks closed → open → half-open → closed, with an event for every change', async () => {
    const clock = new ManualClock(10_000);
    const b = circuitBreaker({ model: { kind: 'consecutive', threshold: 3 }, recoveryMs: 1000, clock });
    const changes: StateChangeEvent[] = [];
    b.on('stateChange', (e) => changes.push(e));

    await run(b, fail);
    await run(b, fail);
    expect(b.state).toBe('closed');
    await run(b, ok); // a success resets the consecutive count
    await run(b, fail);
    await run(b, fail);
    expect(b.state).toBe('closed');
    await run(b, fail);
    expect(b.state).toBe('open');
    expect(b.snapshot()).toMatchObject({ openedAt: 10_000, nextAttemptAt: 11_000 });

    let calls = 0;
    const rejected = await run(b, () => {
      calls++;
      return ok();
    });
    expect(calls).toBe(0);
    expect(rejected.error).toBeInstanceOf(CircuitOpenError);
    expect(rejected.error).toMatchObject({
      code: 'CIRCUIT_OPEN',
      retryAt: 11_000,
      retryAfterMs: 1000,
      state: 'open',
    });

    clock.advance(400);
    expect((await run(b, ok)).error).toMatchObject({ retryAfterMs: 600 });

    clock.advance(600);
    expect((await run(b, ok)).value).toBe('ok');
    expect(b.state).toBe('closed');
    expect(changes.map((c) => [c.from, c.to, c.reason])).toEqual([
      ['closed', 'open', 'failures'],
      ['open', 'half-open', 'recovery-elapsed'],
      ['half-open', 'closed', 'probe-succeeded'],
    ]);
    expect(changes[0]?.at).toBe(10_000);
  });

  it('a failed probe reopens, with a recovery time growing by the multiplier up to the cap', async () => {
    const clock = new ManualClock();
    const b = circuitBreaker({
      model: { kind: 'consecutive', threshold: 1 },
      recoveryMs: 1000,
      recoveryMultiplier: 2,
      maxRecoveryMs: 5000,
      clock,
    });
    await run(b, fail);
    const waits: number[] = [];
    for (let i = 0; i < 5; i++) {
      const s = b.snapshot();
      waits.push(s.nextAttemptAt! - s.openedAt!);
      clock.advance(s.nextAttemptAt! - clock.now());
      await run(b, fail); // the probe fails
      expect(b.state).toBe('open');
    }
    expect(waits).toEqual([1000, 2000, 4000, 5000, 5000]);
    clock.advance(5000);
    await run(b, ok);
    expect(b.state).toBe('closed');
    // Closing resets the growth.
    await run(b, fail);
    const s = b.snapshot();
    expect(s.nextAttemptAt! - s.openedAt!).toBe(1000);
  });

  it('half-open admits at most halfOpenMaxConcurrent probes and needs successThreshold successes', async () => {
    const clock = new ManualClock();
    const b = circuitBreaker({
      model: { kind: 'consecutive', threshold: 1 },
      recoveryMs: 100,
      halfOpenMaxConcurrent: 2,
      successThreshold: 2,
      clock,
    });
    await run(b, fail);
    clock.advance(100);
    const p1 = deferred<string>();
    const p2 = deferred<string>();
    const c1 = b.execute(() => p1.promise);
    const c2 = b.execute(() => p2.promise);
    expect(b.state).toBe('half-open');
    expect(b.snapshot().halfOpenInFlight).toBe(2);
    const third = await run(b, ok);
    expect(third.error).toMatchObject({ code: 'CIRCUIT_OPEN', state: 'half-open' });
    p1.resolve('a');
    await c1;
    expect(b.state).toBe('half-open');
    expect(b.snapshot()).toMatchObject({ halfOpenSuccesses: 1, halfOpenInFlight: 1 });
    // A slot is free again: another probe is admitted.
    const p3 = deferred<string>();
    const c3 = b.execute(() => p3.promise);
    expect(b.snapshot().halfOpenInFlight).toBe(2);
    p2.resolve('b');
    await c2;
    expect(b.state).toBe('closed');
    // The late probe's outcome belongs to the earlier state and is ignored.
    p3.reject(new Error('late'));
    await expect(c3).rejects.toThrow('late');
    expect(b.state).toBe('closed');
    expect(b.snapshot().failures).toBe(0);
  });

  it('an aborted probe frees its slot without counting', async () => {
    const clock = new ManualClock();
    const b = circuitBreaker({ model: { kind: 'consecutive', threshold: 1 }, recoveryMs: 10, clock });
    await run(b, fail);
    clock.advance(10);
    const ac = new AbortController();
    const probe = b.execute(
      (ctx) =>
        new Promise((_, reject) =>
          ctx.signal.addEventListener('abort', () => reject(new DOMException('x', 'AbortError'))),
        ),
      { signal: ac.signal },
    );
    ac.abort();
    await expect(probe).rejects.toThrow();
    await new Promise((r) => setImmediate(r));
    expect(b.state).toBe('half-open');
    expect(b.snapshot().halfOpenInFlight).toBe(0);
    expect((await run(b, ok)).value).toBe('ok');
    expect(b.state).toBe('closed');
  });

  it('counts only errors isFailure accepts; others count as successes', async () => {
    const b = circuitBreaker({
      model: { kind: 'consecutive', threshold: 2 },
      isFailure: (e) => {
        const s = (e as { status?: number }).status ?? 500;
        return s >= 500 || s === 408 || s === 429;
      },
    });
    const httpError = (status: number) => () =>
      Promise.reject(Object.assign(new Error(`${status}`), { status }));
    for (let i = 0; i < 5; i++) await run(b, httpError(404));
    expect(b.state).toBe('closed');
    expect(b.snapshot().failures).toBe(0);
    await run(b, httpError(429));
    await run(b, httpError(503));
    expect(b.state).toBe('open');
    expect(b.snapshot().lastFailure).toMatchObject({ name: 'Error', message: '503' });
  });

  it('counts results isResultFailure rejects', async () => {
    const b = circuitBreaker({
      model: { kind: 'consecutive', threshold: 2 },
      isResultFailure: (r) => (r as { status: number }).status >= 500,
    });
    await b.execute(() => ({ status: 503 }));
    expect(b.state).toBe('closed');
    await b.execute(async () => ({ status: 502 }));
    expect(b.state).toBe('open');
  });

  it('its own rejections never count: a long outage does not keep it from closing', async () => {
    const clock = new ManualClock();
    const b = circuitBreaker({
      model: { kind: 'count', size: 4, failureRateThreshold: 0.5 },
      recoveryMs: 50,
      clock,
    });
    for (let i = 0; i < 4; i++) await run(b, fail);
    expect(b.state).toBe('open');
    for (let i = 0; i < 100; i++) await run(b, ok);
    expect(b.snapshot().calls).toBe(4);
    clock.advance(50);
    await run(b, ok);
    expect(b.state).toBe('closed');
    expect(b.snapshot().calls).toBe(0);
  });

  it('isolate() forces it open until reset()', async () => {
    const b = circuitBreaker({});
    b.isolate();
    const r = await run(b, ok);
    expect(r.error).toMatchObject({
      code: 'CIRCUIT_OPEN',
      state: 'isolated',
      retryAt: Number.POSITIVE_INFINITY,
    });
    expect((r.error as Error).message).toMatch(/reset\(\)/);
    b.reset();
    expect((await run(b, ok)).value).toBe('ok');
  });

  it('serves the fallback instead of rejecting while open', async () => {
    const b = circuitBreaker({
      model: { kind: 'consecutive', threshold: 1 },
      fallback: (err) => `cached (retry in ${err.retryAfterMs} ms)`,
      recoveryMs: 500,
      clock: new ManualClock(),
    });
    await run(b, fail);
    expect(await b.execute(ok)).toBe('cached (retry in 500 ms)');
  });

  it('counts a slow call as a failure', async () => {
    const clock = new ManualClock();
    const b = circuitBreaker({ model: { kind: 'consecutive', threshold: 2 }, slowCallMs: 100, clock });
    const slow = () => {
      clock.advance(150);
      return Promise.resolve('late');
    };
    expect(await b.execute(slow)).toBe('late');
    expect(b.snapshot()).toMatchObject({ slowCalls: 1, failures: 1 });
    await b.execute(slow);
    expect(b.state).toBe('open');
    expect(b.snapshot().lastFailure?.name).toBe('SlowCall');
  });

  it('a synchronous throw counts like a rejection', async () => {
    const b = circuitBreaker({ model: { kind: 'consecutive', threshold: 1 } });
    await expect(
      b.execute(() => {
        throw new Error('sync');
      }),
    ).rejects.toThrow('sync');
    expect(b.state).toBe('open');
  });

  it('a throwing event listener does not break the call', async () => {
    const b = circuitBreaker({ model: { kind: 'consecutive', threshold: 1 } });
    b.on('stateChange', () => {
      throw new Error('listener bug');
    });
    await expect(b.execute(fail)).rejects.toThrow('boom');
    expect(b.state).toBe('open');
  });

  it('unsubscribes listeners', async () => {
    const b = circuitBreaker({ model: { kind: 'consecutive', threshold: 1 } });
    const seen: string[] = [];
    const off = b.on('stateChange', (e) => seen.push(e.to));
    off();
    await run(b, fail);
    expect(seen).toEqual([]);
  });
});

describe('circuitBreaker: sliding windows', () => {
  it('count window opens on the failure rate, never below minimumCalls', async () => {
    const b = circuitBreaker({
      model: { kind: 'count', size: 10, failureRateThreshold: 0.5, minimumCalls: 6 },
    });
    for (let i = 0; i < 5; i++) await run(b, fail);
    expect(b.state).toBe('closed'); // 5/5 failed but only 5 calls
    await run(b, ok);
    expect(b.state).toBe('closed'); // success does not open
    await run(b, fail);
    expect(b.state).toBe('open'); // 6/7
  });

  it('count window forgets the oldest outcomes', async () => {
    const b = circuitBreaker({ model: { kind: 'count', size: 4, failureRateThreshold: 0.75 } });
    await run(b, fail);
    await run(b, fail);
    await run(b, ok);
    await run(b, ok); // window: F F S S (50%)
    await run(b, fail); // F S S F (50%)
    await run(b, fail); // S S F F
    expect(b.state).toBe('closed');
    expect(b.snapshot()).toMatchObject({ calls: 4, failures: 2 });
    await run(b, fail); // S F F F = 75%
    expect(b.state).toBe('open');
  });

  it('time window decays: failures older than the window stop counting', async () => {
    const clock = new ManualClock(0);
    const b = circuitBreaker({
      model: { kind: 'time', windowMs: 10_000, buckets: 10, failureRateThreshold: 0.5, minimumCalls: 4 },
      clock,
    });
    await run(b, fail);
    await run(b, fail);
    await run(b, fail);
    expect(b.snapshot()).toMatchObject({ calls: 3, failures: 3 });
    clock.advance(5000);
    expect(b.snapshot()).toMatchObject({ calls: 3, failures: 3 });
    clock.advance(5000); // the first slice (0–1 s) has left the window
    expect(b.snapshot()).toMatchObject({ calls: 0, failures: 0 });
    await run(b, fail);
    expect(b.state).toBe('closed'); // 1 call < minimumCalls 4
    clock.advance(3000);
    await run(b, ok);
    await run(b, ok);
    await run(b, fail); // 2 failures of 4 = 50%
    expect(b.state).toBe('open');
  });

  it('time window drops slices one by one', async () => {
    const clock = new ManualClock(0);
    const b = circuitBreaker({
      model: { kind: 'time', windowMs: 1000, buckets: 4, failureRateThreshold: 1, minimumCalls: 100 },
      clock,
    });
    for (let i = 0; i < 4; i++) {
      await run(b, fail);
      clock.advance(250);
    }
    // Now at 1000: the slice 0–250 dropped; three remain.
    expect(b.snapshot().calls).toBe(3);
    clock.advance(250);
    expect(b.snapshot().calls).toBe(2);
    clock.advance(100_000);
    expect(b.snapshot().calls).toBe(0);
  });

  it('rejects bad model options with a clear message', () => {
    expect(() => circuitBreaker({ model: { kind: 'count', size: 0, failureRateThreshold: 0.5 } })).toThrow(
      /size/,
    );
    expect(() => circuitBreaker({ model: { kind: 'count', size: 5, failureRateThreshold: 50 } })).toThrow(
      /0\.5 for 50%/,
    );
    expect(() => circuitBreaker({ model: { kind: 'consecutive', threshold: 0 } })).toThrow(/threshold/);
    expect(() => circuitBreaker({ halfOpenMaxConcurrent: 0 })).toThrow(/halfOpenMaxConcurrent/);
  });
});

describe('circuitBreaker: state store seam', () => {
  it('breakers sharing a store follow each other’s transitions', async () => {
    const clock = new ManualClock();
    const store = new MemoryBreakerStateStore();
    const a = circuitBreaker({ model: { kind: 'consecutive', threshold: 1 }, recoveryMs: 100, store, clock });
    const b = circuitBreaker({ model: { kind: 'consecutive', threshold: 1 }, recoveryMs: 100, store, clock });
    const bChanges: string[] = [];
    b.on('stateChange', (e) => bChanges.push(`${e.to}:${e.reason}`));
    await run(a, fail);
    expect(b.state).toBe('open');
    expect((await run(b, ok)).error).toBeInstanceOf(CircuitOpenError);
    clock.advance(100);
    await run(b, ok); // b probes and closes; a follows
    expect(a.state).toBe('closed');
    expect(bChanges).toEqual(['open:store', 'half-open:recovery-elapsed', 'closed:probe-succeeded']);
    // A new breaker on the store starts from the shared state.
    a.isolate();
    const c = circuitBreaker({ store, clock });
    expect(c.state).toBe('isolated');
    c.dispose();
    a.reset();
    expect(c.state).toBe('isolated'); // disposed: no longer follows
  });

  it('a store whose writes fail does not break calls', async () => {
    const inner = new MemoryBreakerStateStore();
    const store = {
      get: () => inner.get(),
      subscribe: (l: Parameters<typeof inner.subscribe>[0]) => inner.subscribe(l),
      set: () => Promise.reject(new Error('redis down')),
    };
    const b = circuitBreaker({ model: { kind: 'consecutive', threshold: 1 }, store });
    await expect(b.execute(fail)).rejects.toThrow('boom');
    expect(b.state).toBe('open');
  });
});

describe('circuitBreaker: logging', () => {
  it('logs each state change with its name through the injected logger', async () => {
    const { createRecordingLogger } = await import('../../src/core/index.js');
    const logger = createRecordingLogger();
    const b = circuitBreaker({ name: 'billing', model: { kind: 'consecutive', threshold: 1 }, logger });
    await b.execute(fail).catch(() => {});
    expect(logger.records).toEqual([
      expect.objectContaining({
        level: 'info',
        breaker: 'billing',
        from: 'closed',
        to: 'open',
        reason: 'failures',
      }),
    ]);
  });
});

describe('circuitBreaker: success and failure events', () => {
  it('reports each counted outcome; an error isFailure rejects is a success', async () => {
    const b = circuitBreaker({ isFailure: (e) => (e as Error).message !== 'not found' });
    const seen: string[] = [];
    b.on('success', (e) => seen.push(`success:${e.error ? (e.error as Error).message : String(e.result)}`));
    b.on('failure', (e) => seen.push(`failure:${(e.error as Error).message}`));
    await b.execute(() => 'v');
    await b.execute(() => Promise.reject(new Error('not found'))).catch(() => {});
    await b.execute(() => Promise.reject(new Error('boom'))).catch(() => {});
    expect(seen).toEqual(['success:v', 'success:not found', 'failure:boom']);
  });
});

describe('circuitBreaker: slow-call rate', () => {
  it('opens on the slow-call rate before the failure rate is reached', async () => {
    const clock = new ManualClock();
    const b = circuitBreaker({
      model: {
        kind: 'count',
        size: 10,
        failureRateThreshold: 1,
        minimumCalls: 5,
        slowCallRateThreshold: 0.4,
      },
      slowCallMs: 100,
      clock,
    });
    const slow = () => {
      clock.advance(101);
      return Promise.resolve('slow');
    };
    const fast = () => Promise.resolve('fast');
    for (const fn of [fast, fast, slow, fast]) await b.execute(fn);
    expect(b.state).toBe('closed');
    await b.execute(slow); // 2 slow of 5 = 40%
    expect(b.state).toBe('open');
    expect(b.snapshot()).toMatchObject({ calls: 5, slowCalls: 2 });
  });

  it('rejects an out-of-range slowCallRateThreshold', () => {
    expect(() =>
      circuitBreaker({
        model: { kind: 'time', windowMs: 1000, failureRateThreshold: 0.5, slowCallRateThreshold: 2 },
      }),
    ).toThrow(/slowCallRateThreshold/);
  });
});
