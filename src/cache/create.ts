import type { Clock, Logger } from '../core/index.js';
import { openRedisDriver } from '../redis/index.js';
import { circuitBreaker } from '../resilience/index.js';
import { resolveSettings } from './engine/options.js';
import type { CacheOptions, L2Options } from './engine/types.js';
import { TieredCache } from './tiered-cache.js';
import { L2, type L2Tier } from './tiers/l2.js';

/**
 * Creates a tiered cache: L1 in memory (an LRU over typed-array slots), optional L2 in Redis with a pub/sub bus that
 * evicts peers' L1 copies. With no `l2` it is a plain in-process cache.
 */
export function createCache(options: CacheOptions = {}): TieredCache {
  const settings = resolveSettings(options);
  const l2 = options.l2
    ? openL2Tier(settings.prefix, options.l2, settings.clock, settings.logger)
    : undefined;
  return new TieredCache(settings, l2);
}

/** The Redis tier: its driver (created here unless passed in), the breaker around it, and the key layout. */
function openL2Tier(prefix: string, l2o: L2Options, clock: Clock, logger: Logger): L2Tier {
  const timeoutMs = l2o.timeoutMs ?? 250;
  const driver = openRedisDriver(l2o);
  const breaker = circuitBreaker({
    name: `cache:${prefix}`,
    model: { kind: 'consecutive', threshold: 5 },
    recoveryMs: 1000,
    ...l2o.breaker,
    clock,
  });
  const store = new L2(driver, breaker, prefix, timeoutMs, clock, logger);
  return {
    store,
    onState(fn) {
      // Half-open is a probe, not a state worth reporting.
      breaker.on('stateChange', (e) => {
        if (e.to === 'open' || e.to === 'isolated') fn('down');
        else if (e.to === 'closed') fn('up');
      });
    },
    async close() {
      breaker.dispose();
      await driver.close();
    },
  };
}
