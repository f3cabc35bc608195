import type { ManualClock } from '../../src/core/index.js';

/** An operation that fails with `boom`. */
export const fail = () => Promise.reject(new Error('boom'));
/** An operation that succeeds with `'ok'`. */
export const ok = () => Promise.resolve('ok');

/** Tracks how `p` settles, readable synchronously between clock steps. */
export function outcome<T>(p: Promise<T>) {
  const s: { done: boolean; value?: T; error?: unknown } = { done: false };
  p.then(
    (value) => Object.assign(s, { done: true, value }),
    (error) => Object.assign(s, { done: true, error }),
  );
  return s;
}

/**
 * Settles `p` by advancing the manual clock `stepMs` at a time (at most `maxSteps` steps, then it
 * throws, so a hung promise fails the test instead of hanging it); returns the value or the error.
 */
export async function drive<T>(clock: ManualClock, p: Promise<T>, stepMs = 1, maxSteps = 200_000) {
  const s = outcome(p);
  for (let i = 0; i < maxSteps && !s.done; i++) await clock.advanceAsync(stepMs);
  if (!s.done) throw new Error('promise did not settle');
  return { value: s.value, error: s.error };
}
