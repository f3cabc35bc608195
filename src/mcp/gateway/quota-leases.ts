import { randomUUID } from 'node:crypto';
import { type Clock, errorForLog, type Logger, type TimerHandle } from '../../core/index.js';
import type { Hold, LeaseTimes } from './quota-store.js';

/**
 * Acquire one lease: drop the expired ones (their holders crashed or lost Redis), count the rest,
 * add this one unless the cap is reached. KEYS[1] the key's sorted set (lease id → expiry, ms);
 * ARGV: now, cap, lease id, expiry, the set's own TTL. Returns {1, n} admitted or {0, n} refused.
 */
export const LEASE_ACQUIRE_SCRIPT = `local now = tonumber(ARGV[1])
local cap = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local n = redis.call('ZCARD', KEYS[1])
if n >= cap then return {0, n} end
redis.call('ZADD', KEYS[1], ARGV[4], ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return {1, n + 1}`;

/**
 * Pushes a live lease's expiry out. A lease that already lapsed is not revived: its slot may have
 * been given to another call. ARGV: lease id, new expiry, the set's TTL, now.
 */
export const LEASE_RENEW_SCRIPT = `local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not score or tonumber(score) <= tonumber(ARGV[4]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1`;

export const LEASE_RELEASE_SCRIPT = `return redis.call('ZREM', KEYS[1], ARGV[1])`;

/** A lost release is tried again this often (at most; `renewMs` when shorter). */
const RELEASE_RETRY_MS = 1000;

type Eval = (script: string, key: string, args: readonly string[]) => Promise<unknown>;

/**
 * Concurrency caps shared by every instance: each running call holds a lease in the key's sorted
 * set, scored by its expiry. A running call renews its lease every `renewMs`; a finished one removes
 * it. An instance that dies stops renewing, so its slots come free `leaseMs` later instead of never.
 */
export class ConcurrencyLeases {
  /** Timers of renewals and of release retries. */
  private readonly renewals = new Set<TimerHandle>();
  private readonly keyTtlMs: number;
  /** How often a release that failed is tried again. */
  private readonly retryMs: number;
  private closed = false;

  constructor(
    private readonly run: Eval,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly times: LeaseTimes,
  ) {
    // The set outlives its longest lease; Redis drops a key nobody holds any more.
    this.keyTtlMs = times.leaseMs * 2;
    this.retryMs = Math.min(times.renewMs, RELEASE_RETRY_MS);
  }

  /** Admits the call (its lease renewed until `release`) or refuses it; rejects when Redis fails. */
  async acquire(key: string, max: number): Promise<Hold> {
    const id = randomUUID();
    const now = this.clock.now();
    let reply: [number, number];
    try {
      reply = (await this.run(LEASE_ACQUIRE_SCRIPT, key, [
        String(now),
        String(max),
        id,
        String(now + this.times.leaseMs),
        String(this.keyTtlMs),
      ])) as [number, number];
    } catch (err) {
      // No answer is not no lease: the script may have run, its reply slower than the timeout. Taken
      // back, or it would hold a slot no call uses, on every instance, until it lapses.
      this.takeBack(key, id);
      throw err;
    }
    if (Number(reply[0]) !== 1) return { ok: false, running: Number(reply[1]) };
    return { ok: true, release: this.renewUntilReleased(key, id) };
  }

  /** Removes a lease that may or may not have been added (its acquire had no answer). */
  private takeBack(key: string, id: string): void {
    void this.remove(key, id, this.clock.now() + this.times.leaseMs);
  }

  /**
   * Removes a lease from its set. When Redis cannot be asked, it is asked again every `retryMs` until
   * the lease would have lapsed (`until`): otherwise a release lost to a short outage would hold the
   * slot on every instance for the rest of the lease. Removing an id that is gone already is harmless:
   * ids are never reused, and a lapsed lease is never renewed back. Settles after the first attempt.
   */
  private remove(key: string, id: string, until: number): Promise<void> {
    return this.run(LEASE_RELEASE_SCRIPT, key, [id]).then(
      () => undefined,
      (err: unknown) => {
        if (this.closed || this.clock.now() + this.retryMs >= until) {
          this.logger.debug({ err: errorForLog(err) }, 'quota lease not released; it lapses on its own');
          return;
        }
        const timer = this.clock.setTimeout(() => {
          this.renewals.delete(timer);
          void this.remove(key, id, until);
        }, this.retryMs);
        this.renewals.add(timer);
      },
    );
  }

  /** Stops every renewal and release retry (the store is closing); leases left lapse on their own. */
  stopRenewing(): void {
    this.closed = true;
    for (const t of this.renewals) this.clock.clearTimeout(t);
    this.renewals.clear();
  }

  private renewUntilReleased(key: string, id: string): () => Promise<void> | void {
    let timer: TimerHandle | undefined;
    let held = true;
    // The latest expiry this lease may have in Redis: from its last renewal sent.
    let until = this.clock.now() + this.times.leaseMs;
    const schedule = () => {
      timer = this.clock.setTimeout(renew, this.times.renewMs);
      this.renewals.add(timer);
    };
    const renew = () => {
      this.renewals.delete(timer);
      if (!held) return;
      // The next renewal is scheduled before this one answers, so one slow reply does not delay it.
      schedule();
      const now = this.clock.now();
      until = now + this.times.leaseMs;
      this.run(LEASE_RENEW_SCRIPT, key, [
        id,
        String(now + this.times.leaseMs),
        String(this.keyTtlMs),
        String(now),
      ]).catch((err: unknown) => this.logger.debug({ err: errorForLog(err) }, 'quota lease not renewed'));
    };
    schedule();
    return () => {
      if (!held) return;
      held = false;
      this.clock.clearTimeout(timer);
      this.renewals.delete(timer);
      return this.remove(key, id, until);
    };
  }
}
