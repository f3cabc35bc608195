import { createClient } from '@redis/client';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { createCache, createNodeRedisDriver, type TieredCache } from '../../src/cache/index.js';
import { type RedisHandle, startRedis } from '../helpers/redis-server.js';
import { next } from './helpers.js';

let redis: RedisHandle;
let client: ReturnType<typeof createClient>;
let onNodeRedis: TieredCache;
let onIoredis: TieredCache;

beforeAll(async () => {
  redis = await startRedis();
  client = createClient({ url: redis.url, socket: { reconnectStrategy: () => 50 } });
  client.on('error', () => {}); // the fault test kills the server under it
  await client.connect();
  onNodeRedis = createCache({
    prefix: 'nr',
    l2: { driver: createNodeRedisDriver(client), timeoutMs: 100, breaker: { recoveryMs: 100 } },
  });
  onIoredis = createCache({ prefix: 'nr', l2: { url: redis.url, timeoutMs: 200 } });
  await Promise.all([onNodeRedis.ready(), onIoredis.ready()]);
});

afterAll(async () => {
  await onNodeRedis?.close();
  await onIoredis?.close();
  await client?.quit().catch(() => {});
  await redis?.stop();
});

it('shares entries, tags and bus messages with an ioredis-backed instance', async () => {
  await onIoredis.set('k', { v: 1 }, { tags: ['t'] });
  expect(await onNodeRedis.getOrSetWithMeta('k', () => 'x')).toEqual({
    value: { v: 1 },
    source: 'l2',
    stale: false,
  });
  let heard = next(onIoredis, 'busMessage', (e) => e.type === 'del');
  await onNodeRedis.delete('k');
  await heard;
  expect(await onIoredis.get('k')).toBeUndefined();

  await onNodeRedis.set('t1', 1, { tags: ['t'] });
  expect(await onIoredis.get('t1')).toBe(1);
  heard = next(onIoredis, 'busMessage', (e) => e.type === 'tags');
  await onNodeRedis.invalidateTags(['t']);
  await heard;
  expect(await onIoredis.get('t1')).toBeUndefined();

  await onNodeRedis.set('p:1', 1);
  await onNodeRedis.set('p:2', 2);
  await onNodeRedis.invalidatePattern('p:*');
  expect(await onIoredis.get('p:1')).toBeUndefined();
  expect(await onIoredis.get('p:2')).toBeUndefined();
});

it('rides out a Redis restart: no caller errors, L1 cleared after the bus gap, breaker closes again', async () => {
  expect(await onNodeRedis.getOrSet('keep', () => 'v1')).toBe('v1');
  const down = next(onNodeRedis, 'busGap', (e) => e.phase === 'down');
  await redis.kill();
  await down;
  for (let i = 0; i < 20; i++) {
    expect(await onNodeRedis.getOrSet('keep', () => 'other')).toBe('v1');
    expect(await onNodeRedis.getOrSet(`n${i}`, () => i)).toBe(i);
  }
  const up = next(onNodeRedis, 'busGap', (e) => e.phase === 'up');
  await redis.restart();
  await up;
  expect(onNodeRedis.stats().l1.entries).toBe(0);
  await vi.waitFor(
    async () => {
      await onNodeRedis.get('absent'); // an L1 miss, so it reaches the breaker
      expect(onNodeRedis.stats().l2.state).toBe('up');
    },
    { timeout: 10_000, interval: 50 },
  );
});
