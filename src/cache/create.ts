import { systemClock, noopLogger } from '../core/index.js';
import { circuitBreaker } from '../resilience/index.js';
import { decodeBusMessage } from './bus.js';
import { type CacheOptions, TieredCache } from './cache.js';
import { openRedisChannel, openRedisDriver } from '../redis/index.js';
import { L2 } from './l2.js';

/**
 * Creates a tiered cache: L1 in memory (lru-cache), optional L2 in Redis with a pub/sub bus that
 * evicts peers' L1 copies. With no `l2` it is a plain in-process cache.
 */
export function createCache(options: CacheOptions = {}): TieredCache {
  const prefix = options.prefix ?? 'conduit';
  return new TieredCache(options, (o, cache) => {
    const l2o = o.l2;
    if (!l2o) return undefined;
    const clock = o.clock ?? systemClock;
    const logger = o.logger ?? noopLogger;
    const timeoutMs = l2o.timeoutMs ?? 250;
    const driver = openRedisDriver(l2o);
    const breaker = circuitBreaker({
      name: `cache:${prefix}`,
      model: { kind: 'consecutive', threshold: 5 },
      recoveryMs: 1000,
      ...l2o.breaker,
      clock,
    });
    // Logged by the cache once per change; half-open is a probe, not a state worth a log line.
    breaker.on('stateChange', (e) => {
      if (e.to === 'open' || e.to === 'isolated') cache.setL2State('down');
      else if (e.to === 'closed') cache.setL2State('up');
    });
    const l2 = new L2(driver, breaker, prefix, timeoutMs, clock, logger);
    if (o.bus ?? true) {
      cache.bus = openRedisChannel({
        driver,
        name: l2.channel,
        decode: decodeBusMessage,
        roundTrip: (fn) => l2.call(fn),
        onMessage: (m) => cache.onBusMessage(m),
        onDown: () => cache.onBusDown(),
        onUp: () => cache.onBusUp(),
      });
      cache.setReady(cache.bus.ready());
    }
    cache.addCloseHook(async () => {
      breaker.dispose();
      await driver.close();
    });
    return l2;
  });
}
