import { describe, expect, it } from 'vitest';
import { AbortedError, ManualClock } from '../../src/core/index.js';
import {
  CircuitOpenError,
  circuitBreaker,
  fallback,
  type Policy,
  retry,
  TimeoutError,
  timeout,
  wrap,
} from '../../src/resilience/index.js';

describe('fallback', () => {
  it('replaces errors with a value or a computed one, only those `when` accepts', async () => {
    const byValue = fallback({ value: 'default' });
    expect(await byValue.execute(() => Promise.reject(new Error('x')))).toBe('default');
    expect(await byValue.execute(() => 'real')).toBe('real');

    const byFn = fallback({
      fn: (err) => `from ${(err as Error).message}`,
      when: (e) => e instanceof TypeError,
    });
    expect(await byFn.execute(() => Promise.reject(new TypeError('type')))).toBe('from type');
    await expect(byFn.execute(() => Promise.reject(new RangeError('range')))).rejects.toBeInstanceOf(
      RangeError,
    );
  });

  it('an undefined value is a valid fallback', async () => {
    expect(
      await fallback({ value: undefined }).execute(() => Promise.reject(new Error('x'))),
    ).toBeUndefined();
  });
});

describe('wrap', () => {
  it('composes outermost first: retry → breaker → timeout, each attempt timed out separately', async () => {
    const clock = new ManualClock();
    const breaker = circuitBreaker({ model: { kind: 'consecutive', threshold: 10 }, clock });
    const retries: unknown[] = [];
    const policy = wrap(
      retry({
        maxAttempts: 3,
        baseDelayMs: 10,
        jitter: 'none',
        clock,
        onRetry: (e) => retries.push(e.error),
      }),
      breaker,
      timeout({ ms: 100, clock }),
    );
    const signals: AbortSignal[] = [];
    const attempts: number[] = [];
    const p = policy.execute(async (ctx) => {
      attempts.push(ctx.attempt);
      signals.push(ctx.signal);
      if (ctx.attempt < 3) return new Promise<string>(() => {});
      return 'third time';
    });
    for (let i = 0; i < 10; i++) await clock.advanceAsync(100);
    expect(await p).toBe('third time');
    expect(attempts).toEqual([1, 2, 3]);
    expect(retries.every((e) => e instanceof TimeoutError)).toBe(true);
    // Each attempt got its own signal; the timed-out ones are aborted, the last is not.
    expect(signals.map((s) => s.aborted)).toEqual([true, true, false]);
    expect(breaker.snapshot()).toMatchObject({ calls: 3, failures: 2 });
    expect(clock.pending()).toBe(0);
  });

  it('a breaker rejection inside a retry waits its retryAfterMs', async () => {
    const clock = new ManualClock();
    const breaker = circuitBreaker({ model: { kind: 'consecutive', threshold: 1 }, recoveryMs: 700, clock });
    const delays: number[] = [];
    const policy = wrap(
      retry({
        maxAttempts: 3,
        baseDelayMs: 1,
        jitter: 'none',
        clock,
        onRetry: (e) => delays.push(e.delayMs),
      }),
      breaker,
    );
    let calls = 0;
    const p = policy.execute(() => {
      calls++;
      if (calls === 1) throw new Error('down');
      return 'up';
    });
    for (let i = 0; i < 20; i++) await clock.advanceAsync(100);
    expect(await p).toBe('up');
    // First failure: backoff 1 ms; then the open breaker rejects with retryAfterMs 699.
    expect(delays).toEqual([1, 699]);
    expect(calls).toBe(2);
  });

  it('fallback outermost catches what the rest gives up on', async () => {
    const clock = new ManualClock();
    const breaker = circuitBreaker({ model: { kind: 'consecutive', threshold: 1 }, clock });
    const policy = wrap(
      fallback({ fn: (e) => (e instanceof CircuitOpenError ? 'open' : 'failed') }),
      retry({ maxAttempts: 1 }),
      breaker,
    );
    expect(await policy.execute(() => Promise.reject(new Error('x')))).toBe('failed');
    expect(await policy.execute(() => 'never runs')).toBe('open');
  });

  it('the caller signal reaches the operation through every layer and stops everything', async () => {
    const clock = new ManualClock();
    const policy = wrap(
      retry({ maxAttempts: 5, clock }),
      circuitBreaker({ clock }),
      timeout({ ms: 10_000, clock }),
    );
    const ac = new AbortController();
    let inner: AbortSignal | undefined;
    let calls = 0;
    const p = policy.execute(
      (ctx) => {
        calls++;
        inner = ctx.signal;
        return new Promise((_, reject) =>
          ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)),
        );
      },
      { signal: ac.signal },
    );
    ac.abort();
    await expect(p).rejects.toBeInstanceOf(AbortedError);
    expect(inner?.aborted).toBe(true);
    await clock.advanceAsync(60_000);
    expect(calls).toBe(1);
  });

  it('adapts a foreign policy that only has execute', async () => {
    const seen: string[] = [];
    const foreign: Policy = {
      execute: async (fn, opts) => {
        seen.push(opts?.signal ? 'signal' : 'no signal');
        return fn({ signal: new AbortController().signal, attempt: 99 });
      },
    };
    const policy = wrap(retry({ maxAttempts: 1 }), foreign);
    expect(await policy.execute((ctx) => ctx.attempt)).toBe(1);
    expect(seen).toEqual(['signal']);
  });

  it('an empty wrap just runs the operation', async () => {
    expect(await wrap().execute(() => 5)).toBe(5);
    await expect(
      wrap().execute(() => {
        throw new Error('e');
      }),
    ).rejects.toThrow('e');
  });
});

describe('wrap: a timeout around a retry (a total deadline)', () => {
  it('the outer timeout stops a pending retry wait and no further attempt starts', async () => {
    const clock = new ManualClock();
    const r = retry({ maxAttempts: 10, baseDelayMs: 400, jitter: 'none', multiplier: 1, clock });
    const policy = wrap(timeout({ ms: 1000, clock }), r);
    let calls = 0;
    const p = policy.execute(() => {
      calls++;
      throw new Error('down');
    });
    const settled = p.then(
      () => 'resolved',
      (e) => e,
    );
    await clock.advanceAsync(1000);
    expect(await settled).toBeInstanceOf(TimeoutError);
    // Attempts at 0, 400 and 800; the wait that would end at 1200 was cut off by the timeout.
    expect(calls).toBe(3);
    expect(r.waiting).toBe(0);
    await clock.advanceAsync(10_000);
    expect(calls).toBe(3);
    expect(clock.pending()).toBe(0);
  });
});
