/**
 * Outcome of trying to take an event id: `claimed` — this delivery processes it; `in_flight` — another
 * delivery of the same id is being processed right now; `done` — it was processed already.
 */
export type ClaimResult = 'claimed' | 'in_flight' | 'done';

/**
 * Where processed and in-flight event ids live. An id is claimed with a short in-flight TTL (so a
 * crashed process cannot block the sender's retries for long), marked done with a TTL of days (the
 * senders' retry horizon), or released on failure so the retry is processed.
 */
export interface DedupeStore {
  /** Takes `key` for this delivery (`token` identifies it) unless it is in flight or done. */
  claim(key: string, token: string, inFlightTtlMs: number): Promise<ClaimResult>;
  /** Marks `key` processed for `ttlMs`, if this delivery still holds it (or nobody does). */
  complete(key: string, token: string, ttlMs: number): Promise<void>;
  /**
   * Pushes this delivery's in-flight mark out to `inFlightTtlMs` from now, only if it still holds it;
   * true if it did. The receiver calls it while a slow handler runs so the mark cannot expire under it.
   * Optional for custom stores (without it a handler running past the in-flight TTL may be re-run).
   */
  extend?(key: string, token: string, inFlightTtlMs: number): Promise<boolean>;
  /** Drops this delivery's in-flight mark so a retry is processed. No effect on a mark held by another. */
  release(key: string, token: string): Promise<void>;
  /** Releases what the store owns (connections it created). */
  /** Whether a shared store (Redis) is reachable now; absent for a store of this process. */
  connected?(): boolean;
  close(): Promise<void>;
}

/** Senders retry for days (Svix about 28 hours, Standard Webhooks' example about 3 days, Stripe 3 days). */
export const DEFAULT_DEDUPE_TTL_MS = 4 * 24 * 3_600_000;
