/**
 * The one reconnect policy of every Redis connection Conduit creates: retry forever, 50 ms, 100 ms,
 * ... capped at 500 ms. Forever, because an outage ends and the features degrade meanwhile (cache to
 * L1 + factories, breakers to local judgement); capped low, so recovery is noticed within half a
 * second. `attempt` counts from 1.
 */
export function reconnectDelayMs(attempt: number): number {
  return Math.min(50 * Math.max(1, attempt), 500);
}
