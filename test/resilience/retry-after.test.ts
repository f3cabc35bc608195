import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseRetryAfter } from '../../src/resilience/index.js';

const NOW = Date.UTC(2026, 10, 24, 12, 0, 0);

describe('parseRetryAfter', () => {
  it('reads delta-seconds', () => {
    expect(parseRetryAfter('0', NOW)).toBe(0);
    expect(parseRetryAfter('120', NOW)).toBe(120_000);
    expect(parseRetryAfter('  7 ', NOW)).toBe(7000);
  });

  it('reads the three HTTP-date forms relative to now', () => {
    expect(parseRetryAfter('Tue, 24 Nov 2026 12:00:30 GMT', NOW)).toBe(30_000);
    expect(parseRetryAfter('Tuesday, 24-Nov-26 12:01:00 GMT', NOW)).toBe(60_000);
    expect(parseRetryAfter('Tue Nov 24 12:00:05 2026', NOW)).toBe(5000);
    expect(parseRetryAfter('tue, 24 nov 2026 12:00:01 gmt', NOW)).toBe(1000);
  });

  it('gives 0 for a date in the past', () => {
    expect(parseRetryAfter('Sun, 06 Nov 1994 08:49:37 GMT', NOW)).toBe(0);
    expect(parseRetryAfter('Tue, 24 Nov 2026 11:59:59 GMT', NOW)).toBe(0);
  });

  it('ignores malformed values instead of throwing', () => {
    for (const bad of [
      '',
      '   ',
      '-5',
      '1.5',
      '1e3',
      'soon',
      'Tue, 31 Feb 2026 12:00:00 GMT',
      'Tue, 24 Nov 2026 25:00:00 GMT',
      'Tue, 24 Foo 2026 12:00:00 GMT',
      'Tue, 24 Nov 2026 12:00:00 PST',
      '2026-11-24T12:00:00Z',
    ]) {
      expect(parseRetryAfter(bad, NOW), bad).toBeUndefined();
    }
    expect(parseRetryAfter(undefined, NOW)).toBeUndefined();
    expect(parseRetryAfter(null, NOW)).toBeUndefined();
  });

  it('uses the first value of a repeated header', () => {
    expect(parseRetryAfter(['3', '9'], NOW)).toBe(3000);
  });

  it('round-trips any IMF-fixdate produced by Date#toUTCString', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4_000_000_000 }), (sec) => {
        const at = sec * 1000;
        expect(parseRetryAfter(new Date(at).toUTCString(), NOW)).toBe(Math.max(0, at - NOW));
      }),
      { numRuns: 300 },
    );
  });

  it('never throws on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        const v = parseRetryAfter(s, NOW);
        expect(v === undefined || (Number.isFinite(v) && v >= 0)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});

describe('parseRetryAfter: RFC 850 two-digit years follow nowMs, not the wall clock', () => {
  it('the century of "70" depends on the given now', () => {
    const header = 'Thursday, 01-Jan-70 00:00:10 GMT';
    // In 2026, 2070 is within 50 years: the date is 2070, far in the future.
    const now2026 = Date.UTC(2026, 0, 1);
    expect(parseRetryAfter(header, now2026)).toBe(Date.UTC(2070, 0, 1, 0, 0, 10) - now2026);
    // Seen from 1969 (an injected clock), 2070 is more than 50 years ahead: it means 1970, 10 s after now.
    const now1969 = Date.UTC(1969, 11, 31, 23, 59, 50);
    expect(parseRetryAfter(header, now1969)).toBe(20_000);
  });
});
