import { openRedisChannel, type RedisChannel } from '../../redis/index.js';
import type { L2 } from '../tiers/l2.js';

/**
 * Cross-instance L1 invalidation messages on one Redis pub/sub channel per prefix (`<prefix>:bus`),
 * carried by a {@link RedisChannel} (sender id, echo skip, down/up). Anything else on the channel is
 * ignored.
 */
export type BusMessage =
  | { t: 'del'; k: string }
  | { t: 'set'; k: string }
  | { t: 'tags'; v: Record<string, number> }
  | { t: 'pattern'; p: string }
  | { t: 'clear' };

/** The invalidation bus of one cache. */
export type Bus = RedisChannel<BusMessage>;

/** Shape check of a bus payload (the parsed message, sender id already checked). */
export function decodeBusMessage(m: Record<string, unknown>): BusMessage | undefined {
  switch (m.t) {
    case 'del':
    case 'set':
      return typeof m.k === 'string' ? { t: m.t, k: m.k } : undefined;
    case 'pattern':
      return typeof m.p === 'string' ? { t: 'pattern', p: m.p } : undefined;
    case 'clear':
      return { t: 'clear' };
    case 'tags': {
      if (typeof m.v !== 'object' || m.v === null || Array.isArray(m.v)) return undefined;
      for (const v of Object.values(m.v)) if (!Number.isSafeInteger(v)) return undefined;
      return { t: 'tags', v: m.v as Record<string, number> };
    }
    default:
      return undefined;
  }
}

/** What the bus reports to its cache. */
export interface BusHandlers {
  onMessage(m: BusMessage): void;
  onDown(): void;
  onUp(): void;
}

/** Opens the invalidation bus of `l2` on its own driver, each publish under the L2 timeout and breaker. */
export function openBus(l2: L2, handlers: BusHandlers): Bus {
  return openRedisChannel({
    driver: l2.driver,
    name: l2.channel,
    decode: decodeBusMessage,
    roundTrip: (fn) => l2.call(fn),
    onMessage: handlers.onMessage,
    onDown: handlers.onDown,
    onUp: handlers.onUp,
  });
}
