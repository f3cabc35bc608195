/**
 * The abort side of one tool call as a compiled tool sees it: the client's cancellation or the
 * gateway's shutdown. `aborted` and `reason` are read without making anything; the joined
 * AbortSignal exists only once `signal` is read. An upstream request takes the two signals apart
 * (`clientSignal`, `stopSignal`), so a plain miss makes no signal of its own.
 */
export interface CallSignal {
  readonly aborted: boolean;
  readonly reason: unknown;
  /** Aborts when the call is cancelled or the gateway shuts down; made on first read. */
  readonly signal: AbortSignal;
  /** The client's cancellation alone (the SDK's signal of the request). */
  readonly clientSignal: AbortSignal;
  /** Aborts at the gateway's shutdown; one signal shared by every call running then. */
  readonly stopSignal: AbortSignal;
}

/**
 * `call` without its client's cancellation, for work the client no longer waits for (a cache refresh
 * behind a stale answer): a 2026-07-28 request's signal ends once it is answered. The gateway's
 * shutdown still ends it.
 */
export function stopOnly(call: CallSignal): CallSignal {
  const stop = call.stopSignal;
  return {
    get aborted() {
      return stop.aborted;
    },
    get reason() {
      return stop.reason;
    },
    signal: stop,
    clientSignal: new AbortController().signal,
    stopSignal: stop,
  };
}
