import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRecordingLogger, type LogRecord, ManualClock } from '../../src/core/index.js';
import { type RunningGateway, startGateway } from '../../src/mcp/index.js';
import { type TestConfigInput, testConfig } from '../helpers/gateway-config.js';
import { type RedisHandle, startRedis } from '../helpers/redis-server.js';
import { connectV2, textOf } from '../mcp/helpers/clients.js';
import { startUpstream, type Upstream } from '../mcp/helpers/upstream.js';

const THRESHOLD = 2;
const RECOVERY_MS = 30_000;

type Client = Awaited<ReturnType<typeof connectV2>>;
interface Instance {
  gateway: RunningGateway;
  client: Client;
  logs: LogRecord[];
}

let redis: RedisHandle;
let upstream: Upstream;
// One injectable clock for both instances: the shared record's `nextAttemptAt` is epoch time, which
// real instances read from synchronised wall clocks; here both read this one.
const clock = new ManualClock(1_700_000_000_000);
let a: Instance;
let b: Instance;

function config(redisUrl: string, upstreamUrl: string): TestConfigInput {
  return {
    server: { name: 'shared-breaker', version: '1.0.0', http: { stateless: true } },
    cache: { prefix: 'sb', redis: { url: redisUrl } },
    resources: { health: true },
    upstreams: {
      assignments: {
        baseUrl: upstreamUrl,
        retry: { maxAttempts: 1 },
        breaker: { failureThreshold: THRESHOLD, recovery: RECOVERY_MS, shared: true },
      },
    },
    tools: [
      {
        name: 'get_assignment',
        upstream: 'assignments',
        method: 'GET',
        path: '/assignments/{id}',
        input: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
      },
    ],
  };
}

async function startInstance(cfg: TestConfigInput): Promise<Instance> {
  const logs: LogRecord[] = [];
  const gateway = await startGateway(testConfig(cfg), {
    transport: 'http',
    clock,
    logger: createRecordingLogger({}, logs),
  });
  return { gateway, client: await connectV2(gateway.url!, 'modern'), logs };
}

const call = (i: Instance, id = '1') =>
  i.client.callTool({ name: 'get_assignment', arguments: { id } }) as Promise<{
    isError?: boolean;
    content: unknown;
  }>;

async function breakerState(i: Instance): Promise<string> {
  const r = await i.client.readResource({ uri: 'conduit://health' });
  const health = JSON.parse((r.contents[0] as { text: string }).text) as {
    upstreams: Record<string, { breaker: { state: string } | null }>;
  };
  return health.upstreams.assignments!.breaker!.state;
}

/** Polls the instance's health until its breaker is in `state` (bounded; the change travels over Redis). */
async function waitForState(i: Instance, state: string): Promise<void> {
  const deadline = Date.now() + 5000;
  let last = '';
  while (Date.now() < deadline) {
    last = await breakerState(i);
    if (last === state) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`breaker never reached ${state} (last ${last})`);
}

const storeLines = (i: Instance, text: string) =>
  i.logs.filter((l) => l.component === 'shared-breakers' && (l.msg ?? '').includes(text));

beforeAll(async () => {
  [redis, upstream] = await Promise.all([startRedis(), startUpstream()]);
  const cfg = config(redis.url, upstream.url);
  a = await startInstance(cfg);
  b = await startInstance(cfg);
});

afterAll(async () => {
  await Promise.allSettled([a, b].map((i) => i?.client.close()));
  await Promise.allSettled([a, b].map((i) => i?.gateway.close()));
  await upstream?.close();
  await redis?.stop();
});

describe('breaker.shared: two gateway instances, one Redis', () => {
  it("A's breaker opens on failures; B fails fast without calling the upstream; a probe after the cool-down closes both", async () => {
    expect((await call(b)).isError).toBeFalsy();
    expect(await breakerState(a)).toBe('closed');

    upstream.setFault({ kind: 'status', status: 500 });
    for (let n = 0; n < THRESHOLD; n++) {
      const r = await call(a);
      expect(r.isError).toBe(true);
      expect(textOf(r)).toContain('HTTP 500');
    }
    expect(await breakerState(a)).toBe('open');
    // B has made no failing call at all: it opens because A told it through Redis.
    await waitForState(b, 'open');

    const before = upstream.count('/assignments');
    const onB = await call(b);
    expect(onB.isError).toBe(true);
    expect(textOf(onB)).toContain('circuit breaker is open, so the call was not attempted');
    expect(upstream.count('/assignments')).toBe(before);

    // The cool-down passes; the upstream healed. B's next call is the probe, and it succeeds.
    upstream.setFault({ kind: 'none' });
    clock.advance(RECOVERY_MS);
    const probe = await call(b);
    expect(probe.isError).toBeFalsy();
    expect(upstream.count('/assignments')).toBe(before + 1);
    expect(await breakerState(b)).toBe('closed');
    // A closes without probing itself.
    await waitForState(a, 'closed');
    expect((await call(a)).isError).toBeFalsy();
    expect(upstream.count('/assignments')).toBe(before + 2);
  });

  it('Redis dies: breakers keep working locally, no call fails because of Redis, one log line per outage; sharing resumes after a restart', async () => {
    await redis.kill();
    upstream.setFault({ kind: 'status', status: 500 });
    const texts: string[] = [];
    // A opens on its own traffic; its store write fails (logged once), and B does not hear of it.
    for (let n = 0; n < THRESHOLD; n++) texts.push(textOf(await call(a)));
    expect(await breakerState(a)).toBe('open');
    for (let n = 0; n < 3; n++) texts.push(textOf(await call(a)));
    // A flaps: probe fails (reopen) twice more, each transition another failed write.
    for (let n = 0; n < 2; n++) {
      clock.advance(RECOVERY_MS);
      texts.push(textOf(await call(a)));
      expect(await breakerState(a)).toBe('open');
    }
    expect(await breakerState(b)).toBe('closed');
    // B judges on its own traffic too.
    for (let n = 0; n < THRESHOLD; n++) texts.push(textOf(await call(b)));
    expect(await breakerState(b)).toBe('open');
    // Every failure is the upstream's 500 or a fast "circuit open", never a Redis error.
    for (const t of texts) expect(t.includes('HTTP 500') || t.includes('circuit breaker is open')).toBe(true);
    expect(texts.join('\n')).not.toMatch(/redis|ECONNREFUSED|Stream isn't writeable/i);
    expect(storeLines(a, 'Redis unavailable')).toHaveLength(1);
    expect(storeLines(b, 'Redis unavailable')).toHaveLength(1);

    // Redis back: the stores reconnect, resubscribe and re-read their keys (logged once each).
    await redis.restart();
    const deadline = Date.now() + 10_000;
    while (
      (storeLines(a, 'available again').length === 0 || storeLines(b, 'available again').length === 0) &&
      Date.now() < deadline
    )
      await new Promise((r) => setTimeout(r, 25));
    expect(storeLines(a, 'available again')).toHaveLength(1);
    expect(storeLines(b, 'available again')).toHaveLength(1);

    // Sharing works again: A's probe closes A, and B hears it.
    upstream.setFault({ kind: 'none' });
    clock.advance(10 * RECOVERY_MS);
    expect((await call(a)).isError).toBeFalsy();
    expect(await breakerState(a)).toBe('closed');
    await waitForState(b, 'closed');
    expect(storeLines(a, 'Redis unavailable')).toHaveLength(1);
  });

  it('an instance started while Redis is down starts with local breakers and joins the sharing when Redis is back', async () => {
    await redis.kill();
    const c = await startInstance(config(redis.url, upstream.url));
    try {
      expect(storeLines(c, 'Redis unavailable at start')).toHaveLength(1);
      expect((await call(c)).isError).toBeFalsy();

      await redis.restart();
      const deadline = Date.now() + 10_000;
      while (storeLines(c, 'Redis available').length === 0 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 25));
      expect(storeLines(c, 'Redis available')).toHaveLength(1);
      // A and B reconnect on their own: wait until all three instances listen on the channel again.
      const probe = new Redis(redis.url);
      try {
        const listeners = async () =>
          Number(
            (
              (await probe.pubsub(
                'NUMSUB',
                'sb:breaker:assignments:GET /assignments/{id}:changes',
              )) as unknown[]
            )[1],
          );
        while ((await listeners()) < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
        expect(await listeners()).toBe(3);
      } finally {
        probe.disconnect();
      }

      // C's breaker opens on its own failures; A hears it through Redis. Redis restarted empty, so C
      // never saw A's records: C's transition must still outrank them (versions follow the clock;
      // with this still clock it needs to be later than A's last transition, as it would be).
      clock.advance(1000);
      upstream.setFault({ kind: 'status', status: 500 });
      for (let n = 0; n < THRESHOLD; n++) expect((await call(c)).isError).toBe(true);
      expect(await breakerState(c)).toBe('open');
      await waitForState(a, 'open');
    } finally {
      upstream.setFault({ kind: 'none' });
      await c.client.close();
      await c.gateway.close();
    }
  });
});
