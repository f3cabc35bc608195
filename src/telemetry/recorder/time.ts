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
 * Whole epoch seconds and the nanoseconds past them, of epoch milliseconds, to the microsecond: a
 * double holds today's epoch milliseconds to about a quarter of a microsecond, so finer digits would
 * be noise.
 */
function split(ms: number): [number, number] {
  let sec = Math.floor(ms / 1000);
  let nanos = Math.round((ms - sec * 1000) * 1e3) * 1e3;
  if (nanos >= 1e9) {
    sec += 1;
    nanos -= 1e9;
  }
  return [sec, nanos];
}

/** Epoch milliseconds as the API's `HrTime`. */
export function hrTimeOf(ms: number): HrTime {
  return split(ms);
}

/**
 * Epoch milliseconds as OTLP/JSON's `…UnixNano`: a decimal string (it exceeds 2^53). The same split
 * as `hrTimeOf`, without its array; the nanoseconds zero-padded by adding 1e9 and dropping the `1`.
 */
export function unixNanoOf(ms: number): string {
  let sec = Math.floor(ms / 1000);
  let nanos = Math.round((ms - sec * 1000) * 1e3) * 1e3;
  if (nanos >= 1e9) {
    sec += 1;
    nanos -= 1e9;
  }
  return sec === 0 ? String(nanos) : String(sec) + String(nanos + 1e9).slice(1);
}
