import { Emitter } from '../core/index.js';
import type { L2State } from './stats.js';

/** Events a cache emits; payloads are small plain objects (keys only, never values). */
export interface CacheEvents {
  hit: { key: string; tier: 'l1' | 'l2'; stale: boolean };
  miss: { key: string };
  set: { key: string };
  delete: { key: string };
  stale: { key: string; reason: 'swr' | 'error' };
  factoryError: { key: string; error: unknown };
  l2Error: { op: string; error: unknown };
  l2State: { state: L2State };
  busMessage: { type: string };
  busGap: { phase: 'down' | 'up' };
  invalidate: { tags?: string[]; pattern?: string };
}

export type CacheEventName = keyof CacheEvents;

/**
 * The cache's emitter. `hasHit` is a field read, so the hit path checks for listeners before it
 * builds a payload and pays nothing when nobody listens.
 */
export class CacheEmitter extends Emitter<CacheEvents> {
  hasHit = false;

  override on<K extends CacheEventName>(name: K, fn: (e: CacheEvents[K]) => void): () => void {
    const off = super.on(name, fn);
    if (name === 'hit') this.hasHit = true;
    return () => {
      off();
      if (name === 'hit') this.hasHit = this.has('hit');
    };
  }
}
