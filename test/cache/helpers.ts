import type { CacheEventName, CacheEvents, TieredCache } from '../../src/cache/index.js';

/** Resolves with the next `name` event of `cache` that satisfies `pred` (then stops listening). */
export function next<K extends CacheEventName>(
  cache: TieredCache,
  name: K,
  pred: (e: CacheEvents[K]) => boolean = () => true,
): Promise<CacheEvents[K]> {
  return new Promise((resolve) => {
    const off = cache.on(name, (e) => {
      if (pred(e)) {
        off();
        resolve(e);
      }
    });
  });
}
