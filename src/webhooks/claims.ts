import type { Clock, Logger } from '../core/index.js';
import type { ClaimResult, DedupeStore } from './dedupe-store.js';
import { errorForLog } from '../core/index.js';

// An in-flight mark outlives the deadline so a slow handler keeps it, yet expires soon after a crash.
export const IN_FLIGHT_GRACE_MS = 30_000;
// While handlers run, the mark is refreshed this often (well inside its TTL of deadline + grace).
const REFRESH_EVERY_MS = IN_FLIGHT_GRACE_MS / 3;

/**
 * Claims every key for this delivery; if one is taken, gives back those it already took and reports
 * the taken one's state (`done` wins over `in_flight`). A store failure also gives back what was taken,
 * and the key whose claim failed.
 */
export async function claimAll(
  store: DedupeStore,
  keys: readonly string[],
  token: string,
  ttlMs: number,
): Promise<ClaimResult> {
  const taken: string[] = [];
  let claiming: string | undefined;
  try {
    for (const k of keys) {
      claiming = k;
      const r = await store.claim(k, token, ttlMs);
      if (r !== 'claimed') {
        for (const t of taken) await store.release(t, token);
        return r;
      }
      taken.push(k);
    }
    return 'claimed';
  } catch (err) {
    // A claim that failed at the client (a command timeout) may still be applied by the store later,
    // and would then block the id for the in-flight TTL with a mark nobody holds. Releasing it too is
    // safe (compare-and-delete on this delivery's token) and, on Redis, queued behind the claim; not
    // awaited, so the sender's 503 is not held up by a store that is not answering.
    if (claiming !== undefined && !taken.includes(claiming))
      void Promise.resolve()
        .then(() => store.release(claiming!, token))
        .catch(() => {});
    for (const t of taken) await store.release(t, token).catch(() => {});
    throw err;
  }
}

/**
 * Refreshes the in-flight marks every `REFRESH_EVERY_MS` on an unref'd clock timer until the returned
 * stop function is called (when the work settles). A store without `extend` is left to its TTL.
 */
export function keepMarks(
  store: DedupeStore,
  keys: readonly string[],
  token: string,
  ttlMs: number,
  clock: Clock,
  log: Logger,
): () => void {
  if (store.extend === undefined) return () => {};
  let stopped = false;
  let timer: ReturnType<Clock['setTimeout']> | undefined;
  const tick = async () => {
    timer = undefined;
    for (const k of keys) {
      try {
        const held = await store.extend!(k, token, ttlMs);
        // After stop the work has settled and the mark was completed/released on purpose.
        if (!held && !stopped) log.warn({ op: 'extend' }, 'webhook in-flight mark lost');
      } catch (err) {
        log.error({ err: errorForLog(err), op: 'extend' }, 'webhook de-dup store update failed');
      }
    }
    if (!stopped) timer = clock.setTimeout(() => void tick(), REFRESH_EVERY_MS);
  };
  timer = clock.setTimeout(() => void tick(), REFRESH_EVERY_MS);
  return () => {
    stopped = true;
    if (timer !== undefined) clock.clearTimeout(timer);
    timer = undefined;
  };
}

export async function finish(log: Logger, op: () => Promise<void>, what: string): Promise<void> {
  try {
    await op();
  } catch (err) {
    // complete: the event was processed; the in-flight mark expires on its own. release: same, later retry.
    log.error({ err: errorForLog(err), op: what }, 'webhook de-dup store update failed');
  }
}
