import type { L2 } from '../tiers/l2.js';
import type { Signals } from './signals.js';
import type { LockOptions } from './types.js';

/**
 * The distributed lock around a factory (Redis SET NX PX, released only by its holder's token). Exists
 * only on a cache with an L2.
 */
export class PeerLock {
  private seq = 0;

  constructor(
    private readonly l2: L2,
    readonly options: Required<LockOptions>,
    private readonly instanceId: string,
    private readonly signals: Signals,
  ) {}

  /**
   * Tries to take the lock for `key`: the token when taken, `false` when a peer holds it, `'failed'`
   * when Redis failed or the breaker is open (nobody is known to hold it, so the caller should not wait).
   */
  async acquire(key: string): Promise<string | false | 'failed'> {
    const token = `${this.instanceId}:${++this.seq}`;
    try {
      return (await this.l2.tryLock(key, token, this.options.ttlMs)) ? token : false;
    } catch (err) {
      this.signals.l2Error('lock', err);
      return 'failed';
    }
  }

  /** Releases a lock this instance holds; failures are ignored (the lock expires on its own). */
  release(key: string, token: string): void {
    this.l2.unlock(key, token).catch(() => {});
  }
}
