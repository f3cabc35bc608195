import { z } from 'zod';

/** Durations: a number of ms, or a string such as `250ms`, `30s`, `1.5m`, `1h`, `2d`. */
export const DURATION_PATTERN = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/;
export const DURATION_MESSAGE = 'expected a duration like "30s" or a number of ms';

const DURATION_FACTOR: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses a duration string or number to whole ms; undefined if it is not one. */
export function parseDuration(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? Math.round(value) : undefined;
  const m = DURATION_PATTERN.exec(value);
  if (!m) return undefined;
  return Math.round(Number(m[1]) * (DURATION_FACTOR[m[2] ?? 'ms'] ?? 1));
}

/** Sizes: a number of bytes, or `512B`, `64KB`, `10MB`, `1GB` (binary multiples; `KiB`/`MiB`/`GiB` too). */
export const SIZE_PATTERN = /^\s*(\d+(?:\.\d+)?)\s*(B|KB|KiB|MB|MiB|GB|GiB)?\s*$/i;
export const SIZE_MESSAGE = 'expected a size like "10MB" or a number of bytes';

const SIZE_FACTOR: Record<string, number> = {
  b: 1,
  kb: 1024,
  kib: 1024,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
};

/** Parses a size string or number to whole bytes; undefined if it is not one. */
export function parseSize(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? Math.round(value) : undefined;
  const m = SIZE_PATTERN.exec(value);
  if (!m) return undefined;
  return Math.round(Number(m[1]) * (SIZE_FACTOR[(m[2] ?? 'b').toLowerCase()] ?? 1));
}

/** A non-negative number or a string matching `pattern`, as written. */
function unitInput(pattern: RegExp, message: string) {
  return z.union(
    [
      z.number({ error: message }).nonnegative({ error: message }),
      z.string({ error: message }).regex(pattern, { error: message }),
    ],
    { error: message },
  );
}

/** A field that takes a non-negative number or a string matching `pattern`, parsed by `parse`. */
function unitField(pattern: RegExp, message: string, parse: (v: string | number) => number | undefined) {
  return unitInput(pattern, message).transform((v) => parse(v) as number);
}

/**
 * The longest duration a field takes by default: timers hold 32-bit signed ms (past 2^31 - 1 ms
 * Node.js fires them at once), and 24 days is the largest whole number of days below that.
 */
export const MAX_TIMER_DURATION_MS = 24 * 86_400_000;

/** Cache lifetimes are kept in Redis (PX) and compared with the clock, never waited for: up to a year. */
export const MAX_CACHE_TTL_MS = 365 * 86_400_000;

/** `86400000` → `1d`, `1500` → `1500ms`: the largest unit that divides it evenly. */
export function formatDuration(ms: number): string {
  for (const [unit, factor] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1_000],
  ] as const)
    if (ms >= factor && ms % factor === 0) return `${ms / factor}${unit}`;
  return `${ms}ms`;
}

/**
 * A duration field: accepts ms or a unit string, yields ms, within `[min, max]` (default 0 to 24 days,
 * what a timer can hold; cache lifetimes, which no timer waits for, pass a larger `max`).
 */
export function duration(bounds: { min?: number; max?: number } = {}) {
  const min = bounds.min ?? 0;
  const max = bounds.max ?? MAX_TIMER_DURATION_MS;
  const range = `expected a duration from ${formatDuration(min)} to ${formatDuration(max)}`;
  return unitField(DURATION_PATTERN, DURATION_MESSAGE, parseDuration).transform((ms, ctx) => {
    if (ms < min || ms > max) {
      ctx.addIssue({ code: 'custom', message: `${range}; ${formatDuration(ms)} is out of range` });
      return z.NEVER;
    }
    return ms;
  });
}

/** A size field: accepts bytes or a unit string, yields bytes. */
export function size() {
  return unitField(SIZE_PATTERN, SIZE_MESSAGE, parseSize);
}

/** `268435456` → `256MiB`, `1500` → `1500B`: the largest binary unit that divides it evenly. */
export function formatSize(bytes: number): string {
  for (const [unit, factor] of [
    ['GiB', 1024 ** 3],
    ['MiB', 1024 ** 2],
    ['KiB', 1024],
  ] as const)
    if (bytes >= factor && bytes % factor === 0) return `${bytes / factor}${unit}`;
  return `${bytes}B`;
}

/**
 * A size field within `[min, max]` bytes that comes to a whole number of bytes (`1.5KiB`, not `1.5`);
 * a bare number is bounded in the JSON Schema too, so an editor flags it.
 */
export function boundedSize(min: number, max: number) {
  const range = `from ${formatSize(min)} to ${formatSize(max)}`;
  const whole = `expected a whole number of bytes ${range}, or a size like "16MiB"`;
  return z
    .union(
      [
        z
          .number({ error: whole })
          .int({ error: whole })
          .min(min, { error: whole })
          .max(max, { error: whole }),
        z.string({ error: whole }).regex(SIZE_PATTERN, { error: whole }),
      ],
      { error: whole },
    )
    .transform((v, ctx) => {
      const bytes = exactSize(v);
      if (bytes === undefined || bytes < min || bytes > max) {
        const message =
          bytes === undefined ? whole : `expected a size ${range}; ${formatSize(bytes)} is out of range`;
        ctx.addIssue({ code: 'custom', message });
        return z.NEVER;
      }
      return bytes;
    });
}

/** A size in bytes when it is a whole number of them, unrounded; undefined otherwise. */
function exactSize(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : undefined;
  const m = SIZE_PATTERN.exec(value);
  const bytes = m ? Number(m[1]) * (SIZE_FACTOR[(m[2] ?? 'b').toLowerCase()] ?? 1) : Number.NaN;
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

const INT_PATTERN = /^\s*\d+\s*$/;

/**
 * A non-negative integer field. Digit strings are accepted too, so `port: ${PORT}` works after
 * interpolation (which always yields strings).
 */
export function count(options: { min?: number; max?: number } = {}) {
  const min = options.min ?? 0;
  const max = options.max ?? Number.MAX_SAFE_INTEGER;
  const message = `expected an integer from ${min}${max === Number.MAX_SAFE_INTEGER ? ' up' : ` to ${max}`}`;
  return z
    .union(
      [
        z
          .number({ error: message })
          .int({ error: message })
          .min(min, { error: message })
          .max(max, { error: message }),
        z.string({ error: message }).regex(INT_PATTERN, { error: message }),
      ],
      { error: message },
    )
    .transform(inRange(min, max, message));
}

/** A number in [min, max]; numeric strings accepted (see `count`). */
export function ratio(min: number, max: number) {
  const message = `expected a number from ${min} to ${max}`;
  return z
    .union(
      [
        z.number({ error: message }).min(min, { error: message }).max(max, { error: message }),
        z.string({ error: message }).regex(/^\s*\d+(?:\.\d+)?\s*$/, { error: message }),
      ],
      { error: message },
    )
    .transform(inRange(min, max, message));
}

/** A boolean; `"true"`/`"false"` accepted for interpolated values. */
export function flag() {
  const message = 'expected true or false';
  return z
    .union([z.boolean({ error: message }), z.enum(['true', 'false'], { error: message })], { error: message })
    .transform((v) => v === true || v === 'true');
}

/** A numeric string (or number) checked against [min, max] once it is a number. */
function inRange(min: number, max: number, message: string) {
  return (v: string | number, ctx: z.core.$RefinementCtx<string | number>) => {
    const n = typeof v === 'number' ? v : Number(v);
    if (n < min || n > max) {
      ctx.addIssue({ code: 'custom', message });
      return z.NEVER;
    }
    return n;
  };
}
