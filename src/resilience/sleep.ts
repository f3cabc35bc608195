import { type Clock, type TimerHandle, systemClock } from '../core/index.js';
import { abortedError } from './context.js';

/**
 * Resolves after `ms` on `clock` (default `systemClock`, whose timers never keep the process alive).
 * Aborting `signal` rejects at once with `AbortedError` and clears the timer.
 */
export function sleep(
  ms: number,
  options: { signal?: AbortSignal | undefined; clock?: Clock } = {},
): Promise<void> {
  const { signal, clock = systemClock } = options;
  if (signal?.aborted) return Promise.reject(abortedError(signal.reason));
  return new Promise<void>((resolve, reject) => {
    let handle: TimerHandle;
    const onAbort = () => {
      clock.clearTimeout(handle);
      reject(abortedError(signal?.reason));
    };
    handle = clock.setTimeout(
      () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      },
      Math.max(0, ms),
    );
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
