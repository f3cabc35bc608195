import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  formatPath,
  parseDuration,
  parseSize,
  resilienceOptionsFor,
  upstreamSchema,
} from '../../src/config/index.js';

describe('units', () => {
  it('parses durations in every unit', () => {
    const factor = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000 }),
        fc.constantFrom(...(Object.keys(factor) as (keyof typeof factor)[])),
        (n, unit) => {
          expect(parseDuration(`${n}${unit}`)).toBe(n * factor[unit]);
          expect(parseDuration(` ${n} ${unit} `)).toBe(n * factor[unit]);
        },
      ),
      { numRuns: 200 },
    );
    expect(parseDuration('1.5s')).toBe(1500);
    expect(parseDuration(250)).toBe(250);
    expect(parseDuration('250')).toBe(250);
    for (const bad of ['', 's', '-1s', '1 sec', '1y', 'abc']) expect(parseDuration(bad)).toBeUndefined();
    expect(parseDuration(-5)).toBeUndefined();
  });

  it('parses sizes with binary multiples', () => {
    expect(parseSize('10MB')).toBe(10 * 1024 * 1024);
    expect(parseSize('512kb')).toBe(512 * 1024);
    expect(parseSize('1GiB')).toBe(1024 ** 3);
    expect(parseSize('100B')).toBe(100);
    expect(parseSize(42)).toBe(42);
    expect(parseSize('10 TB')).toBeUndefined();
  });

  it('formats paths like a reader writes them', () => {
    expect(formatPath(['tools', 2, 'cache', 'ttl'])).toBe('tools[2].cache.ttl');
    expect(formatPath(['upstreams', 'my api', 'baseUrl'])).toBe('upstreams["my api"].baseUrl');
    expect(formatPath([])).toBe('');
  });
});

describe('resilienceOptionsFor', () => {
  it('maps config names to the resilience option names', () => {
    const upstream = upstreamSchema.parse({
      baseUrl: 'http://127.0.0.1:1',
      retry: { maxAttempts: 4, baseDelay: '50ms', maxDelay: '1s', maxElapsed: '5s', jitter: 'equal' },
      breaker: {
        window: { type: 'time', size: '30s', failureRate: 0.5, minimumCalls: 20 },
        slowCall: '2s',
        recoveryTimeout: '10s',
      },
      bulkhead: { maxConcurrent: 8 },
      rateLimit: { perSecond: 5, burst: 10 },
    });
    expect(resilienceOptionsFor(upstream)).toEqual({
      retry: {
        maxAttempts: 4,
        baseDelayMs: 50,
        maxDelayMs: 1000,
        multiplier: 2,
        jitter: 'equal',
        maxElapsedMs: 5000,
      },
      breaker: {
        model: { kind: 'time', windowMs: 30_000, failureRateThreshold: 0.5, minimumCalls: 20 },
        slowCallMs: 2000,
        recoveryMs: 10_000,
        halfOpenMaxConcurrent: 1,
      },
      bulkhead: { maxConcurrent: 8, maxQueue: 0 },
      rateLimit: { ratePerSec: 5, burst: 10 },
    });
    const consecutive = upstreamSchema.parse({ baseUrl: 'http://127.0.0.1:1', breaker: {} });
    expect(resilienceOptionsFor(consecutive).breaker?.model).toEqual({ kind: 'consecutive', threshold: 5 });
    expect(resilienceOptionsFor(upstreamSchema.parse({ baseUrl: 'http://127.0.0.1:1' }))).toEqual({});
  });
});
