import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/index.js';
import {
  createWebhookHandler,
  DedupeStoreError,
  MemoryDedupeStore,
  RedisDedupeStore,
  standardWebhooks,
} from '../../src/webhooks/index.js';
import { deferred, NOW, SECRET, signStandard } from './helpers.js';
import { redisForSuite } from './redis-suite.js';

describe('MemoryDedupeStore', () => {
  it('claims once, reports in-flight then done, and forgets after the TTL (ManualClock)', async () => {
    const clock = new ManualClock(0);
    const s = new MemoryDedupeStore({ clock });
    expect(await s.claim('a', 't1', 1_000)).toBe('claimed');
    expect(await s.claim('a', 't2', 1_000)).toBe('in_flight');
    await s.complete('a', 't1', 5_000);
    expect(await s.claim('a', 't3', 1_000)).toBe('done');
    clock.advance(4_999);
    expect(await s.claim('a', 't3', 1_000)).toBe('done');
    clock.advance(1);
    expect(await s.claim('a', 't3', 1_000)).toBe('claimed');
    expect(clock.pending()).toBe(0);
  });

  it('an expired in-flight mark can be re-claimed; release only drops the holder’s own mark', async () => {
    const clock = new ManualClock(0);
    const s = new MemoryDedupeStore({ clock });
    await s.claim('k', 'old', 100);
    clock.advance(100);
    expect(await s.claim('k', 'new', 100)).toBe('claimed');
    await s.release('k', 'old');
    expect(await s.claim('k', 'x', 100)).toBe('in_flight');
    await s.release('k', 'new');
    expect(await s.claim('k', 'x', 100)).toBe('claimed');
  });

  it('stays bounded by evicting completed ids first, never in-flight ones', async () => {
    const s = new MemoryDedupeStore({ clock: new ManualClock(0), maxEntries: 3 });
    await s.claim('busy', 'b', 10_000);
    for (const id of ['d1', 'd2', 'd3', 'd4']) {
      await s.claim(id, id, 10_000);
      await s.complete(id, id, 10_000);
    }
    expect(s.size).toBe(3);
    expect(await s.claim('busy', 'other', 10_000)).toBe('in_flight');
    expect(await s.claim('d4', 'x', 10_000)).toBe('done');
    expect(await s.claim('d1', 'x', 10_000)).toBe('claimed');
  });
});

describe('RedisDedupeStore (real redis-server)', () => {
  const db = redisForSuite();

  it('claims with SET NX PX, marks done with a TTL of days, and releases by compare-and-delete', async () => {
    const s = new RedisDedupeStore({ redis: db.client, prefix: 't1:' });
    expect(await s.claim('evt', 'tok', 40_000)).toBe('claimed');
    const inFlightTtl = await db.client.pttl('t1:evt');
    expect(inFlightTtl).toBeGreaterThan(30_000);
    expect(inFlightTtl).toBeLessThanOrEqual(40_000);
    expect(await s.claim('evt', 'other', 40_000)).toBe('in_flight');
    await s.release('evt', 'other');
    expect(await db.client.get('t1:evt')).toBe('tok');
    await s.complete('evt', 'tok', 4 * 86_400_000);
    expect(await db.client.get('t1:evt')).toBe('done');
    expect(await db.client.pttl('t1:evt')).toBeGreaterThan(3 * 86_400_000);
    expect(await s.claim('evt', 'again', 40_000)).toBe('done');
    expect(await s.claim('evt2', 'tok', 40_000)).toBe('claimed');
    await s.release('evt2', 'tok');
    expect(await db.client.exists('t1:evt2')).toBe(0);
  });

  it('works again after the server flushed its script cache (EVALSHA falls back to EVAL)', async () => {
    const s = new RedisDedupeStore({ redis: db.client, prefix: 't2:' });
    expect(await s.claim('a', 'x', 1_000)).toBe('claimed');
    await db.client.script('FLUSH');
    expect(await s.claim('b', 'x', 1_000)).toBe('claimed');
  });

  it('two handlers (two instances) sharing Redis run a concurrent duplicate once', async () => {
    const gate = deferred();
    const entered = deferred();
    let calls = 0;
    const clock = new ManualClock(NOW);
    const stores = [0, 1].map(() => new RedisDedupeStore({ url: db.redis.url, prefix: 't3:' }));
    const make = (dedupe: RedisDedupeStore) =>
      createWebhookHandler({
        endpoints: [
          {
            path: '/h',
            verifier: standardWebhooks({ secret: SECRET }),
            on: {
              '*': async () => {
                calls++;
                entered.resolve();
                await gate.promise;
              },
            },
          },
        ],
        dedupe,
        clock,
      });
    const a = make(stores[0]!);
    const b = make(stores[1]!);
    const body = Buffer.from('{"type":"x"}');
    const first = a.handle({ path: '/h', headers: signStandard('same', body), body });
    await entered.promise;
    const second = await b.handle({ path: '/h', headers: signStandard('same', body), body });
    expect(second.status).toBe(503);
    gate.resolve();
    expect((await first).status).toBe(200);
    const third = await b.handle({ path: '/h', headers: signStandard('same', body), body });
    expect(JSON.parse(third.body)).toMatchObject({ duplicate: true });
    expect(calls).toBe(1);
    await Promise.all(stores.map((s) => s.close()));
  });

  it('through the handler: a failing handler releases the Redis mark, the retry marks it done for days', async () => {
    let calls = 0;
    const handler = createWebhookHandler({
      endpoints: [
        {
          path: '/h',
          name: 'ep',
          verifier: standardWebhooks({ secret: SECRET }),
          on: {
            '*': () => {
              calls++;
              if (calls === 1) throw new Error('first try fails');
            },
          },
        },
      ],
      dedupe: new RedisDedupeStore({ redis: db.client, prefix: 't4:' }),
      clock: new ManualClock(NOW),
    });
    const body = Buffer.from('{"type":"x"}');
    const send = () => handler.handle({ path: '/h', headers: signStandard('r1', body), body });
    expect((await send()).status).toBe(500);
    expect(await db.client.exists('t4:ep:r1')).toBe(0);
    expect((await send()).status).toBe(200);
    expect(await db.client.get('t4:ep:r1')).toBe('done');
    expect(await db.client.pttl('t4:ep:r1')).toBeGreaterThan(3 * 86_400_000);
    expect(JSON.parse((await send()).body)).toMatchObject({ duplicate: true });
    expect(calls).toBe(2);
  });

  it('rejects with DedupeStoreError when Redis is unreachable (the handler answers 503)', async () => {
    const s = new RedisDedupeStore({
      url: 'redis://127.0.0.1:1',
      options: { maxRetriesPerRequest: 0, retryStrategy: () => null, commandTimeout: 500 },
    });
    await expect(s.claim('k', 't', 1_000)).rejects.toBeInstanceOf(DedupeStoreError);
    await s.close();
  });
});
