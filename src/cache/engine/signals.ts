import { errorLabel, type Logger } from '../../core/index.js';
import { CacheEmitter } from '../events.js';
import { Counters, type L2State } from '../stats.js';

/**
 * What the cache reports about itself: counters, events, and the L2 state with its log lines (one per
 * change, not one per call).
 */
export class Signals {
  readonly counters = new Counters();
  readonly emitter = new CacheEmitter();
  l2State: L2State;
  /** `invalidateTags` fell back to L1-only and said so; reset when L2 is back up. */
  private tagsLocalOnlyLogged = false;

  constructor(
    readonly logger: Logger,
    hasL2: boolean,
    private readonly channel: string | undefined,
  ) {
    this.l2State = hasL2 ? 'up' : 'disabled';
  }

  /** The breaker reported a state change. */
  setL2State(state: 'up' | 'down'): void {
    if (this.l2State === state || this.l2State === 'disabled') return;
    this.l2State = state;
    if (state === 'up') this.tagsLocalOnlyLogged = false;
    if (state === 'down') {
      this.logger.warn(
        { prefix: this.channel },
        'cache: Redis L2 unavailable; serving from L1 and factories',
      );
    } else {
      this.logger.info({ prefix: this.channel }, 'cache: Redis L2 available again');
    }
    this.emitter.emit('l2State', { state });
  }

  /** Counts (and logs at debug) an L2 call that failed; one skipped by the open breaker is only counted. */
  l2Error(op: string, err: unknown): void {
    if ((err as { code?: string })?.code === 'CIRCUIT_OPEN') {
      this.counters.l2Skipped++;
      return;
    }
    this.counters.l2Errors++;
    this.emitter.emit('l2Error', { op, error: err });
    this.logger.debug({ op, err: errorLabel(err) }, 'cache: L2 call failed');
  }

  /** Once per outage, not per call: logged again only after L2 came back up and failed anew. */
  tagsLocalOnly(count: number): void {
    if (this.tagsLocalOnlyLogged) return;
    this.tagsLocalOnlyLogged = true;
    this.logger.warn({ tags: count }, 'cache: Redis unavailable; tags invalidated in this instance only');
  }

  /** Runs an L2 call whose failure only degrades the cache; resolves with the error, if any. */
  async l2Call(op: string, fn: () => Promise<unknown>): Promise<unknown> {
    try {
      await fn();
      return undefined;
    } catch (err) {
      this.l2Error(op, err);
      return err ?? new Error(`${op} failed`);
    }
  }
}
