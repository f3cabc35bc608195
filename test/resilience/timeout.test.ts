import { describe, expect, it } from 'vitest';
import { AbortedError, ManualClock } from '../../src/core/index.js';
import { DeadlineQueue } from '../../src/resilience/deadline-queue.js';
import { type PolicyContext, TimeoutError, timeout } from '../../src/resilience/index.js';
import { outcome } from './helpers.js';

const never = () => new Promise<never>(() => {});

describe('timeout', () => {
  it('rejects with TimeoutError when the limit passes, even if the operation ignores the signal', async () => {
    const clock = new ManualClock();
    const t = timeout({ ms: 500, clock });
    const s = outcome(t.execute(never));
    await clock.advanceAsync(499);
    expect(s.done).toBe(false);
    await clock.advanceAsync(1);
    expect(s.error).toBeInstanceOf(TimeoutError);
    expect(s.error).toMatchObject({ code: 'TIMEOUT', timeoutMs: 500, phase: 'attempt' });
    expect((s.error as Error).message).toMatch(/500 ms/);
  });

  it('aborts ctx.signal with the TimeoutError (cooperative cancellation)', async () => {
    const clock = new ManualClock();
    const t = timeout({ ms: 100, clock, phase: 'total' });
    let signal: AbortSignal | undefined;
    const s = outcome(
      t.execute((ctx) => {
        signal = ctx.signal;
        return never();
      }),
    );
    expect(signal?.aborted).toBe(false);
    await clock.advanceAsync(100);
    expect(signal?.aborted).toBe(true);
    expect(signal?.reason).toBe(s.error);
    expect(s.error).toMatchObject({ phase: 'total' });
  });

  it('hands out an already-aborted signal when first read after the timeout fired', async () => {
    const clock = new ManualClock();
    const t = timeout({ ms: 10, clock });
    let ctx: PolicyContext | undefined;
    const s = outcome(
      t.execute((c) => {
        ctx = c;
        return never();
      }),
    );
    await clock.advanceAsync(10);
    expect(s.error).toBeInstanceOf(TimeoutError);
    expect(ctx?.signal.aborted).toBe(true);
    expect(ctx?.signal.reason).toBeInstanceOf(TimeoutError);
  });

  it('resolves with the value and cancels the deadline; a late timer does not reject', async () => {
    const clock = new ManualClock();
    const t = timeout({ ms: 100, clock });
    await expect(t.execute(async () => 42)).resolves.toBe(42);
    await expect(t.execute(() => 'sync')).resolves.toBe('sync');
    await expect(
      t.execute(() => {
        throw new Error('sync throw');
      }),
    ).rejects.toThrow('sync throw');
    await expect(t.execute(() => Promise.reject(new Error('async')))).rejects.toThrow('async');
    expect(t.pending).toBe(0);
    await clock.advanceAsync(1000);
    expect(clock.pending()).toBe(0);
  });

  it('runs many concurrent calls on one clock timer and stops it when idle', async () => {
    const clock = new ManualClock();
    const t = timeout({ ms: 1000, clock });
    const resolvers: (() => void)[] = [];
    const calls = Array.from({ length: 100 }, () =>
      outcome(t.execute(() => new Promise<void>((r) => resolvers.push(r)))),
    );
    expect(clock.pending()).toBe(1);
    expect(t.pending).toBe(100);
    await clock.advanceAsync(500);
    for (const r of resolvers.slice(0, 50)) r();
    await clock.advanceAsync(0);
    expect(t.pending).toBe(50);
    await clock.advanceAsync(500);
    expect(calls.slice(0, 50).every((c) => c.done && c.error === undefined)).toBe(true);
    expect(calls.slice(50).every((c) => c.error instanceof TimeoutError)).toBe(true);
    expect(t.pending).toBe(0);
    expect(clock.pending()).toBe(0);
  });

  it('calls started later time out at their own deadline, not the first one', async () => {
    const clock = new ManualClock();
    const t = timeout({ ms: 100, clock });
    const a = outcome(t.execute(never));
    await clock.advanceAsync(60);
    const b = outcome(t.execute(never));
    await clock.advanceAsync(40);
    expect(a.error).toBeInstanceOf(TimeoutError);
    expect(b.done).toBe(false);
    await clock.advanceAsync(59);
    expect(b.done).toBe(false);
    await clock.advanceAsync(1);
    expect(b.error).toBeInstanceOf(TimeoutError);
  });

  it('dispose() leaves nothing scheduled', async () => {
    const clock = new ManualClock();
    const t = timeout({ ms: 1000, clock });
    const s = outcome(t.execute(never));
    await t.execute(async () => 1);
    expect(clock.pending()).toBe(1);
    t.dispose();
    expect(clock.pending()).toBe(0);
    await clock.advanceAsync(5000);
    expect(s.done).toBe(false);
  });

  it('propagates the caller abort into ctx.signal and rejects with AbortedError', async () => {
    const clock = new ManualClock();
    const t = timeout({ ms: 1000, clock });
    const ac = new AbortController();
    let inner: AbortSignal | undefined;
    const p = t.execute(
      (ctx) => {
        inner = ctx.signal;
        return never();
      },
      { signal: ac.signal },
    );
    ac.abort('stop');
    await expect(p).rejects.toBeInstanceOf(AbortedError);
    expect(inner?.aborted).toBe(true);
    expect(inner?.reason).toBe('stop');
  });

  it('rejects invalid ms', () => {
    expect(() => timeout(0)).toThrow(/ms must be/);
    expect(() => timeout(Number.NaN)).toThrow(/ms must be/);
  });
});

describe('DeadlineQueue', () => {
  it('fires deadlines in time order even when added out of order', () => {
    const clock = new ManualClock(1000);
    const q = new DeadlineQueue(clock);
    const fired: string[] = [];
    q.add(1300, () => fired.push('c'));
    q.add(1100, () => fired.push('a'));
    q.add(1200, () => fired.push('b'));
    const d = q.add(1150, () => fired.push('cancelled'));
    q.cancel(d);
    clock.advance(150);
    expect(fired).toEqual(['a']);
    clock.advance(200);
    expect(fired).toEqual(['a', 'b', 'c']);
    expect(q.size).toBe(0);
    expect(clock.pending()).toBe(0);
  });

  it('keeps working after thousands of cancellations behind a stuck head', () => {
    const clock = new ManualClock();
    const q = new DeadlineQueue(clock);
    let stuckFired = 0;
    let othersFired = 0;
    q.add(100, () => stuckFired++);
    for (let i = 0; i < 5000; i++) q.cancel(q.add(100 + i, () => othersFired++));
    const last = q.add(6000, () => othersFired++);
    expect(q.size).toBe(2);
    clock.advance(100);
    expect(stuckFired).toBe(1);
    clock.advance(10_000);
    expect(othersFired).toBe(1);
    q.cancel(last);
    expect(clock.pending()).toBe(0);
  });

  it('a callback may add a new deadline while firing', () => {
    const clock = new ManualClock();
    const q = new DeadlineQueue(clock);
    const fired: number[] = [];
    q.add(10, () => {
      fired.push(clock.now());
      q.add(clock.now() + 5, () => fired.push(clock.now()));
    });
    clock.advance(100);
    expect(fired).toEqual([10, 15]);
  });
});

describe('timeout and the caller signal', () => {
  it('removes its listener from the caller signal when the call ends, even if the signal is read late', async () => {
    const clock = new ManualClock();
    const t = timeout({ ms: 1000, clock });
    const ac = new AbortController();
    let added = 0;
    let removed = 0;
    const add = ac.signal.addEventListener.bind(ac.signal);
    const remove = ac.signal.removeEventListener.bind(ac.signal);
    ac.signal.addEventListener = ((...args: Parameters<typeof add>) => {
      added++;
      return add(...args);
    }) as typeof add;
    ac.signal.removeEventListener = ((...args: Parameters<typeof remove>) => {
      removed++;
      return remove(...args);
    }) as typeof remove;
    let late: PolicyContext | undefined;
    await t.execute(
      async (ctx) => {
        late = ctx;
        return 1;
      },
      { signal: ac.signal },
    );
    // Read only after the call ended: the signal still works but links nothing to the caller's.
    expect(late?.signal.aborted).toBe(false);
    expect(added - removed).toBe(0);
    let during: PolicyContext | undefined;
    await t.execute(
      async (ctx) => {
        during = ctx;
        return ctx.signal.aborted;
      },
      { signal: ac.signal },
    );
    expect(during).toBeDefined();
    expect(added).toBeGreaterThan(1);
    expect(added - removed).toBe(0);
  });
});
