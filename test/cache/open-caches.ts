import { afterEach } from 'vitest';
import { type CacheOptions, createCache, type L2Options, type TieredCache } from '../../src/cache/index.js';

/**
 * Returns `make(options)`, which opens a ready cache whose L2 is `l2()` (read per call, so it may
 * name a server the file starts in `beforeAll`) overlaid with `options.l2`. Every cache it opened is
 * closed after each test of the file that calls this (at the top level: it registers an `afterEach`).
 */
export function openCaches(l2: () => L2Options) {
  const open: TieredCache[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((c) => c.close()));
  });
  return async function make(options: CacheOptions): Promise<TieredCache> {
    const c = createCache({ ...options, l2: { ...l2(), ...options.l2 } });
    open.push(c);
    await c.ready();
    return c;
  };
}
