import type { Cluster, Redis } from 'ioredis';
import { type Logger, noopLogger } from '../../core/index.js';
import { createClusterClient, createIoredisClient, type RedisTarget } from '../../redis/index.js';
import { type BreakerRedisSubscriber, RedisBreakerStateStore } from '../../resilience/index.js';

/**
 * The shared circuit-breaker state of every `breaker.shared` upstream of one gateway: two Redis
 * connections in all (commands, and one subscriber that routes messages by channel), one
 * {@link RedisBreakerStateStore} per upstream under `<prefix>:breaker:<upstream>`.
 */
export interface SharedBreakers {
  /** The store of one upstream's breaker (created on first use). */
  storeFor(upstream: string): RedisBreakerStateStore;
  /** Resolves once every store loaded the shared state, or once Redis was found down. Never rejects. */
  ready(): Promise<void>;
  /** Detaches the stores and closes both connections. */
  close(): Promise<void>;
}

/** Longest wait for Redis at start before the breakers start on local state alone. */
const START_WAIT_MS = 3000;

/**
 * Connects the shared breaker stores. Commands never queue while Redis is down (no offline queue):
 * a transition's write fails at once and is logged once per outage, and breakers keep judging on
 * their own traffic. When the subscriber connection comes back, every store re-reads its key, since
 * messages sent during the gap were lost.
 */
export function createSharedBreakers(
  target: RedisTarget,
  options: { prefix: string; logger?: Logger },
): SharedBreakers {
  const logger = (options.logger ?? noopLogger).child({ component: 'shared-breakers' });
  const feature = 'Shared circuit breakers (breaker.shared)';
  // Failures surface through commands (and the stores' once-per-outage log lines).
  const commands: Redis | Cluster =
    'cluster' in target
      ? createClusterClient<Cluster>(target.cluster, { enableOfflineQueue: false }, feature)
      : createIoredisClient<Redis>({ url: target.url, options: { enableOfflineQueue: false } }, feature);
  const sub: Redis | Cluster = commands.duplicate();
  sub.on('error', () => {});

  // One 'message' listener on the connection, routed by channel, instead of one per store.
  const routes = new Map<string, (channel: string, message: string) => void>();
  const stores = new Map<string, RedisBreakerStateStore>();
  sub.on('message', (channel: string, message: string) => {
    for (const l of routes.values()) l(channel, message);
  });
  const subscriber: BreakerRedisSubscriber = {
    subscribe: (channel) => sub.subscribe(channel),
    on: (_event, listener) => routes.set(`l${routes.size}`, listener),
    removeListener: (_event, listener) => {
      for (const [k, l] of routes) if (l === listener) routes.delete(k);
    },
  };

  let closed = false;
  const isReady = (c: Redis | Cluster) => c.status === 'ready';
  // Up, or not: the first of 'ready', a connection error, or START_WAIT_MS (a host that never answers).
  const whenReady = (c: Redis | Cluster): Promise<boolean> =>
    isReady(c)
      ? Promise.resolve(true)
      : new Promise((resolve) => {
          const onReady = () => finish(true);
          const onFail = () => finish(false);
          const timer = setTimeout(onFail, START_WAIT_MS);
          timer.unref();
          const finish = (ok: boolean) => {
            clearTimeout(timer);
            c.off('ready', onReady);
            c.off('error', onFail);
            c.off('end', onFail);
            resolve(ok);
          };
          c.once('ready', onReady);
          c.once('error', onFail);
          c.once('end', onFail);
        });
  const syncAll = () => Promise.all([...stores.values()].map((s) => s.resync())).then(() => {});

  // First sync: once both connections are up, or at the first failure (the stores start local).
  let started = false;
  let downAtStart = false;
  const first = Promise.all([whenReady(commands), whenReady(sub)]).then(async ([a, b]) => {
    started = true;
    if (closed) return;
    if (a && b) await syncAll();
    else {
      downAtStart = true;
      logger.warn(
        {},
        'shared breaker state: Redis unavailable at start; breakers judge locally until it is back',
      );
    }
  });
  // Later (re)connections: once both connections are up again, subscribe again and re-read every
  // key. Either may come back last, so both trigger it.
  const onReconnect = () => {
    if (!started || closed || !isReady(commands) || !isReady(sub)) return;
    void syncAll();
    if (downAtStart) {
      downAtStart = false;
      logger.info({}, 'shared breaker state: Redis available; breakers share their state again');
    }
  };
  commands.on('ready', onReconnect);
  sub.on('ready', onReconnect);

  return {
    storeFor(upstream) {
      let store = stores.get(upstream);
      if (!store) {
        store = new RedisBreakerStateStore({
          redis: commands,
          subscriber,
          key: `${options.prefix}:breaker:${upstream}`,
          logger,
        });
        stores.set(upstream, store);
        // A store made after the first sync loads its state now.
        if (started && isReady(commands) && isReady(sub)) void store.ready();
      }
      return store;
    },
    ready: () => first,
    async close() {
      if (closed) return;
      closed = true;
      for (const s of stores.values()) s.close();
      stores.clear();
      sub.disconnect();
      commands.disconnect();
    },
  };
}
