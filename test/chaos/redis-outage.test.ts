import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisHandle, startRedis } from '../helpers/redis-server.js';
import { closeInstance, type Instance, startInstance } from '../scale/helpers/cluster.js';
import { type ChaosUpstream, startChaosUpstream } from './lib/fault-upstream.js';
import { chaosConfig } from './lib/gateway.js';
import { installProcessGuard, processFailures } from './lib/guard.js';
import { ClientPool, drive, forMs, memoryMb, Recorder } from './lib/load.js';
import { type ScenarioReport, writeScenario } from './lib/report.js';

installProcessGuard();
const WORKERS = 8;
const report: ScenarioReport = {
  id: '5-redis-outage',
  title: '5. Redis killed under load and restarted (two instances)',
  phases: {},
  claims: {},
};

let redis: RedisHandle;
let upstream: ChaosUpstream;
let a: Instance;
let b: Instance;
let poolA: ClientPool;
let poolB: ClientPool;

beforeAll(async () => {
  [redis, upstream] = await Promise.all([startRedis(), startChaosUpstream()]);
  const config = chaosConfig(
    { baseUrl: upstream.url, timeouts: { total: 3000 } },
    { redisUrl: redis.url, prefix: 'chaos5', cacheTtl: 60_000 },
  );
  a = await startInstance(config);
  b = await startInstance(config);
  poolA = new ClientPool(a.url, WORKERS);
  poolB = new ClientPool(b.url, WORKERS);
});

afterAll(async () => {
  await Promise.allSettled([poolA?.close(), poolB?.close()]);
  await Promise.allSettled([a, b].filter(Boolean).map(closeInstance));
  await upstream?.close();
  await redis?.stop();
  writeScenario(report);
  expect(processFailures).toEqual([]);
});

// 90% cached reads over 50 ids, 10% updates that invalidate them.
const work = (w: number, n: number) =>
  n % 10 === 9
    ? { name: 'update_item', args: { id: String((w * 13 + n) % 50) } }
    : { name: 'get_item_cached', args: { id: String((w * 7 + n) % 50) } };

const versionOf = (o: { result?: { structuredContent?: Record<string, unknown> } }) =>
  o.result?.structuredContent?.version;

describe('chaos 5: Redis dies under load', () => {
  it('no tool call fails, L1 serves meanwhile, it recovers without a restart and leaves no stale L1', async () => {
    // Both instances hold "hot" in L1.
    for (const pool of [poolA, poolB]) {
      await pool.call(0, 'get_item_cached', { id: 'hot' });
      expect((await pool.call(0, 'get_item_cached', { id: 'hot' })).source).toBe('cache');
    }
    // When B's bus came back (performance.now()), to report it against the restart's start.
    const busUp = new Promise<number>((resolve) =>
      b.cache.on('busGap', (e) => e.phase === 'up' && resolve(performance.now())),
    );
    const busDown = new Promise<void>((resolve) =>
      b.cache.on('busGap', (e) => e.phase === 'down' && resolve()),
    );

    const before = new Recorder();
    const t0 = performance.now();
    await Promise.all([
      drive(poolA, WORKERS, forMs(2000), work, before),
      drive(poolB, WORKERS, forMs(2000), work, before),
    ]);
    report.phases['redis up'] = {
      ...before.figures(),
      upstreamCalls: upstream.hitsSince(t0).length,
      l2: a.cache.stats().l2,
      ...memoryMb(),
    };

    const during = new Recorder();
    const t1 = performance.now();
    let stop = false;
    const load = Promise.all([
      drive(poolA, WORKERS, () => stop, work, during),
      drive(poolB, WORKERS, () => stop, work, during),
    ]);
    const killedAt = performance.now();
    await redis.kill();
    await busDown;
    // While Redis is gone, "hot" changes through A; B cannot hear it and keeps its L1 copy for now.
    const updated = await poolA.call(0, 'update_item', { id: 'hot' });
    expect(updated.kind).toBe('ok');
    const newVersion = upstream.version('hot');
    await delay(2000); // the outage lasts a while under load
    const statsDown = { a: a.cache.stats().l2, b: b.cache.stats().l2 };
    const restartBegan = performance.now();
    await redis.restart();
    const restartedAt = performance.now();
    let upTimer: NodeJS.Timeout | undefined;
    const busBackAt = await Promise.race([
      busUp,
      new Promise<undefined>((r) => {
        upTimer = setTimeout(() => r(undefined), 20_000);
      }),
    ]);
    clearTimeout(upTimer);
    const recovered = busBackAt !== undefined;
    stop = true;
    await load;
    report.phases['redis killed -> restarted'] = {
      ...during.figures(),
      upstreamCalls: upstream.hitsSince(t1).length,
      outageMs: Math.round(restartedAt - killedAt),
      // From the restart command (the new redis-server's start-up included) to B's bus resubscribed.
      busBackAfterRestartBeganMs: recovered ? Math.round(busBackAt - restartBegan) : 'never',
      l2WhileDown: statsDown.b,
      ...memoryMb(),
    };

    // After the bus gap B dropped its L1: "hot" is read fresh.
    const hotOnB = await poolB.call(0, 'get_item_cached', { id: 'hot' });
    const afterRec = new Recorder();
    const t2 = performance.now();
    await Promise.all([
      drive(poolA, WORKERS, forMs(2000), work, afterRec),
      drive(poolB, WORKERS, forMs(2000), work, afterRec),
    ]);
    report.phases['redis back'] = {
      ...afterRec.figures(),
      upstreamCalls: upstream.hitsSince(t2).length,
      l2: b.cache.stats().l2,
      ...memoryMb(),
    };
    // Redis is back (and each L2 breaker has had its 1 s recovery under load): what A caches, B finds in L2.
    await poolA.call(0, 'get_item_cached', { id: 'after-restart' });
    const l2Hit = await poolB.call(0, 'get_item_cached', { id: 'after-restart' });
    report.phases['redis back'].l2States = `${a.cache.stats().l2.state} / ${b.cache.stats().l2.state}`;

    const failed = [...before.outcomes, ...during.outcomes, ...afterRec.outcomes].filter(
      (o) => o.kind !== 'ok',
    );
    report.claims['zero failed tool calls across the outage'] = failed.length === 0;
    report.claims['L1-only service meanwhile (calls kept succeeding while Redis was down)'] =
      during.figures().ok === during.figures().requests && during.figures().requests > 0;
    report.claims['recovery without restart (bus resubscribed, L2 hits again)'] =
      recovered && l2Hit.result?._meta?.['conduit/cache']?.layer === 'l2';
    report.claims['no stale L1 after the bus gap (B reads the version written during the outage)'] =
      versionOf(hotOnB) === newVersion;
    expect(failed.map((o) => o.kind)).toEqual([]);
    expect(recovered).toBe(true);
    expect(versionOf(hotOnB)).toBe(newVersion);
    expect(l2Hit.result?._meta?.['conduit/cache']?.layer).toBe('l2');
  });
});
