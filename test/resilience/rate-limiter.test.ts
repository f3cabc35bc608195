import { describe, expect, it } from 'vitest';
import { AbortedError, ManualClock } from '../../src/core/index.js';
import { RateLimitExceededError, rateLimiter, retryBudget } from '../../src/resilience/index.js';

describe('rateLimiter', () => {
  it('allows a burst, then refills at ratePerSec', () => {
    const clock = new ManualClock();
    const rl = rateLimiter({ ratePerSec: 10, burst: 3, clock });
    expect([rl.tryTake(), rl.tryTake(), rl.tryTake(), rl.tryTake()]).toEqual([true, true, true, false]);
    expect(rl.waitMs()).toBe(100);
    clock.advance(50);
    expect(rl.waitMs()).toBe(50);
    clock.advance(50);
    expect(rl.tryTake()).toBe(true);
    clock.advance(10_000);
    expect(rl.tokens).toBe(3); // never above burst
    expect(rl.tryTake(4)).toBe(false);
    expect(rl.tryTake(3)).toBe(true);
  });

  it('refund gives taken tokens back, never past burst', () => {
    const clock = new ManualClock();
    const rl = rateLimiter({ ratePerSec: 1, burst: 2, clock });
    expect([rl.tryTake(), rl.tryTake(), rl.tryTake()]).toEqual([true, true, false]);
    rl.refund();
    expect(rl.tryTake()).toBe(true);
    expect(rl.tryTake()).toBe(false);
    rl.refund(5);
    expect(rl.tokens).toBe(2);
  });

  it('execute waits for a token, serving waiters in order', async () => {
    const clock = new ManualClock();
    const rl = rateLimiter({ ratePerSec: 4, burst: 1, clock });
    const ran: [string, number][] = [];
    const calls = ['a', 'b', 'c'].map((n) => rl.execute(() => ran.push([n, clock.now()])));
    for (let i = 0; i < 10; i++) await clock.advanceAsync(50);
    await Promise.all(calls);
    expect(ran).toEqual([
      ['a', 0],
      ['b', 250],
      ['c', 500],
    ]);
  });

  it('10,000 waiting calls share one clock timer, run in order, and an aborted one gives its token back', async () => {
    const clock = new ManualClock();
    const rl = rateLimiter({ ratePerSec: 1000, burst: 1, clock });
    const ran: number[] = [];
    const ac = new AbortController();
    const calls = Array.from({ length: 10_000 }, (_, i) =>
      rl.execute(() => ran.push(i), i === 5000 ? { signal: ac.signal } : undefined),
    );
    expect(clock.pending()).toBe(1);
    expect(rl.tokens).toBe(1 - 10_000);
    ac.abort();
    await expect(calls[5000]).rejects.toBeInstanceOf(AbortedError);
    expect(rl.tokens).toBe(2 - 10_000);
    await clock.advanceAsync(10_000);
    await Promise.all(calls.filter((_, i) => i !== 5000));
    expect(ran).toEqual(Array.from({ length: 10_000 }, (_, i) => i).filter((i) => i !== 5000));
    expect(clock.pending()).toBe(0);
  });

  it('rejects with RateLimitExceededError when the wait would exceed maxWaitMs', async () => {
    const clock = new ManualClock();
    const rl = rateLimiter({ ratePerSec: 1, burst: 1, maxWaitMs: 500, clock });
    await rl.execute(() => 1);
    await expect(rl.execute(() => 2)).rejects.toBeInstanceOf(RateLimitExceededError);
    await expect(rl.execute(() => 2)).rejects.toMatchObject({
      code: 'RATE_LIMIT_EXCEEDED',
      retryAfterMs: 1000,
    });
  });

  it('an aborted waiter refunds its reserved token and clears its timer', async () => {
    const clock = new ManualClock();
    const rl = rateLimiter({ ratePerSec: 1, burst: 1, clock });
    rl.tryTake();
    const ac = new AbortController();
    const p = rl.acquire({ signal: ac.signal });
    expect(rl.tokens).toBe(-1);
    expect(clock.pending()).toBe(1);
    ac.abort();
    await expect(p).rejects.toBeInstanceOf(AbortedError);
    expect(rl.tokens).toBe(0);
    expect(clock.pending()).toBe(0);
  });
});

describe('retryBudget', () => {
  it('allows retries up to ratio × calls plus the per-second minimum, over the window', () => {
    const clock = new ManualClock();
    const budget = retryBudget({ ratio: 0.2, minPerSec: 0, windowMs: 10_000, clock });
    for (let i = 0; i < 50; i++) budget.recordCall();
    let granted = 0;
    while (budget.tryRetry()) granted++;
    expect(granted).toBe(10);
    expect(budget.snapshot()).toEqual({ calls: 50, retries: 10, available: 0 });
    for (let i = 0; i < 5; i++) budget.recordCall();
    expect(budget.tryRetry()).toBe(true);
    expect(budget.tryRetry()).toBe(false);
  });

  it('the minimum per second lets a quiet client retry', () => {
    const clock = new ManualClock();
    const budget = retryBudget({ ratio: 0.1, minPerSec: 2, windowMs: 1000, clock });
    expect([budget.tryRetry(), budget.tryRetry(), budget.tryRetry()]).toEqual([true, true, false]);
  });

  it('old calls and retries drop out of the window', () => {
    const clock = new ManualClock();
    const budget = retryBudget({ ratio: 0.5, minPerSec: 0, windowMs: 1000, clock });
    for (let i = 0; i < 4; i++) budget.recordCall();
    expect(budget.tryRetry()).toBe(true);
    expect(budget.tryRetry()).toBe(true);
    expect(budget.tryRetry()).toBe(false);
    clock.advance(1000);
    expect(budget.snapshot()).toEqual({ calls: 0, retries: 0, available: 0 });
    budget.recordCall();
    budget.recordCall();
    expect(budget.tryRetry()).toBe(true);
    expect(budget.tryRetry()).toBe(false);
  });

  it('rejects invalid options', () => {
    expect(() => retryBudget({ ratio: -1 })).toThrow(/ratio/);
    expect(() => retryBudget({ windowMs: 0 })).toThrow(/windowMs/);
  });
});
