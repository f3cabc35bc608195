import { type Logger, noopLogger } from '../../core/index.js';
import { openRedisPubSubPair, type RedisTarget } from '../../redis/index.js';
import { RedisBreakerStateStore } from '../../resilience/index.js';

/**
 * The shared circuit-breaker state of every `breaker.shared` upstream of one gateway: two Redis
 * connections in all (commands, and one subscriber that routes messages by channel), one
 * {@link RedisBreakerStateStore} per upstream under `<prefix>:breaker:<upstream>`.
 */
export interface SharedBreakers {
  /** The store of one upstream's breaker, or of one route's of it (created on first use). */
  storeFor(upstream: string, route?: string): RedisBreakerStateStore;
  /**
   * Resolves once every store made so far loaded the shared state, or once Redis was found down.
   * Never rejects.
   */
  ready(): Promise<void>;
  /** Detaches the stores of an upstream no client uses any more (a reload removed it). */
  forget(upstream: string): void;
  /**
   * `loading` until the first sync settles; `shared` while both connections are up and the state was
   * read from Redis; `local` while Redis is down (each breaker judges on its own traffic).
   */
  state(): SharedBreakerState;
  /** Detaches the stores and closes both connections. */
  close(): Promise<void>;
}

export type SharedBreakerState = 'loading' | 'shared' | 'local';

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
  // Failures surface through commands (and the stores' once-per-outage log lines).
  const redis = openRedisPubSubPair(target, 'Shared circuit breakers (breaker.shared)');
  const stores = new Map<string, RedisBreakerStateStore>();
  const keysOf = new Map<string, Set<string>>();
  /** Loads of stores made after the first sync, which `ready()` waits for too. */
  const loading = new Set<Promise<void>>();
  let closed = false;
  const syncAll = () => Promise.all([...stores.values()].map((s) => s.resync())).then(() => {});

  // First sync: once both connections are up, or at the first failure (the stores start local).
  let started = false;
  let settled = false;
  let loaded = false;
  let downAtStart = false;
  const first = redis.whenUp(START_WAIT_MS).then(async (up) => {
    started = true;
    if (closed) return;
    if (up) {
      await syncAll();
      loaded = true;
    } else {
      downAtStart = true;
      logger.warn(
        {},
        'shared breaker state: Redis unavailable at start; breakers judge locally until it is back',
      );
    }
  });
  void first.then(() => {
    settled = true;
  });
  // Later (re)connections: subscribe again and re-read every key (messages of the gap were lost).
  redis.onUp(() => {
    if (!started || closed) return;
    void syncAll().then(() => {
      loaded = true;
    });
    if (downAtStart) {
      downAtStart = false;
      logger.info({}, 'shared breaker state: Redis available; breakers share their state again');
    }
  });

  return {
    storeFor(upstream, route) {
      const key = route === undefined ? upstream : `${upstream}:${route}`;
      let store = stores.get(key);
      if (!store) {
        store = new RedisBreakerStateStore({
          redis: redis.commands,
          subscriber: redis.subscriber,
          key: `${options.prefix}:breaker:${key}`,
          logger,
        });
        stores.set(key, store);
        const keys = keysOf.get(upstream) ?? new Set();
        keysOf.set(upstream, keys);
        keys.add(key);
        // A store made after the first sync loads its state now.
        if (started && redis.isUp()) {
          const load = store.ready().catch(() => {});
          loading.add(load);
          void load.then(() => loading.delete(load));
        }
      }
      return store;
    },
    ready: () => first.then(() => Promise.all([...loading])).then(() => {}),
    forget(upstream) {
      for (const key of keysOf.get(upstream) ?? []) {
        stores.get(key)?.close();
        stores.delete(key);
      }
      keysOf.delete(upstream);
    },
    state() {
      if (!settled) return 'loading';
      return loaded && redis.isUp() ? 'shared' : 'local';
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const s of stores.values()) s.close();
      stores.clear();
      redis.close();
    },
  };
}

/**
 * The gateway's shared breaker connections across reloads: opened by the first client of a
 * `breaker.shared` upstream, reused by the clients later reloads make, and closed with the last of
 * them. An upstream's stores are detached once none of its clients is left.
 */
export class SharedBreakerPool {
  private hub: SharedBreakers | undefined;
  private readonly holders = new Map<string, number>();
  private total = 0;

  constructor(private readonly open: () => SharedBreakers) {}

  /** The hub for one client of `upstream`, and what that client calls once closed. */
  hold(upstream: string): { hub: SharedBreakers; release(): Promise<void> } {
    this.hub ??= this.open();
    const hub = this.hub;
    this.total++;
    this.holders.set(upstream, (this.holders.get(upstream) ?? 0) + 1);
    let released = false;
    return {
      hub,
      release: async () => {
        if (released) return;
        released = true;
        const left = (this.holders.get(upstream) ?? 1) - 1;
        if (left > 0) this.holders.set(upstream, left);
        else {
          this.holders.delete(upstream);
          hub.forget(upstream);
        }
        if (--this.total > 0) return;
        if (this.hub === hub) this.hub = undefined;
        await hub.close();
      },
    };
  }
}
