/**
 * The abort side of one tool call as a compiled tool sees it: the client's cancellation or the
 * gateway's shutdown. `aborted` and `reason` are read without making anything; the AbortSignal
 * itself exists only once `signal` is read (a cached answer never needs one).
 */
export interface CallSignal {
  readonly aborted: boolean;
  readonly reason: unknown;
  /** Aborts when the call is cancelled; made on first read. */
  readonly signal: AbortSignal;
}
