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
 * A tiny typed emitter. `has(name)` is a field read, so the hit path checks for listeners before it
 * builds a payload and pays nothing when nobody listens.
 */
export class Emitter {
  private readonly listeners: { [K in CacheEventName]?: ((e: CacheEvents[K]) => void)[] } = {};
  hasHit = false;

  on<K extends CacheEventName>(name: K, fn: (e: CacheEvents[K]) => void): () => void {
    let list = this.listeners[name] as ((e: CacheEvents[K]) => void)[] | undefined;
    if (!list) {
      list = [];
      (this.listeners as Record<string, unknown>)[name] = list;
    }
    list.push(fn);
    if (name === 'hit') this.hasHit = true;
    return () => {
      const i = list.indexOf(fn);
      if (i >= 0) list.splice(i, 1);
      if (name === 'hit') this.hasHit = list.length > 0;
    };
  }

  has(name: CacheEventName): boolean {
    const l = this.listeners[name];
    return l !== undefined && l.length > 0;
  }

  emit<K extends CacheEventName>(name: K, event: CacheEvents[K]): void {
    const list = this.listeners[name] as ((e: CacheEvents[K]) => void)[] | undefined;
    if (!list) return;
    for (const fn of [...list]) {
      try {
        fn(event);
      } catch {
        // A throwing listener must not break a cache call.
      }
    }
  }
}
