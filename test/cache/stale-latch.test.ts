import { describe, expect, it } from 'vitest';
import { createCache } from '../../src/cache/index.js';
import { latchMs } from '../../src/cache/engine/latch.js';
import { AbortedError, ManualClock } from '../../src/core/index.js';
import { circuitBreaker } from '../../src/resilience/index.js';

/**
 * The stale-if-error latch: after a factory failure served stale, the key does not call the factory
 * again for `staleIfErrorThrottleMs`, unless the error said when a call may succeed again.
 */
describe('stale-if-error latch', () => {
  it('ends when the open breaker admits a probe, not a fixed 5 s later: fresh as soon as the upstream is back', async () => {
    const clock = new ManualClock(0);
    const cache = createCache({ clock, ttlMs: 200, staleIfErrorMs: 60_000 }); // throttle: default 5 s
    const breaker = circuitBreaker({
      model: { kind: 'consecutive', threshold: 1 },
      recoveryMs: 1000,
      clock,
    });
    let healthy = true;
    let upstreamCalls = 0;
    const upstream = async () => {
      upstreamCalls++;
      if (!healthy) throw new Error('500 from the upstream');
      return `v${upstreamCalls}`;
    };
    const factory = () => breaker.execute(upstream);
    const read = () => cache.getOrSetWithMeta('k', factory);

    expect(await read()).toEqual({ value: 'v1', source: 'factory', stale: false });
    // Another key's call fails and opens the breaker (as an uncached tool's call does in the gateway).
    healthy = false;
    await expect(breaker.execute(upstream)).rejects.toThrow('500');
    expect(breaker.state).toBe('open');

    // k expires while the breaker is open: its refresh is rejected (CIRCUIT_OPEN, retry in 800 ms).
    clock.advance(200);
    expect(await read()).toEqual({ value: 'v1', source: 'l1', stale: true });
    // Latched: calls within the breaker's recovery do not even ask the breaker.
    expect(await read()).toMatchObject({ stale: true });
    expect(cache.stats().factoryCalls).toBe(2);

    // The upstream heals; the breaker admits a probe 1000 ms after it opened (800 ms from the latch).
    healthy = true;
    clock.advance(799);
    expect(await read()).toMatchObject({ stale: true });
    expect(cache.stats().factoryCalls).toBe(2);
    clock.advance(1);
    // This refresh is the probe: it succeeds, the breaker closes, the caller gets the fresh value. With
    // the old fixed latch (5 s) the key answered stale for 4.2 s more although the upstream was back.
    expect(await read()).toEqual({ value: 'v3', source: 'factory', stale: false });
    expect(breaker.state).toBe('closed');
    await cache.close();
  });

  it('a half-open rejection latches for the probe wait only', async () => {
    const clock = new ManualClock(0);
    const cache = createCache({ clock, ttlMs: 200, staleIfErrorMs: 60_000 });
    const breaker = circuitBreaker({
      model: { kind: 'consecutive', threshold: 1 },
      recoveryMs: 1000,
      probeWaitMs: 300,
      clock,
    });
    await cache.set('k', 'old');
    await expect(
      breaker.execute(() => {
        throw new Error('500');
      }),
    ).rejects.toThrow('500');
    clock.advance(1000);
    // A probe is in flight (another key's call): k's refresh is rejected with the half-open hint.
    let finishProbe!: () => void;
    const probe = breaker.execute(() => new Promise<void>((r) => (finishProbe = r)));
    expect(breaker.state).toBe('half-open');
    let calls = 0;
    const factory = () => {
      calls++;
      return breaker.execute(async () => 'fresh');
    };
    expect(await cache.getOrSetWithMeta('k', factory)).toMatchObject({ value: 'old', stale: true });
    finishProbe();
    await probe;
    expect(breaker.state).toBe('closed');
    clock.advance(299);
    expect(await cache.getOrSetWithMeta('k', factory)).toMatchObject({ value: 'old', stale: true });
    expect(calls).toBe(1);
    clock.advance(1);
    expect(await cache.getOrSetWithMeta('k', factory)).toEqual({
      value: 'fresh',
      source: 'factory',
      stale: false,
    });
    expect(calls).toBe(2);
    await cache.close();
  });

  it('a refresh its caller cancelled is no upstream failure: no latch, and the next read asks again', async () => {
    const clock = new ManualClock(0);
    const cache = createCache({ clock, ttlMs: 200, staleIfErrorMs: 60_000 });
    await cache.set('k', 'old');
    clock.advance(200);
    const cancelled = await cache
      .getOrSetWithMeta('k', () => Promise.reject(new AbortedError('The operation was aborted')))
      .then(
        (r) => r,
        (err: unknown) => err,
      );
    // The caller that cancelled hears its cancellation, not a stale answer it no longer waits for.
    expect(cancelled).toBeInstanceOf(AbortedError);
    let calls = 0;
    const fresh = await cache.getOrSetWithMeta('k', async () => {
      calls++;
      return 'fresh';
    });
    expect(fresh).toEqual({ value: 'fresh', source: 'factory', stale: false });
    expect(calls).toBe(1);
    expect(cache.stats().factoryErrors).toBe(0);
    await cache.close();
  });

  it('keeps the configured throttle when the error has no hint, a longer one, or an infinite one', () => {
    expect(latchMs(new Error('500'), 5000)).toBe(5000);
    expect(latchMs({ retryAfterMs: 250 }, 5000)).toBe(250);
    expect(latchMs({ retryAfterMs: 0 }, 5000)).toBe(0);
    expect(latchMs({ retryAfterMs: 60_000 }, 5000)).toBe(5000);
    expect(latchMs({ retryAfterMs: Number.POSITIVE_INFINITY }, 5000)).toBe(5000); // an isolated breaker
    expect(latchMs({ retryAfterMs: -1 }, 5000)).toBe(5000);
    expect(latchMs({ retryAfterMs: '100' }, 5000)).toBe(5000);
    expect(latchMs(undefined, 5000)).toBe(5000);
  });
});
