/**
 * The end of stdin, noticed from the moment `serve` begins. A stdio client may close stdin while the
 * gateway is still starting (the stdio server reads from its first moment); a listener attached once
 * start-up is done would miss that end, and `serve` would wait for a stop that never comes.
 */
export interface StdinEnd {
  /** Calls `listener` once stdin has ended: at once if it already has. */
  onEnd(listener: () => void): void;
  /** Stops listening. */
  stop(): void;
}

/** Starts noticing the end of stdin through `onStdinEnd` (none given: stdin never ends). */
export function noticeStdinEnd(onStdinEnd?: (listener: () => void) => () => void): StdinEnd {
  let ended = false;
  let notify: (() => void) | undefined;
  const stop = onStdinEnd?.(() => {
    if (ended) return;
    ended = true;
    notify?.();
  });
  return {
    onEnd(listener) {
      notify = listener;
      if (ended) listener();
    },
    stop: () => stop?.(),
  };
}
