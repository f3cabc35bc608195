import type { HrTime, TimeInput } from '@opentelemetry/api';

/** Epoch milliseconds (fractional) now, at sub-microsecond resolution: the recorder's default clock. */
export function epochNowMs(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * A span time as epoch milliseconds. As in the API's contract: an `HrTime` is epoch seconds and
 * nanoseconds, a number below the process's time origin is a `performance.now()` reading, a larger one
 * epoch milliseconds.
 */
export function msOf(time: TimeInput): number {
  if (Array.isArray(time)) return time[0] * 1000 + time[1] / 1e6;
  if (time instanceof Date) return time.getTime();
  return time < performance.timeOrigin ? performance.timeOrigin + time : time;
}

/**
 * Epoch milliseconds as whole epoch microseconds: a double holds today's epoch milliseconds to about a
 * quarter of a microsecond, so finer digits would be noise, and epoch microseconds stay exact integers
 * (below 2^53) until the year 2255.
 */
function microsOf(ms: number): number {
  return Math.round(ms * 1000);
}

/** Epoch milliseconds as the API's `HrTime` (seconds, nanoseconds), to the microsecond. */
export function hrTimeOf(ms: number): HrTime {
  const micros = microsOf(ms);
  const sec = Math.floor(micros / 1e6);
  return [sec, (micros - sec * 1e6) * 1000];
}

/** Epoch milliseconds as OTLP/JSON's `…UnixNano`: a decimal string (it exceeds 2^53), to the microsecond. */
export function unixNanoOf(ms: number): string {
  const micros = microsOf(ms);
  return micros === 0 ? '0' : `${micros}000`;
}
