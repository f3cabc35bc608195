import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createIoredisDriver,
  createNodeRedisUrlDriver,
  openRedisChannel,
  type RedisChannel,
  type RedisDriver,
} from '../../src/redis/index.js';
import { type RedisHandle, startRedis } from '../helpers/redis-server.js';

type Msg = { n: number };
const decode = (o: Record<string, unknown>): Msg | undefined =>
  typeof o.n === 'number' ? { n: o.n } : undefined;

/** Polls `cond` every 10 ms until it holds; fails after 10 s (a bound, not a sleep for sync). */
async function until(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A channel that records what it hears and its down/up reports. */
function open(driver: RedisDriver, name: string) {
  const heard: number[] = [];
  const states: string[] = [];
  const channel: RedisChannel<Msg> = openRedisChannel({
    driver,
    name,
    decode,
    onMessage: (m) => heard.push(m.n),
    onDown: () => states.push('down'),
    onUp: () => states.push('up'),
  });
  return { channel, heard, states };
}

let redis: RedisHandle;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

const kinds: [string, () => RedisDriver][] = [
  ['node-redis URL driver', () => createNodeRedisUrlDriver(redis.url)],
  ['ioredis driver', () => createIoredisDriver({ url: redis.url })],
];

describe.each(kinds)('openRedisChannel on the %s', (_kind, makeDriver) => {
  it("delivers a peer's messages, skips its own echo and anything foreign", async () => {
    const [da, db] = [makeDriver(), makeDriver()];
    const a = open(da, 'ch:peer');
    const b = open(db, 'ch:peer');
    await Promise.all([a.channel.ready(), b.channel.ready()]);
    expect(a.channel.instanceId).not.toBe(b.channel.instanceId);

    await a.channel.publish({ n: 1 });
    await until(() => b.heard.length === 1, 'b to hear 1');
    // Foreign traffic on the channel: not JSON, not an object, no sender id, a wrong shape.
    for (const raw of ['nope', '[1]', '{"n":2}', '{"i":"x","n":"2"}']) await da.publish('ch:peer', raw);
    await b.channel.publish({ n: 3 });
    // a hears b's 3 after its own 1 and the foreign messages (one connection, in order): none got through.
    await until(() => a.heard.length === 1, 'a to hear 3');
    expect(a.heard).toEqual([3]);
    await a.channel.publish({ n: 4 });
    await until(() => b.heard.length === 2, 'b to hear 4');
    expect(b.heard).toEqual([1, 4]);
    expect([a.states, b.states]).toEqual([[], []]);

    b.channel.close();
    await a.channel.publish({ n: 5 });
    await b.channel.publish({ n: 6 }); // a publish still works after close: only delivery stops
    await until(() => a.heard.length === 2, 'a to hear 6');
    expect(b.heard).toEqual([1, 4]);
    await Promise.all([da.close(), db.close()]);
  });

  it('reports down once and up once across a Redis restart, then delivers again', async () => {
    const [da, db] = [makeDriver(), makeDriver()];
    const a = open(da, 'ch:restart');
    const b = open(db, 'ch:restart');
    await Promise.all([a.channel.ready(), b.channel.ready()]);
    await redis.kill();
    await until(() => b.states.length === 1, 'b down');
    await redis.restart();
    await until(() => a.states.length === 2 && b.states.length === 2, 'both up again');
    expect([a.states, b.states]).toEqual([
      ['down', 'up'],
      ['down', 'up'],
    ]);
    // Subscribed again: a publish reaches the peer once a's command connection is back too (retried
    // until then, since a publish while it reconnects fails fast).
    await until(() => {
      if (!b.heard.includes(7)) a.channel.publish({ n: 7 }).catch(() => {});
      return b.heard.includes(7);
    }, 'b to hear 7');
    expect(a.states).toEqual(['down', 'up']);
    await Promise.all([da.close(), db.close()]);
  });

  it('a failing round trip rejects the publish and nothing is sent', async () => {
    const [da, db] = [makeDriver(), makeDriver()];
    const b = open(db, 'ch:rt');
    const refused = new Error('breaker open');
    const a = openRedisChannel<Msg>({
      driver: da,
      name: 'ch:rt',
      decode,
      onMessage: () => {},
      roundTrip: () => Promise.reject(refused),
    });
    await Promise.all([a.ready(), b.channel.ready()]);
    await expect(a.publish({ n: 1 })).rejects.toBe(refused);
    await da.publish('ch:rt', JSON.stringify({ i: 'other', n: 2 }));
    await until(() => b.heard.length > 0, 'b to hear 2');
    expect(b.heard).toEqual([2]);
    await Promise.all([da.close(), db.close()]);
  });
});

it('started with Redis down: ready() resolves, down is reported once, up once Redis is there', async () => {
  const own = await startRedis();
  await own.kill();
  const driver = createIoredisDriver({ url: own.url });
  const c = open(driver, 'ch:late');
  await c.channel.ready();
  expect(c.states).toEqual(['down']);
  await own.restart();
  await until(() => c.states.length === 2, 'up');
  expect(c.states).toEqual(['down', 'up']);
  await driver.close();
  await own.stop();
});
