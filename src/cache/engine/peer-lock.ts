import type { L2 } from '../tiers/l2.js';
import type { Signals } from './signals.js';
import type { LockOptions } from './types.js';

/**
 * The distributed lock around a factory (Redis SET NX PX, released only by its holder's token). Exists
 * only on a cache with an L2.
 */
export class PeerLock {
  private seq = 0;
  /** Releases sent and not yet answered: `drain` waits for them. */
  private readonly releasing = new Set<Promise<void>>();

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

  /**
   * Releases a lock this instance holds, without holding up the caller (the value is in L2 already,
   * which is what waiting peers poll); failures are ignored (the lock expires on its own).
   */
  release(key: string, token: string): void {
    const releasing = this.l2.unlock(key, token).then(
      () => undefined,
      () => undefined,
    );
    this.releasing.add(releasing);
    void releasing.then(() => this.releasing.delete(releasing));
  }

  /** Settles once every release sent so far is answered or failed: a closing cache frees its locks. */
  async drain(): Promise<void> {
    await Promise.all(this.releasing);
  }
}
