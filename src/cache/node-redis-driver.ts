/**
 * A node-redis v5 driver behind the cache's `RedisDriver` seam — a measurement aid for the bench (node-redis
 * is a devDependency), to show what switching the L2 client would buy. Not used by `createCache`.
 */
import type { RedisClientType } from 'redis';
import type { RedisDriver } from '../../src/cache/index.js';

const RELEASE =
  "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

export function createNodeRedisDriver(client: RedisClientType): RedisDriver {
  let sub: RedisClientType | undefined;
  return {
    get: (key) => client.get(key),
    async set(key, value, ttlMs) {
      await client.set(key, value, { PX: Math.max(1, Math.ceil(ttlMs)) });
    },
    async del(key) {
      await client.del(key);
    },
    incr: (key) => client.incr(key),
    async setIfAbsent(key, value, ttlMs) {
      return (await client.set(key, value, { PX: Math.max(1, Math.ceil(ttlMs)), NX: true })) === 'OK';
    },
    async deleteIfEquals(key, value) {
      await client.eval(RELEASE, { keys: [key], arguments: [value] });
    },
    async scan(match, count, onKeys) {
      let cursor = '0';
      do {
        const r = await client.scan(cursor, { MATCH: match, COUNT: count });
        cursor = String(r.cursor);
        if (r.keys.length > 0) await onKeys(r.keys);
      } while (cursor !== '0');
    },
    async publish(channel, message) {
      await client.publish(channel, message);
    },
    async subscribe(channel, h) {
      const s = client.duplicate() as RedisClientType;
      sub = s;
      let down = false;
      s.on('error', () => {});
      s.on('end', () => {
        if (!down) {
          down = true;
          h.onDown();
        }
      });
      s.on('ready', () => {
        if (down) {
          down = false;
          h.onUp();
        }
      });
      await s.connect();
      await s.subscribe(channel, (m) => h.onMessage(m));
    },
    async close() {
      await sub?.quit().catch(() => {});
    },
  };
}
