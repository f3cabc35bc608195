import { describe, expect, it } from 'vitest';
import { parseRetryAfter } from '../../src/resilience/index.js';

describe('parseRetryAfter: RFC 850 two-digit years follow nowMs, not the wall clock (item 8)', () => {
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
