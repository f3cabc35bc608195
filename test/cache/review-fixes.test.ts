import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CacheEventName, CacheEvents } from '../../src/cache/index.js';
import { type CacheOptions, createCache, type TieredCache } from '../../src/cache/index.js';
import { type RedisHandle, startRedis } from '../helpers/redis-server.js';

let redis: RedisHandle;
let raw: Redis;
const open: TieredCache[] = [];
let seq = 0;

beforeAll(async () => {
  redis = await startRedis();
  raw = new Redis(redis.url);
  raw.on('error', () => {});
});
afterAll(async () => {
  raw.disconnect();
  await redis.stop();
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});

function prefix(): string {
  return `r${++seq}`;
}

async function make(options: CacheOptions): Promise<TieredCache> {
  const c = createCache({ ...options, l2: { url: redis.url, timeoutMs: 200, ...options.l2 } });
  open.push(c);
  await c.ready();
  return c;
}

function next<K extends CacheEventName>(
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

describe('sizes', () => {
  it('an entry back-filled from L2 counts its UTF-8 bytes, not its string length', async () => {
    const p = prefix();
    const a = await make({ prefix: p, bus: false });
    const b = await make({ prefix: p, bus: false });
    await a.set('k', 'é€😀'.repeat(50));
    expect(await b.get('k')).toBe('é€😀'.repeat(50));
    const stored = (await raw.get(`${p}:d:k`))!;
    expect(Buffer.byteLength(stored)).toBeGreaterThan(stored.length);
    expect(b.stats().l1.bytes).toBe(Buffer.byteLength(stored));
  });
});
