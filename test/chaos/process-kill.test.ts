import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCache, type TieredCache } from '../../src/cache/index.js';
import { type RedisHandle, startRedis } from '../helpers/redis-server.js';
import { type RoundRobinProxy, startRoundRobinProxy } from '../scale/helpers/proxy.js';
import { type ChaosUpstream, startChaosUpstream } from './lib/fault-upstream.js';
import { chaosConfig } from './lib/gateway.js';
import { crashLines, installProcessGuard, monitoredExitCode, processFailures } from './lib/guard.js';
import { ClientPool, drive, forMs, Recorder } from './lib/load.js';
import { type GatewayProcess, rssMbOf, spawnGateway, stopGateway } from './lib/processes.js';
import { type ScenarioReport, writeScenario } from './lib/report.js';

installProcessGuard();
const WORKERS = 12;
const report: ScenarioReport = {
  id: '7-process-kill',
  title: '7. One of three gateway processes killed mid-load (shared Redis, round-robin proxy)',
  phases: {},
  claims: {},
};

let redis: RedisHandle;
let upstream: ChaosUpstream;
let gateways: GatewayProcess[] = [];
let proxy: RoundRobinProxy;
let pool: ClientPool;
let observer: TieredCache;

beforeAll(async () => {
  [redis, upstream] = await Promise.all([startRedis(), startChaosUpstream()]);
  const config = chaosConfig(
    { baseUrl: upstream.url, timeouts: { total: 3000 } },
    { redisUrl: redis.url, prefix: 'chaos7', cacheTtl: 60_000 },
  );
  gateways = await Promise.all([0, 1, 2].map(() => spawnGateway(config)));
  proxy = await startRoundRobinProxy(gateways.map((g) => new URL(g.url).origin));
  pool = new ClientPool(`${proxy.url}/mcp`, WORKERS);
  // Listens on the same bus as the gateways, to know when an invalidation went out.
  observer = createCache({ prefix: 'chaos7', l2: { url: redis.url } });
  await observer.ready();
}, 120_000);

afterAll(async () => {
  await pool?.close();
  await proxy?.close();
  await observer?.close();
  const exits = await Promise.all(gateways.map((g) => stopGateway(g)));
  await upstream?.close();
  await redis?.stop();
  // After the shutdown, so a crash while stopping counts too: the survivors (0 and 2) must exit 0 on
  // SIGTERM, and no process (the killed one included, up to its kill) may report a crash.
  const crashes = gateways.flatMap((g) => crashLines(g.stderr()));
  // The monitor's own exit line as well: proof it was loaded, so its crash marker would have been too.
  const survivorExits = exits
    .map((e, i) => ({ ...e, monitored: monitoredExitCode(gateways[i]!.stderr()) }))
    .filter((_, i) => i !== 1);
  report.claims[
    'no crash in any gateway process (crash monitor and stderr scan), survivors exit 0 on SIGTERM'
  ] =
    crashes.length === 0 &&
    survivorExits.every((e) => e.code === 0 && e.signal === null && e.monitored === 0);
  writeScenario(report);
  expect(processFailures).toEqual([]);
  expect(crashes).toEqual([]);
  expect(survivorExits).toEqual(survivorExits.map(() => ({ code: 0, signal: null, monitored: 0 })));
});

const work = (w: number, n: number) =>
  n % 10 === 9
    ? { name: 'update_item', args: { id: String((w * 13 + n) % 40) } }
    : { name: n % 2 ? 'get_item_cached' : 'get_item', args: { id: String((w * 7 + n) % 40) } };

describe('chaos 7: a gateway process dies', () => {
  it('the others keep serving and cross-instance invalidation still holds', async () => {
    // Warm-up (not recorded): each process compiles its code paths under tsx on first use.
    await drive(pool, WORKERS, forMs(2000), work, new Recorder());
    // Memory is the gateways' own (RSS of each process); the harness's is not reported here.
    const gatewayRss = () => rssMbOf(gateways.map((g) => g.child.pid));
    const steady = new Recorder();
    const steadyStart = upstream.hits.length;
    await drive(pool, WORKERS, forMs(3000), work, steady);
    report.phases['3 instances'] = {
      ...steady.figures(),
      upstreamCalls: upstream.hits.length - steadyStart,
      gatewaysRssMb: gatewayRss(),
    };
    expect(steady.figures().ok).toBe(steady.figures().requests);

    const killPhase = new Recorder();
    const killStart = upstream.hits.length;
    let killedAt = Number.POSITIVE_INFINITY;
    const load = drive(pool, WORKERS, forMs(5000), work, killPhase);
    await new Promise((r) => setTimeout(r, 1000)); // kill a second into the phase
    gateways[1]!.child.kill('SIGKILL');
    killedAt = performance.now();
    await gateways[1]!.exited;
    await load;
    const inFlightAtKill = killPhase.outcomes.filter((o) => o.at < killedAt && o.at + o.ms > killedAt);
    const startedAfter = killPhase.outcomes.filter((o) => o.at > killedAt);
    const failedAfter = startedAfter.filter((o) => o.kind !== 'ok');
    report.phases['kill 1 of 3 (SIGKILL)'] = {
      ...killPhase.figures(),
      inFlightAtKill: inFlightAtKill.length,
      failedInFlightAtKill: inFlightAtKill.filter((o) => o.kind !== 'ok').length,
      startedAfterKill: startedAfter.length,
      failedAfterKill: failedAfter.length,
      upstreamCalls: upstream.hits.length - killStart,
      gatewaysRssMb: gatewayRss(),
    };
    report.claims['every call started after the kill succeeds (the proxy routes to the survivors)'] =
      startedAfter.length > 0 && failedAfter.length === 0;
    expect(startedAfter.length).toBeGreaterThan(0);
    expect(failedAfter.map((o) => o.kind)).toEqual([]);

    // Cross-instance invalidation between the survivors, each read directly.
    const [s0, s2] = [gateways[0]!, gateways[2]!];
    const direct0 = new ClientPool(s0.url, 1);
    const direct2 = new ClientPool(s2.url, 1);
    try {
      await direct2.call(0, 'get_item_cached', { id: 'shared' });
      const cachedOn2 = await direct2.call(0, 'get_item_cached', { id: 'shared' });
      const heard = new Promise<void>((r) => observer.on('busMessage', () => r()));
      await direct0.call(0, 'update_item', { id: 'shared' });
      await heard;
      const after = await direct2.call(0, 'get_item_cached', { id: 'shared' });
      const fresh = after.result?.structuredContent?.version === upstream.version('shared');
      report.phases['invalidation across survivors'] = {
        cachedBefore: cachedOn2.source,
        readAfterUpdate: after.source,
        fresh,
      };
      report.claims['an update on one survivor evicts the other survivor’s L1'] =
        cachedOn2.source === 'cache' && fresh;
      expect(cachedOn2.source).toBe('cache');
      expect(fresh).toBe(true);
    } finally {
      await Promise.all([direct0.close(), direct2.close()]);
    }
  });
});
