import { loadNodeRedis } from './load.js';
import type { RedisDriver, SubscriptionHandlers } from './driver.js';
import { createNodeRedisDriver, type NodeRedisClientLike } from './node-redis-driver.js';
import { reconnectDelayMs } from './reconnect.js';
import { reportSubscriberHealth } from './subscriber-health.js';

/** What the owned driver needs beyond the command slice: readiness and a hard close. */
interface OwnedClient extends NodeRedisClientLike {
  readonly isReady: boolean;
  destroy(): void;
  duplicate(overrides?: { disableOfflineQueue?: boolean }): OwnedClient;
}

// node-redis counts retries from 0.
const backoff = (retries: number) => reconnectDelayMs(retries + 1);

/**
 * A node-redis v5 client the cache owns, built from a URL for a standalone Redis. `createCache` is
 * synchronous, so the driver connects lazily: commands issued before the first connection attempt
 * settles wait for it; after that, commands fail fast while disconnected (`disableOfflineQueue`), so
 * the L2 timeout and breaker see failures instead of a growing queue. The URL (and its password) is
 * handed to the client only: it is never logged nor put in an error.
 */
export function createNodeRedisUrlDriver(url: string): RedisDriver {
  const { createClient } = loadNodeRedis('Redis from a URL');
  const client = createClient({
    url,
    disableOfflineQueue: true,
    socket: { reconnectStrategy: backoff },
  }) as unknown as OwnedClient;
  // Connection errors surface through failed calls (breaker, one log line per state change).
  client.on('error', () => {});
  let firstSettled = false;
  // Settles on the first 'ready' or the first 'error', whichever comes first; never rejects.
  const first = new Promise<void>((resolve) => {
    const settle = () => {
      firstSettled = true;
      resolve();
    };
    client.on('ready', settle);
    client.on('error', settle);
  });
  let closed = false;
  client.connect().catch(() => {}); // retries forever by itself; rejects only when destroyed

  const inner = createNodeRedisDriver(client);
  // Hot path: once the first attempt settled, commands go straight to the client (no extra promise).
  const gate =
    <A extends unknown[], R>(fn: (...a: A) => Promise<R>) =>
    (...a: A): Promise<R> =>
      firstSettled ? fn(...a) : first.then(() => fn(...a));

  let sub: OwnedClient | undefined;
  return {
    get: gate(inner.get),
    ...(inner.mget ? { mget: gate(inner.mget) } : {}),
    set: gate(inner.set),
    del: gate(inner.del),
    incr: gate(inner.incr),
    touchCounter: gate(inner.touchCounter),
    bumpCounter: gate(inner.bumpCounter),
    getOrClaim: gate(inner.getOrClaim),
    setIfUnchanged: gate(inner.setIfUnchanged),
    setIfAbsent: gate(inner.setIfAbsent),
    deleteIfEquals: gate(inner.deleteIfEquals),
    ...(inner.evalOnKey ? { evalOnKey: gate(inner.evalOnKey) } : {}),
    scan: gate(inner.scan),
    publish: gate(inner.publish),
    async subscribe(channel: string, h: SubscriptionHandlers) {
      // The subscriber keeps its offline queue: node-redis re-subscribes on every reconnect before
      // it emits 'ready', so 'ready' after a drop means no message is missed from then on.
      const s = client.duplicate({ disableOfflineQueue: false });
      sub = s;
      const markDown = reportSubscriberHealth(s, h);
      await new Promise<void>((resolve) => {
        s.on('error', () => {
          markDown();
          resolve(); // Redis down at start: report it; reconnects bring the subscription back
        });
        s.subscribe(channel, (m) => h.onMessage(m)).then(
          () => resolve(),
          () => resolve(),
        );
        if (closed) return resolve();
        s.connect().catch(() => {});
      });
    },
    connected: () => !closed && client.isReady,
    async close() {
      closed = true;
      for (const c of [sub, client]) {
        try {
          c?.destroy();
        } catch {
          // already closed
        }
      }
    },
  };
}
