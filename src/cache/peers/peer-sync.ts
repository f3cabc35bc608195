import type { Clock } from '../../core/index.js';
import type { Signals } from '../engine/signals.js';
import type { L2 } from '../tiers/l2.js';
import type { TagVersions } from '../tiers/tags.js';
import { type Bus, type BusMessage, openBus } from './bus.js';

/** What a peer's invalidation does here: drop L1 copies, and overtake reads and fills in progress. */
export interface Overtaker {
  readonly tags: TagVersions;
  readonly guard: { dirtyAll(): void };
  overtakeKey(key: string): void;
  overtakePattern(glob: string): void;
  overtakeTags(tags: readonly string[]): void;
  overtakeAll(): void;
}

/**
 * Keeps this instance's L1 in step with its peers over the bus: applies their invalidations, tells
 * them of ours, and drops all of L1 after a subscription gap.
 */
export class PeerSync {
  private readonly bus: Bus | undefined;
  private readonly subscribed: Promise<void>;
  private busDown = false;

  constructor(
    l2: L2 | undefined,
    private readonly local: Overtaker,
    private readonly signals: Signals,
    private readonly clock: Clock,
  ) {
    this.bus = l2
      ? openBus(l2, {
          onMessage: (m) => this.onMessage(m),
          onDown: () => this.onDown(),
          onUp: () => this.onUp(),
        })
      : undefined;
    this.subscribed = this.bus ? this.bus.ready() : Promise.resolve();
  }

  /** Resolves once subscribed (at once without a bus). Never rejects. */
  ready(): Promise<void> {
    return this.subscribed;
  }

  /** Tells peers; resolves with the error if it could not (peers were not told). */
  async publish(m: BusMessage): Promise<unknown> {
    if (!this.bus) return undefined;
    try {
      await this.bus.publish(m);
      this.signals.counters.busPublished++;
      return undefined;
    } catch (err) {
      this.signals.l2Error('publish', err);
      return err ?? new Error('publish failed');
    }
  }

  /** A peer's message (own echoes are skipped by the bus). */
  onMessage(m: BusMessage): void {
    this.signals.counters.busReceived++;
    const local = this.local;
    switch (m.t) {
      case 'del':
      case 'set':
        local.overtakeKey(m.k);
        break;
      case 'tags': {
        const now = this.clock.now();
        for (const tag in m.v) local.tags.learn(tag, m.v[tag]!, now);
        // An L2 read in flight may carry an entry whose counters we have just learned are old.
        local.guard.dirtyAll();
        local.overtakeTags(Object.keys(m.v));
        break;
      }
      case 'pattern':
        local.overtakePattern(m.p);
        break;
      case 'clear':
        local.overtakeAll();
        break;
    }
    const emitter = this.signals.emitter;
    if (emitter.has('busMessage')) emitter.emit('busMessage', { type: m.t });
  }

  /** The subscription dropped: messages may be missed from now on. */
  private onDown(): void {
    if (this.busDown) return;
    this.busDown = true;
    this.signals.counters.busGaps++;
    this.signals.logger.warn({}, 'cache: invalidation bus disconnected; L1 will be cleared when it is back');
    this.signals.emitter.emit('busGap', { phase: 'down' });
  }

  /**
   * Subscribed again. Pub/sub is at-most-once, so anything published during the gap is lost: drop all
   * of L1 and the cached tag counters rather than serve what a peer may have invalidated.
   */
  private onUp(): void {
    if (!this.busDown) return;
    this.busDown = false;
    this.local.overtakeAll();
    this.local.tags.forget();
    this.signals.logger.info({}, 'cache: invalidation bus reconnected; L1 cleared');
    this.signals.emitter.emit('busGap', { phase: 'up' });
  }

  /** Stops delivering peers' messages (the driver is closed by its owner). */
  close(): void {
    this.bus?.close();
  }
}
