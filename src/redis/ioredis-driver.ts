import type { Cluster, Redis } from 'ioredis';
import type { IoredisClient, IoredisOptions } from './client-types.js';
import { createClusterClient, createIoredisClient } from './clients.js';
import { keySlot } from './key-slot.js';
import { directRoundTrip, type RedisDriver, type SubscriptionHandlers } from './driver.js';
import { pxMs, scriptedCommands } from './scripted-commands.js';

/**
 * How to reach Redis: a URL, ioredis options (Sentinel included), Redis Cluster seed URLs, or a client
 * you own (Redis or Cluster).
 */
export interface IoredisDriverOptions {
  /** Your ioredis `Redis` or `Cluster` (left open by `close()`). */
  redis?: IoredisClient | undefined;
  url?: string | undefined;
  /** Redis Cluster seed URLs (`redis://host:port`); the driver creates and owns an ioredis `Cluster`. */
  cluster?: readonly string[];
  /** ioredis `RedisOptions` for a created client (Sentinel: `sentinels` + `name`, db, TLS). */
  options?: IoredisOptions | undefined;
  /** Kept for callers; the L2 layer enforces the per-call timeout. */
  timeoutMs?: number;
}

/**
 * ioredis behind the driver seam (standalone, Sentinel, Cluster). Clients it creates come from
 * `createIoredisClient`/`createClusterClient`: auto-pipelining, one retry per command, the shared
 * reconnect policy. Auto-pipelining is not a proven win: in `bench/cache` (L2 hit, 64 in flight) it
 * measured 0.21-1.79x plain GET over 7 runs (0.56x in the last), i.e. mixed and noisy on this machine.
 */
export function createIoredisDriver(opts: IoredisDriverOptions): RedisDriver {
  const owned = !opts.redis;
  // No commandTimeout: the L2 layer times every call itself (one timer per call, not two).
  const client: Redis | Cluster =
    (opts.redis as Redis | Cluster | undefined) ??
    (opts.cluster
      ? createClusterClient<Cluster>(opts.cluster)
      : createIoredisClient<Redis>(
          { url: opts.url, options: opts.options },
          opts.options ? 'Redis with ioredis options (Sentinel, db, TLS)' : 'Redis through ioredis',
        ));
  const subscribers: (Redis | Cluster)[] = [];

  return {
    connected: () => client.status === 'ready',
    get: (key) => client.get(key),
    mget: (keys) => (client.isCluster ? mgetBySlot(client, keys) : client.mget(keys)),
    async set(key, value, ttlMs) {
      await client.set(key, value, 'PX', pxMs(ttlMs));
    },
    async del(key) {
      await client.del(key);
    },
    incr: (key) => client.incr(key),
    ...scriptedCommands((script, key, args) => client.eval(script, 1, key, ...args)),
    async setIfAbsent(key, value, ttlMs) {
      return (await client.set(key, value, 'PX', pxMs(ttlMs), 'NX')) === 'OK';
    },
    async scan(match, count, onKeys, roundTrip = directRoundTrip) {
      const nodes: Redis[] = client.isCluster ? (client as Cluster).nodes('master') : [client as Redis];
      for (const node of nodes) {
        let cursor = '0';
        do {
          const [next, keys] = await roundTrip(() => node.scan(cursor, 'MATCH', match, 'COUNT', count));
          cursor = next;
          if (keys.length > 0) await onKeys(keys);
        } while (cursor !== '0');
      }
    },
    async publish(channel, message) {
      await client.publish(channel, message);
    },
    async subscribe(channel, h: SubscriptionHandlers) {
      // A dedicated connection: a subscribed connection can run nothing else.
      const sub: Redis | Cluster = client.duplicate();
      subscribers.push(sub);
      let down = false;
      sub.on('error', () => {}); // state changes are reported through onDown/onUp; avoid unhandled 'error'
      sub.on('close', () => {
        if (!down) {
          down = true;
          h.onDown();
        }
      });
      sub.on('ready', () => {
        if (!down) return;
        // Subscribe again explicitly and report "up" only once Redis confirmed it: from then on no
        // message is missed, so clearing L1 at that point closes the gap.
        sub.subscribe(channel).then(
          () => {
            if (down) {
              down = false;
              h.onUp();
            }
          },
          () => {},
        );
      });
      sub.on('message', (_ch: string, message: string) => h.onMessage(message));
      try {
        await sub.subscribe(channel);
      } catch {
        // Redis is down at start: report it; the 'ready' handler subscribes once it is back.
        if (!down) {
          down = true;
          h.onDown();
        }
      }
    },
    async close() {
      for (const sub of subscribers) sub.disconnect();
      if (owned) client.disconnect();
    },
  };
}

/** MGET on a Cluster: one MGET per hash slot (a command's keys must share one), answers in key order. */
async function mgetBySlot(client: Redis | Cluster, keys: string[]): Promise<(string | null)[]> {
  const bySlot = new Map<number, number[]>();
  for (let i = 0; i < keys.length; i++) {
    const slot = keySlot(keys[i]!);
    const at = bySlot.get(slot);
    if (at) at.push(i);
    else bySlot.set(slot, [i]);
  }
  const out = new Array<string | null>(keys.length);
  await Promise.all(
    [...bySlot.values()].map(async (at) => {
      const values = await client.mget(at.map((i) => keys[i]!));
      for (let j = 0; j < at.length; j++) out[at[j]!] = values[j] ?? null;
    }),
  );
  return out;
}
