import { describe, expect, it } from 'vitest';
import { AbortedError, ManualClock } from '../../src/core/index.js';
import { bulkhead, circuitBreaker, rateLimiter, retry, timeout, wrap } from '../../src/resilience/index.js';
import { outcome } from './helpers.js';

describe('dispose', () => {
  it('a disposed composition leaves nothing scheduled and rejects the calls that were waiting', async () => {
    const clock = new ManualClock();
    const r = retry({ maxAttempts: 5, baseDelayMs: 10_000, jitter: 'none', clock });
    const rl = rateLimiter({ ratePerSec: 1, burst: 2, clock });
    const b = bulkhead({ maxConcurrent: 2, maxQueue: 5 });
    const t = timeout({ ms: 60_000, clock });
    const policy = wrap(
      b,
      rl,
      r,
      circuitBreaker({ model: { kind: 'consecutive', threshold: 100 }, clock }),
      t,
    );

    // 1: fails once, then waits 10 s in the retry backoff.
    const waitingRetry = outcome(policy.execute(() => Promise.reject(new Error('down'))));
    // 2: hangs under the 60 s timeout.
    const hanging = outcome(policy.execute(() => new Promise(() => {})));
    // 3: queued in the bulkhead (both slots taken).
    const queued = outcome(policy.execute(() => 'queued'));
    await clock.advanceAsync(0);
    expect(r.waiting).toBe(1);
    expect(b.queued).toBe(1);
    // 4: straight through the rate limiter, which is now out of tokens and must wait.
    const limited = outcome(rl.execute(() => 'limited'));
    expect(rl.tokens).toBeLessThan(0);
    expect(clock.pending()).toBeGreaterThanOrEqual(3);

    policy.dispose();
    await clock.advanceAsync(0);
    expect(clock.pending()).toBe(0);
    expect(waitingRetry.error).toBeInstanceOf(AbortedError);
    expect(limited.error).toBeInstanceOf(AbortedError);
    expect(queued.error).toBeInstanceOf(AbortedError);
    expect(hanging.done).toBe(false); // no longer limited: its deadline was cancelled
    expect(rl.tokens).toBe(0); // the aborted reservation was refunded
    await clock.advanceAsync(120_000);
    expect(clock.pending()).toBe(0);
  });

  it('a disposed retry policy starts no new waits', async () => {
    const clock = new ManualClock();
    const r = retry({ maxAttempts: 3, baseDelayMs: 1, clock });
    r.dispose();
    let calls = 0;
    await expect(
      r.execute(() => {
        calls++;
        throw new Error('x');
      }),
    ).rejects.toBeInstanceOf(AbortedError);
    expect(calls).toBe(1);
    expect(clock.pending()).toBe(0);
  });
});
