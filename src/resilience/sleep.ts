import { AbortedError, type Clock, type TimerHandle, systemClock } from '../core/index.js';
import { abortedError } from './context.js';

/** An awaited wait holds the event loop (one shared options object, no allocation per wait). */
const KEEP_ALIVE = { keepAlive: true } as const;

/**
 * Resolves after `ms` on `clock` (default `systemClock`). The wait holds the event loop like a plain
 * `setTimeout`, so a script awaiting it runs to the end. Aborting `signal` rejects at once with
 * `AbortedError` and clears the timer.
 */
export function sleep(
  ms: number,
  options: { signal?: AbortSignal | undefined; clock?: Clock } = {},
): Promise<void> {
  return trackedSleep(ms, options.signal, options.clock ?? systemClock, undefined);
}

/**
 * The waits a policy has pending, so `dispose()` can cancel them all (clearing their timers).
 * @internal
 */
export class PendingWaits {
  private readonly cancels = new Set<(err: AbortedError) => void>();
  private disposedFlag = false;

  get disposed(): boolean {
    return this.disposedFlag;
  }

  add(cancel: (err: AbortedError) => void): void {
    this.cancels.add(cancel);
  }

  delete(cancel: (err: AbortedError) => void): void {
    this.cancels.delete(cancel);
  }

  get size(): number {
    return this.cancels.size;
  }

  dispose(what: string): void {
    this.disposedFlag = true;
    const err = new AbortedError(`${what} was disposed while this call waited`);
    for (const cancel of [...this.cancels]) cancel(err);
    this.cancels.clear();
  }
}

/**
 * @internal `sleep` that a policy's `dispose()` can cancel through `pending`. Someone awaits it, so
 * its timer keeps the process alive until it fires, is aborted or is disposed.
 */
export function trackedSleep(
  ms: number,
  signal: AbortSignal | undefined,
  clock: Clock,
  pending: PendingWaits | undefined,
): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortedError(signal.reason));
  if (pending?.disposed)
    return Promise.reject(new AbortedError('the policy was disposed; it starts no new waits'));
  return new Promise<void>((resolve, reject) => {
    let handle: TimerHandle;
    const cancel = (err: AbortedError) => {
      clock.clearTimeout(handle);
      signal?.removeEventListener('abort', onAbort);
      pending?.delete(cancel);
      reject(err);
    };
    const onAbort = () => cancel(abortedError(signal?.reason));
    handle = clock.setTimeout(
      () => {
        signal?.removeEventListener('abort', onAbort);
        pending?.delete(cancel);
        resolve();
      },
      Math.max(0, ms),
      KEEP_ALIVE,
    );
    signal?.addEventListener('abort', onAbort, { once: true });
    pending?.add(cancel);
  });
}
