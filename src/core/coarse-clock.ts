import { type Clock, systemClock } from './clock.js';

/** Options of `coarseClock`. */
export interface CoarseClockOptions {
  /** How long one reading of the base clock is reused, at most. Default 1 ms. */
  resolutionMs?: number;
  /** How many `now()` calls one reading serves, at most, so a long synchronous run still sees time move. Default 64. */
  maxReuse?: number;
}

/**
 * A clock whose `now()` reads `base` at most once per `resolutionMs` (cleared by one unref'd timer of
 * the base clock) and at most every `maxReuse` calls; timers are the base clock's. For hot paths that
 * judge expiry on every call: on virtual machines whose clock source traps, one `Date.now()` costs
 * ~200 ns, more than an L1 hit itself. A reader may see a time up to `resolutionMs` old, or older while
 * one event-loop turn runs fewer than `maxReuse` reads (as lru-cache's `ttlResolution`).
 */
export function coarseClock(base: Clock = systemClock, options: CoarseClockOptions = {}): Clock {
  const resolutionMs = options.resolutionMs ?? 1;
  const maxReuse = Math.max(1, Math.floor(options.maxReuse ?? 64));
  let cached = 0;
  let left = 0;
  let armed = false;
  const expire = () => {
    armed = false;
    left = 0;
  };
  return {
    now() {
      if (left !== 0) {
        left--;
        return cached;
      }
      cached = base.now();
      left = maxReuse - 1;
      if (!armed) {
        armed = true;
        base.setTimeout(expire, resolutionMs);
      }
      return cached;
    },
    setTimeout: (fn, ms, timerOptions) => base.setTimeout(fn, ms, timerOptions),
    clearTimeout: (handle) => base.clearTimeout(handle),
  };
}

/** The system clock read through `coarseClock` with its defaults, shared so one timer serves every user. */
export const coarseSystemClock: Clock = coarseClock(systemClock);
