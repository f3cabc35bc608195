import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatPath, parseDuration, parseSize } from '../../src/config/index.js';

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
