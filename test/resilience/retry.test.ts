import { getEventListeners } from 'node:events';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AbortedError, ManualClock } from '../../src/core/index.js';
import {
  backoffDelay,
  type GiveUpEvent,
  RetryBudgetExhaustedError,
  type RetryEvent,
  type RetryOptions,
  retry,
  retryBudget,
} from '../../src/resilience/index.js';
import { drive } from './helpers.js';

class Flaky extends Error {
  constructor(
    readonly n: number,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(`fail ${n}`);
    Object.assign(this, extra);
  }
}

/** A retry policy whose onRetry and onGiveUp events are recorded, in order. */
function recordingRetry(options: RetryOptions) {
  const events: RetryEvent[] = [];
  const gaveUp: GiveUpEvent[] = [];
  const policy = retry({ ...options, onRetry: (e) => events.push(e), onGiveUp: (e) => gaveUp.push(e) });
  return { policy, events, gaveUp };
}

/** An operation that throws `error` on every call, counting the calls. */
function alwaysThrowing(error: unknown) {
  const op = {
    calls: 0,
    run: (): never => {
      op.calls++;
      throw error;
    },
  };
  return op;
}

/**
 * Runs a policy built from `options` on an operation that throws `asked`, and checks it gave up at
 * once: `asked` itself, one call, no retry event, no time passed and no timer left. Returns the
 * give-up events for the caller's reason check.
 */
async function expectGivesUpAtOnce(options: RetryOptions, asked: Error) {
  const clock = new ManualClock(0);
  const { policy, events, gaveUp } = recordingRetry({ ...options, clock });
  const op = alwaysThrowing(asked);
  expect(await policy.execute(op.run).catch((e: unknown) => e)).toBe(asked);
  expect(op.calls).toBe(1);
  expect(events).toEqual([]);
  expect(clock.now()).toBe(0);
  expect(clock.pending()).toBe(0);
  return gaveUp;
}

describe('retry', () => {
  it('follows the exponential schedule without jitter, capped by maxDelayMs', async () => {
    const clock = new ManualClock(1000);
    const starts: number[] = [];
    const { policy, events } = recordingRetry({
      maxAttempts: 6,
      baseDelayMs: 100,
      multiplier: 2,
      maxDelayMs: 500,
      jitter: 'none',
      clock,
    });
    const { error } = await drive(
      clock,
      policy.execute((ctx) => {
        starts.push(clock.now());
        throw new Flaky(ctx.attempt);
      }),
    );
    expect((error as Flaky).n).toBe(6);
    expect(events.map((e) => e.delayMs)).toEqual([100, 200, 400, 500, 500]);
    expect(events.map((e) => e.attempt)).toEqual([1, 2, 3, 4, 5]);
    expect(starts.map((t, i) => t - (starts[i - 1] ?? t))).toEqual([0, 100, 200, 400, 500, 500]);
    expect(clock.pending()).toBe(0);
  });

  it('passes the attempt number and returns the first success', async () => {
    const clock = new ManualClock();
    const seen: number[] = [];
    const policy = retry({ maxAttempts: 5, baseDelayMs: 10, jitter: 'none', clock });
    const { value } = await drive(
      clock,
      policy.execute(async (ctx) => {
        seen.push(ctx.attempt);
        if (ctx.attempt < 3) throw new Error('not yet');
        return `ok ${ctx.attempt}`;
      }),
    );
    expect(value).toBe('ok 3');
    expect(seen).toEqual([1, 2, 3]);
  });

  it('keeps every jitter mode within its bounds', () => {
    const opts = { baseDelayMs: 50, multiplier: 3, maxDelayMs: 10_000 };
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 30 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        fc.double({ min: 0, max: 20_000, noNaN: true }),
        (n, r, prev) => {
          const exp = Math.min(opts.maxDelayMs, opts.baseDelayMs * opts.multiplier ** (n - 1));
          expect(backoffDelay(n, prev, { ...opts, jitter: 'none' }, () => r)).toBe(exp);
          const full = backoffDelay(n, prev, { ...opts, jitter: 'full' }, () => r);
          expect(full).toBeGreaterThanOrEqual(0);
          expect(full).toBeLessThanOrEqual(exp);
          const equal = backoffDelay(n, prev, { ...opts, jitter: 'equal' }, () => r);
          expect(equal).toBeGreaterThanOrEqual(exp / 2);
          expect(equal).toBeLessThanOrEqual(exp);
          const dec = backoffDelay(n, prev, { ...opts, jitter: 'decorrelated' }, () => r);
          expect(dec).toBeGreaterThanOrEqual(Math.min(opts.baseDelayMs, opts.maxDelayMs));
          expect(dec).toBeLessThanOrEqual(Math.min(opts.maxDelayMs, Math.max(prev, opts.baseDelayMs) * 3));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('uses the injected random source for jitter', async () => {
    const clock = new ManualClock();
    const { policy, events } = recordingRetry({
      maxAttempts: 3,
      baseDelayMs: 100,
      jitter: 'full',
      random: () => 0.25,
      clock,
    });
    await drive(clock, policy.execute(alwaysThrowing(new Error('x')).run));
    expect(events.map((e) => e.delayMs)).toEqual([25, 50]);
  });

  it('retries results rejected by retryOnResult and returns the last one when attempts run out', async () => {
    const clock = new ManualClock();
    let calls = 0;
    const { policy, gaveUp } = recordingRetry({
      maxAttempts: 3,
      baseDelayMs: 1,
      jitter: 'none',
      clock,
      retryOnResult: (r) => (r as { status: number }).status === 503,
    });
    const { value } = await drive(
      clock,
      policy.execute(() => ({ status: 503, n: ++calls })),
    );
    expect(value).toEqual({ status: 503, n: 3 });
    expect(gaveUp).toEqual([{ attempt: 3, reason: 'max-attempts', result: { status: 503, n: 3 } }]);
  });

  it('does not retry errors rejected by retryOn, and reports not-retryable', async () => {
    const { policy, gaveUp } = recordingRetry({ maxAttempts: 5, retryOn: (e) => !(e instanceof TypeError) });
    const op = alwaysThrowing(new TypeError('bad input'));
    await expect(policy.execute(op.run)).rejects.toBeInstanceOf(TypeError);
    expect(op.calls).toBe(1);
    expect(gaveUp[0]?.reason).toBe('not-retryable');
  });

  it('honours Retry-After from retryAfterMs and from a raw header', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const { policy, events } = recordingRetry({
      maxAttempts: 4,
      baseDelayMs: 10,
      maxDelayMs: 5000,
      jitter: 'none',
      clock,
    });
    const errors = [
      new Flaky(1, { retryAfterMs: 1234 }),
      new Flaky(2, { retryAfter: '3' }),
      // An HTTP-date 9 s after the start, read at 4234 ms.
      new Flaky(3, { retryAfter: new Date(Date.UTC(2026, 0, 1, 0, 0, 9)).toUTCString() }),
    ];
    const { value } = await drive(
      clock,
      policy.execute((ctx) => {
        const e = errors[ctx.attempt - 1];
        if (e) throw e;
        return 'done';
      }),
    );
    expect(value).toBe('done');
    expect(events.map((e) => [e.delayMs, e.fromRetryAfter])).toEqual([
      [1234, true],
      [3000, true],
      [4766, true],
    ]);
  });

  it('gives up at once with the last error when Retry-After exceeds maxDelayMs (never retries early)', async () => {
    const asked = new Flaky(1, { retryAfterMs: 120_000 });
    const gaveUp = await expectGivesUpAtOnce({ maxAttempts: 5, maxDelayMs: 30_000 }, asked);
    expect(gaveUp).toEqual([{ attempt: 1, reason: 'retry-after-too-long', error: asked }]);
  });

  it('waits exactly maxDelayMs when Retry-After equals it', async () => {
    const clock = new ManualClock(0);
    const starts: number[] = [];
    const policy = retry({ maxAttempts: 2, maxDelayMs: 30_000, clock });
    await drive(
      clock,
      policy.execute(() => {
        starts.push(clock.now());
        if (starts.length === 1) throw new Flaky(1, { retryAfterMs: 30_000 });
        return 'ok';
      }),
      1000,
    );
    expect(starts).toEqual([0, 30_000]);
  });

  it('ignores a malformed Retry-After and falls back to backoff', async () => {
    const clock = new ManualClock();
    const { policy, events } = recordingRetry({ maxAttempts: 2, baseDelayMs: 40, jitter: 'none', clock });
    await drive(clock, policy.execute(alwaysThrowing(new Flaky(1, { retryAfter: 'whenever' })).run));
    expect(events.map((e) => [e.delayMs, e.fromRetryAfter])).toEqual([[40, false]]);
  });

  it('honours Retry-After carried by a result too', async () => {
    const clock = new ManualClock();
    const { policy, events } = recordingRetry({
      maxAttempts: 2,
      baseDelayMs: 1,
      jitter: 'none',
      clock,
      retryOnResult: (r) => (r as { status: number }).status === 429,
    });
    const { value } = await drive(
      clock,
      policy.execute((ctx) => (ctx.attempt === 1 ? { status: 429, retryAfter: '2' } : { status: 200 })),
    );
    expect(value).toEqual({ status: 200 });
    expect(events[0]?.delayMs).toBe(2000);
  });

  it('stops at maxElapsedMs and cuts the last wait to end at the deadline', async () => {
    const clock = new ManualClock();
    const starts: number[] = [];
    const { policy, gaveUp } = recordingRetry({
      maxAttempts: 100,
      baseDelayMs: 300,
      multiplier: 1,
      jitter: 'none',
      maxElapsedMs: 1000,
      clock,
    });
    await drive(
      clock,
      policy.execute(() => {
        starts.push(clock.now());
        throw new Error('down');
      }),
    );
    // 0, 300, 600, 900, then the 300 ms wait is cut to 100 ms: the last attempt starts at the deadline.
    expect(starts).toEqual([0, 300, 600, 900, 1000]);
    expect(gaveUp[0]?.reason).toBe('max-elapsed');
    expect(gaveUp[0]?.attempt).toBe(5);
  });

  it('gives up at once when a Retry-After outlasts the deadline, instead of waiting and failing', async () => {
    const asked = new Flaky(0, { retryAfterMs: 30_000 });
    const gaveUp = await expectGivesUpAtOnce(
      { maxAttempts: 3, maxDelayMs: 60_000, maxElapsedMs: 2000 },
      asked,
    );
    expect(gaveUp[0]).toMatchObject({ attempt: 1, reason: 'max-elapsed', error: asked });
  });

  it('retries after a Retry-After that fits in the time left', async () => {
    const clock = new ManualClock();
    const starts: number[] = [];
    const policy = retry({ maxAttempts: 3, maxDelayMs: 60_000, maxElapsedMs: 2000, clock });
    const { value } = await drive(
      clock,
      policy.execute(() => {
        starts.push(clock.now());
        if (starts.length === 1) throw new Flaky(0, { retryAfterMs: 2000 });
        return 'ok';
      }),
      100,
    );
    expect(value).toBe('ok');
    expect(starts).toEqual([0, 2000]);
  });

  it('an abort during the wait rejects at once, clears the timer and starts no further attempt', async () => {
    const clock = new ManualClock();
    const ac = new AbortController();
    const { policy, gaveUp } = recordingRetry({ maxAttempts: 5, baseDelayMs: 10_000, jitter: 'none', clock });
    const op = alwaysThrowing(new Error('down'));
    const p = policy.execute(op.run, { signal: ac.signal });
    const outcome = p.then(
      () => 'resolved',
      (e) => e,
    );
    await clock.advanceAsync(5000);
    expect(clock.pending()).toBe(1);
    ac.abort(new Error('user cancelled'));
    const err = await outcome;
    expect(err).toBeInstanceOf(AbortedError);
    expect(clock.pending()).toBe(0);
    await clock.advanceAsync(60_000);
    expect(op.calls).toBe(1);
    expect(gaveUp[0]?.reason).toBe('aborted');
  });

  it('an abort during an attempt aborts ctx.signal, rejects at once and does not retry', async () => {
    const ac = new AbortController();
    let calls = 0;
    let sawAbort = false;
    const policy = retry({ maxAttempts: 5, baseDelayMs: 1 });
    const p = policy.execute(
      (ctx) => {
        calls++;
        return new Promise((_, reject) => {
          ctx.signal.addEventListener('abort', () => {
            sawAbort = true;
            reject(ctx.signal.reason);
          });
        });
      },
      { signal: ac.signal },
    );
    ac.abort();
    await expect(p).rejects.toBeInstanceOf(AbortedError);
    expect(sawAbort).toBe(true);
    await new Promise((r) => setImmediate(r));
    expect(calls).toBe(1);
  });

  it('an already-aborted signal runs nothing', async () => {
    let calls = 0;
    await expect(retry().execute(() => calls++, { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(
      AbortedError,
    );
    expect(calls).toBe(0);
  });

  it('with operationSettlesOnAbort, an abort during the wait still rejects at once and starts no further attempt', async () => {
    const clock = new ManualClock();
    const ac = new AbortController();
    const { policy, gaveUp } = recordingRetry({ maxAttempts: 5, baseDelayMs: 10_000, jitter: 'none', clock });
    const op = alwaysThrowing(new Error('down'));
    const outcome = policy.execute(op.run, { signal: ac.signal, operationSettlesOnAbort: true }).then(
      () => 'resolved',
      (e) => e,
    );
    await clock.advanceAsync(5000);
    ac.abort(new Error('user cancelled'));
    expect(await outcome).toBeInstanceOf(AbortedError);
    expect(clock.pending()).toBe(0);
    await clock.advanceAsync(60_000);
    expect(op.calls).toBe(1);
    expect(gaveUp[0]?.reason).toBe('aborted');
  });

  it("a stop signal beside the caller's ends the wait at once, and no listener is left on it afterwards", async () => {
    const clock = new ManualClock();
    const caller = new AbortController();
    const stop = new AbortController();
    const { policy, gaveUp } = recordingRetry({ maxAttempts: 5, baseDelayMs: 10_000, jitter: 'none', clock });
    const op = alwaysThrowing(new Error('down'));
    const outcome = policy
      .execute(op.run, { signal: caller.signal, stopSignal: stop.signal, operationSettlesOnAbort: true })
      .then(
        () => 'resolved',
        (e) => e,
      );
    await clock.advanceAsync(5000);
    expect(getEventListeners(stop.signal, 'abort')).toHaveLength(1);
    stop.abort(new AbortedError('shutting down'));
    const err = await outcome;
    expect(err).toBeInstanceOf(AbortedError);
    expect((err as Error).message).toBe('shutting down');
    expect(clock.pending()).toBe(0);
    expect(op.calls).toBe(1);
    expect(gaveUp[0]?.reason).toBe('aborted');
    expect(getEventListeners(stop.signal, 'abort')).toHaveLength(0);
    expect(getEventListeners(caller.signal, 'abort')).toHaveLength(0);
  });

  it('a call with a stop signal that never waits adds no listener to it, and an aborted stop signal runs nothing', async () => {
    const stop = new AbortController();
    let seen = -1;
    const value = await retry({ maxAttempts: 3 }).execute(
      () => {
        seen = getEventListeners(stop.signal, 'abort').length;
        return 'ok';
      },
      { stopSignal: stop.signal },
    );
    expect(value).toBe('ok');
    expect(seen).toBe(0);
    stop.abort();
    let calls = 0;
    await expect(retry().execute(() => calls++, { stopSignal: stop.signal })).rejects.toBeInstanceOf(
      AbortedError,
    );
    expect(calls).toBe(0);
  });

  it('without operationSettlesOnAbort, the stop signal rejects at once an operation that ignores it', async () => {
    const stop = new AbortController();
    const p = retry({ maxAttempts: 2 }).execute(() => new Promise<never>(() => {}), {
      stopSignal: stop.signal,
    });
    stop.abort(new Error('closing'));
    await expect(p).rejects.toBeInstanceOf(AbortedError);
    expect(getEventListeners(stop.signal, 'abort')).toHaveLength(0);
  });

  it('with operationSettlesOnAbort, an abort during an attempt settles with what the operation does', async () => {
    const ac = new AbortController();
    let finish!: (v: string) => void;
    let calls = 0;
    const p = retry({ maxAttempts: 5, baseDelayMs: 1 }).execute(
      () => {
        calls++;
        return new Promise<string>((resolve) => {
          finish = resolve;
        });
      },
      { signal: ac.signal, operationSettlesOnAbort: true },
    );
    ac.abort();
    // No race of its own: the operation's outcome is the call's (here it ignores the abort).
    finish('finished anyway');
    await expect(p).resolves.toBe('finished anyway');
    expect(calls).toBe(1);
  });

  it('stops retrying when the budget is exhausted, and can surface RetryBudgetExhaustedError', async () => {
    const clock = new ManualClock();
    const budget = retryBudget({ ratio: 0, minPerSec: 1, windowMs: 1000, clock });
    const { policy, gaveUp } = recordingRetry({
      maxAttempts: 10,
      baseDelayMs: 1,
      jitter: 'none',
      budget,
      clock,
    });
    const op = alwaysThrowing(new Error('down'));
    const { error } = await drive(clock, policy.execute(op.run));
    // One retry allowed per second (minPerSec 1, window 1 s): first try + 1 retry.
    expect(op.calls).toBe(2);
    expect((error as Error).message).toBe('down');
    expect(gaveUp[0]?.reason).toBe('budget');

    const strict = retry({ maxAttempts: 10, baseDelayMs: 1, budget, clock, onBudgetExhausted: 'error' });
    const r = await drive(clock, strict.execute(alwaysThrowing(new Error('still down')).run));
    expect(r.error).toBeInstanceOf(RetryBudgetExhaustedError);
    expect(((r.error as Error).cause as Error).message).toBe('still down');
  });

  it('rejects invalid options with a ConfigError naming the option', () => {
    expect(() => retry({ maxAttempts: 0 })).toThrow(/maxAttempts/);
    expect(() => retry({ multiplier: 0.5 })).toThrow(/multiplier/);
    expect(() => retry({ jitter: 'weird' as 'none' })).toThrow(/jitter/);
  });
});
