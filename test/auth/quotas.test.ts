import { once } from 'node:events';
import { createServer, type ServerResponse } from 'node:http';
import { type AddressInfo, connect, createServer as createTcpServer, type Socket } from 'node:net';
import { Client } from '@modelcontextprotocol/client';
import { InMemoryTransport } from '@modelcontextprotocol/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createRecordingLogger,
  type Logger,
  ManualClock,
  noopLogger,
  type Principal,
} from '../../src/core/index.js';
import { createGateway, type RunningGateway, serveGatewayStdio, startGateway } from '../../src/mcp/index.js';
import type { ServerContext } from '@modelcontextprotocol/server';
import { callGuardsFor, guardedExecute } from '../../src/mcp/gateway/call-guards.js';
import { MemoryQuotaStore, type QuotaStore, RedisQuotaStore } from '../../src/mcp/gateway/quota-store.js';
import { Quotas } from '../../src/mcp/gateway/quotas.js';
import type { CompiledTool } from '../../src/mcp/tools/configured-tool.js';
import { openRedisDriver } from '../../src/redis/index.js';
import { connectV2 } from '../mcp/helpers/clients.js';
import { type TestConfigInput, testConfig } from '../helpers/gateway-config.js';
import { type RedisHandle, startRedis } from '../helpers/redis-server.js';

/** An upstream that answers at once, or holds `/slow` answers until `release()`. */
async function startUpstream() {
  const held: ServerResponse[] = [];
  const arrivals: (() => void)[] = [];
  const server = createServer((req, res) => {
    if (req.url?.startsWith('/slow')) {
      held.push(res);
      for (const a of arrivals.splice(0)) a();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"ok":true}');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    arrived: () => new Promise<void>((r) => arrivals.push(r)),
    release() {
      for (const res of held.splice(0)) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"slow":true}');
      }
    },
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

let upstream: Awaited<ReturnType<typeof startUpstream>>;
beforeAll(async () => {
  upstream = await startUpstream();
});
afterAll(async () => {
  await upstream?.close();
});

function quotaConfig(extra: Partial<TestConfigInput> = {}): TestConfigInput {
  return {
    upstreams: { u: { baseUrl: upstream.url } },
    tools: [
      { name: 'get_fast', upstream: 'u', path: '/fast' },
      { name: 'get_other', upstream: 'u', path: '/other' },
      { name: 'get_slow', upstream: 'u', path: '/slow' },
    ],
    limits: [
      { match: { tool: 'get_fast' }, key: '{auth.sub}', perMinute: 2 },
      { match: { tool: 'get_slow' }, key: '{auth.sub}', concurrent: 1 },
    ],
    ...extra,
  };
}

const errorMeta = (r: { _meta?: unknown }) =>
  (r._meta as Record<string, { code?: string; retryAfterMs?: number }> | undefined)?.['conduit/error'];

async function stdioClient(config: TestConfigInput, clock?: ManualClock) {
  const gateway = createGateway(testConfig(config), clock ? { clock } : {});
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  serveGatewayStdio(gateway, { logger: noopLogger, transport: serverSide });
  const client = new Client({ name: 'stdio', version: '1.0.0' });
  await client.connect(clientSide);
  return {
    client,
    close: async () => {
      await client.close();
      await gateway.close();
    },
  };
}

describe('quotas (limits) in memory', () => {
  it('refuses the call past perMinute with QUOTA_EXCEEDED and retryAfterMs; the bucket refills with time', async () => {
    const clock = new ManualClock(Date.now());
    const { client, close } = await stdioClient(quotaConfig({ server: { operator: { sub: 'ops' } } }), clock);
    try {
      expect((await client.callTool({ name: 'get_fast', arguments: {} })).isError).toBeFalsy();
      expect((await client.callTool({ name: 'get_fast', arguments: {} })).isError).toBeFalsy();
      const third = await client.callTool({ name: 'get_fast', arguments: {} });
      expect(third.isError).toBe(true);
      expect(errorMeta(third)?.code).toBe('QUOTA_EXCEEDED');
      expect(errorMeta(third)?.retryAfterMs).toBe(30_000);
      // Another tool is not under that limit.
      expect((await client.callTool({ name: 'get_other', arguments: {} })).isError).toBeFalsy();
      clock.advance(30_000);
      expect((await client.callTool({ name: 'get_fast', arguments: {} })).isError).toBeFalsy();
    } finally {
      await close();
    }
  });

  it('counts each caller on its own bucket (HTTP, static tokens)', async () => {
    const gw: RunningGateway = await startGateway(
      testConfig(
        quotaConfig({
          server: {
            http: {
              authTokens: [
                { token: 'alice-token-0123456789', sub: 'alice' },
                { token: 'bob-token-0123456789', sub: 'bob' },
              ],
            },
          },
        }),
      ),
      { transport: 'http' },
    );
    const alice = await connectV2(gw.url!, 'modern', { authorization: 'Bearer alice-token-0123456789' });
    const bob = await connectV2(gw.url!, 'modern', { authorization: 'Bearer bob-token-0123456789' });
    try {
      for (let i = 0; i < 2; i++) await alice.callTool({ name: 'get_fast', arguments: {} });
      expect(errorMeta(await alice.callTool({ name: 'get_fast', arguments: {} }))?.code).toBe(
        'QUOTA_EXCEEDED',
      );
      expect((await bob.callTool({ name: 'get_fast', arguments: {} })).isError).toBeFalsy();
    } finally {
      await Promise.all([alice.close(), bob.close()]);
      await gw.close();
    }
  });

  it('counts callers without a credential per client address: one anonymous client cannot use up the others', async () => {
    // Behind a trusted proxy (the test's 127.0.0.1), X-Forwarded-For tells the clients apart.
    const config = quotaConfig({ server: { http: { trustProxy: ['127.0.0.1'] } } });
    const gw: RunningGateway = await startGateway(testConfig(config), { transport: 'http' });
    const first = await connectV2(gw.url!, 'modern', { 'x-forwarded-for': '203.0.113.1' });
    const second = await connectV2(gw.url!, 'modern', { 'x-forwarded-for': '2001:db8:1:2::1' });
    const sameSlash64 = await connectV2(gw.url!, 'modern', { 'x-forwarded-for': '2001:db8:1:2::99' });
    try {
      for (let i = 0; i < 2; i++) await first.callTool({ name: 'get_fast', arguments: {} });
      const refused = await first.callTool({ name: 'get_fast', arguments: {} });
      expect(errorMeta(refused)?.code).toBe('QUOTA_EXCEEDED');
      expect((await second.callTool({ name: 'get_fast', arguments: {} })).isError).toBeFalsy();
      expect((await sameSlash64.callTool({ name: 'get_fast', arguments: {} })).isError).toBeFalsy();
      expect(errorMeta(await second.callTool({ name: 'get_fast', arguments: {} }))?.code).toBe(
        'QUOTA_EXCEEDED',
      );
    } finally {
      await Promise.all([first.close(), second.close(), sameSlash64.close()]);
      await gw.close();
    }
  });

  it('ignores X-Forwarded-For without trustProxy: anonymous clients of one address share its bucket', async () => {
    const gw: RunningGateway = await startGateway(testConfig(quotaConfig()), { transport: 'http' });
    const first = await connectV2(gw.url!, 'modern', { 'x-forwarded-for': '203.0.113.1' });
    const forged = await connectV2(gw.url!, 'modern', { 'x-forwarded-for': '203.0.113.2' });
    try {
      for (let i = 0; i < 2; i++) await first.callTool({ name: 'get_fast', arguments: {} });
      expect(errorMeta(await forged.callTool({ name: 'get_fast', arguments: {} }))?.code).toBe(
        'QUOTA_EXCEEDED',
      );
    } finally {
      await Promise.all([first.close(), forged.close()]);
      await gw.close();
    }
  });

  it('caps calls at once (concurrent) and frees the slot when a call ends', async () => {
    const { client, close } = await stdioClient(quotaConfig({ server: { operator: { sub: 'ops' } } }));
    try {
      const arrived = upstream.arrived();
      const first = client.callTool({ name: 'get_slow', arguments: {} });
      await arrived;
      const second = await client.callTool({ name: 'get_slow', arguments: {} });
      expect(errorMeta(second)?.code).toBe('QUOTA_EXCEEDED');
      // In words that fit a limit of one.
      expect((second.content as { text: string }[])[0]?.text).toContain(
        'ops already has 1 call of get_slow running (the limit is 1 at once)',
      );
      upstream.release();
      expect((await first).isError).toBeFalsy();
      const arrivedAgain = upstream.arrived();
      const third = client.callTool({ name: 'get_slow', arguments: {} });
      await arrivedAgain;
      upstream.release();
      expect((await third).isError).toBeFalsy();
    } finally {
      await close();
    }
  });
});

const person = (sub: string): Principal => ({
  id: `static:${sub}`,
  kind: 'static',
  sub,
  scopes: [],
  claims: {},
});

/**
 * A call under several limits: the ones that admitted it before a later one refused give their
 * token back, and two callers racing for the last token do not both pass. Run on each store.
 */
function chainedLimitTests(storeFor: (clock: ManualClock) => QuotaStore) {
  // The per-user limit refills slower (1 a minute) than the per-tool one (2 a minute).
  const chain = [
    { match: { tool: 't' }, key: 'user:{auth.sub}', perMinute: 1 },
    { match: { tool: 't' }, key: 'tool:{tool}', perMinute: 2 },
  ];

  it('a call a later limit refuses keeps the tokens of the earlier limits it passed', async () => {
    const clock = new ManualClock(Date.now());
    const quotas = new Quotas(chain, storeFor(clock));
    try {
      await quotas.acquire(person('bob'), 't');
      await quotas.acquire(person('carol'), 't');
      // The tool's bucket is empty: alice is refused by it, twice.
      await expect(quotas.acquire(person('alice'), 't')).rejects.toMatchObject({ code: 'QUOTA_EXCEEDED' });
      await expect(quotas.acquire(person('alice'), 't')).rejects.toMatchObject({ code: 'QUOTA_EXCEEDED' });
      // One tool token back; alice's own bucket would have half a token had the refusals taken hers.
      clock.advance(30_000);
      await expect(quotas.acquire(person('alice'), 't')).resolves.toBeDefined();
    } finally {
      await quotas.close();
    }
  });

  it('a call a later concurrency cap refuses keeps the tokens of the earlier limits it passed', async () => {
    const clock = new ManualClock(Date.now());
    const quotas = new Quotas(
      [
        { match: { tool: 't' }, key: 'user:{auth.sub}', perMinute: 1 },
        { match: { tool: 't' }, key: 'all', concurrent: 1 },
      ],
      storeFor(clock),
    );
    try {
      const running = await quotas.acquire(person('bob'), 't');
      await expect(quotas.acquire(person('alice'), 't')).rejects.toMatchObject({ code: 'QUOTA_EXCEEDED' });
      await running.release();
      const next = await quotas.acquire(person('alice'), 't');
      await next.release();
    } finally {
      await quotas.close();
    }
  });

  it('two callers racing for the last token of a later limit: one passes, the other keeps its own', async () => {
    const clock = new ManualClock(Date.now());
    const quotas = new Quotas(chain, storeFor(clock));
    try {
      await quotas.acquire(person('carol'), 't');
      const raced = await Promise.allSettled([
        quotas.acquire(person('alice'), 't'),
        quotas.acquire(person('bob'), 't'),
      ]);
      expect(raced.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
      const loser = raced[0]!.status === 'rejected' ? 'alice' : 'bob';
      clock.advance(30_000);
      await expect(quotas.acquire(person(loser), 't')).resolves.toBeDefined();
    } finally {
      await quotas.close();
    }
  });
}

describe('several limits on one call, in memory', () => {
  chainedLimitTests((clock) => new MemoryQuotaStore(clock));
});

describe('freeing a concurrency slot', () => {
  /** A store whose slots are freed only when the test says so, as a slow Redis would. */
  function gatedStore() {
    const memory = new MemoryQuotaStore(new ManualClock(0));
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const store: QuotaStore = {
      take: (key, perMinute) => memory.take(key, perMinute),
      async hold(key, max) {
        const hold = await memory.hold(key, max);
        if (!hold.ok) return hold;
        return {
          ok: true,
          release: async () => {
            await gate;
            await hold.release();
          },
        };
      },
      close: () => memory.close(),
    };
    return { store, open };
  }

  it('answers a call only once its slot is free, so the caller can call again straight away', async () => {
    const { store, open } = gatedStore();
    const quotas = new Quotas([{ match: { tool: 'slow' }, key: '{auth.sub}', concurrent: 1 }], store);
    const config = testConfig(quotaConfig({ server: { operator: { sub: 'ops' } } }));
    const guards = callGuardsFor(config, {
      clock: new ManualClock(0),
      logger: noopLogger,
      keep: { audit: undefined, quotas },
    });
    const tool = {
      name: 'slow',
      config: {},
      execute: async () => ({ content: [{ type: 'text', text: 'done' }] }),
    } as unknown as CompiledTool;
    const run = guardedExecute(tool, guards);
    const ctx = {} as ServerContext;
    const signal = { signal: new AbortController().signal } as unknown as Parameters<typeof run>[2];
    const events: string[] = [];
    const call = run({}, ctx, signal).then((r) => {
      events.push('answered');
      return r;
    });
    // Every pending callback has run: the tool is done, only the slot's release is outstanding.
    await new Promise((r) => setImmediate(r));
    expect(events).toEqual([]);
    events.push('freed');
    open();
    expect((await call).isError).toBeFalsy();
    expect(events).toEqual(['freed', 'answered']);
    const next = await quotas.acquire(guards.operator, 'slow');
    await next.release();
  });
});

/**
 * A TCP proxy in front of Redis that, while holding, passes commands on at once but keeps Redis's
 * replies: a reply slower than the store's timeout, for a command Redis did run.
 */
async function startReplyHoldingProxy(redisUrl: string) {
  const target = new URL(redisUrl);
  const held: (() => void)[] = [];
  const replyWaiters: (() => void)[] = [];
  const sockets = new Set<Socket>();
  let holding = false;
  const server = createTcpServer((client) => {
    const redisSide = connect(Number(target.port), target.hostname);
    for (const s of [client, redisSide]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => sockets.delete(s));
    }
    client.on('close', () => redisSide.destroy());
    redisSide.on('close', () => client.destroy());
    client.on('data', (chunk) => redisSide.write(chunk));
    redisSide.on('data', (chunk) => {
      if (!holding) {
        client.write(chunk);
        return;
      }
      held.push(() => client.write(chunk));
      for (const w of replyWaiters.splice(0)) w();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `redis://127.0.0.1:${port}`,
    hold() {
      holding = true;
    },
    /** Resolves when Redis answered a command while holding: the command ran. */
    replied: () => new Promise<void>((r) => replyWaiters.push(r)),
    pass() {
      holding = false;
      for (const send of held.splice(0)) send();
    },
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/**
 * A TCP proxy to Redis that can be cut (every connection dropped, new ones refused: a partition) and
 * healed on the same port.
 */
async function startPartitionProxy(redisUrl: string) {
  const target = new URL(redisUrl);
  const sockets = new Set<Socket>();
  const server = createTcpServer((client) => {
    const redisSide = connect(Number(target.port), target.hostname);
    for (const s of [client, redisSide]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => sockets.delete(s));
    }
    client.pipe(redisSide);
    redisSide.pipe(client);
    client.on('close', () => redisSide.destroy());
    redisSide.on('close', () => client.destroy());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `redis://127.0.0.1:${port}`,
    async cut() {
      const closed = new Promise<void>((r) => server.close(() => r()));
      for (const s of sockets) s.destroy();
      await closed;
    },
    async heal() {
      server.listen(port, '127.0.0.1');
      await once(server, 'listening');
    },
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((r) => (server.listening ? server.close(() => r()) : r()));
    },
  };
}

describe('quotas counted in Redis', () => {
  let redis: RedisHandle;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('two instances share one bucket through Redis', async () => {
    const config = quotaConfig({
      server: { operator: { sub: 'shared-user' } },
      cache: { redis: { url: redis.url }, prefix: `q${Date.now()}` },
    });
    const a = await stdioClient(config);
    const b = await stdioClient(config);
    try {
      expect((await a.client.callTool({ name: 'get_fast', arguments: {} })).isError).toBeFalsy();
      expect((await b.client.callTool({ name: 'get_fast', arguments: {} })).isError).toBeFalsy();
      expect(errorMeta(await a.client.callTool({ name: 'get_fast', arguments: {} }))?.code).toBe(
        'QUOTA_EXCEEDED',
      );
      expect(errorMeta(await b.client.callTool({ name: 'get_fast', arguments: {} }))?.code).toBe(
        'QUOTA_EXCEEDED',
      );
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('two instances share one concurrency cap through Redis, and a finished call frees the slot', async () => {
    const config = quotaConfig({
      server: { operator: { sub: 'shared-user' } },
      cache: { redis: { url: redis.url }, prefix: `c${Date.now()}` },
    });
    const a = await stdioClient(config);
    const b = await stdioClient(config);
    try {
      const arrived = upstream.arrived();
      const first = a.client.callTool({ name: 'get_slow', arguments: {} });
      await arrived;
      const refused = await b.client.callTool({ name: 'get_slow', arguments: {} });
      expect(errorMeta(refused)?.code).toBe('QUOTA_EXCEEDED');
      expect(errorMeta(refused)?.retryAfterMs).toBeGreaterThan(0);
      upstream.release();
      expect((await first).isError).toBeFalsy();
      const arrivedAgain = upstream.arrived();
      const second = b.client.callTool({ name: 'get_slow', arguments: {} });
      await arrivedAgain;
      upstream.release();
      expect((await second).isError).toBeFalsy();
    } finally {
      await a.close();
      await b.close();
    }
  });

  describe('several limits on one call', () => {
    let n = 0;
    chainedLimitTests(
      (clock) =>
        new RedisQuotaStore(
          openRedisDriver({ url: redis.url }),
          `chain${Date.now()}-${++n}:`,
          clock,
          noopLogger,
        ),
    );
  });

  it('a refund is given once, never past capacity, and does not bring back a bucket reset meanwhile', async () => {
    const clock = new ManualClock(Date.now());
    const driver = openRedisDriver({ url: redis.url });
    const prefix = `refund${Date.now()}:`;
    const store = new RedisQuotaStore(driver, prefix, clock, noopLogger);
    try {
      const first = await store.take('r', 3);
      expect((await store.take('r', 3)).ok).toBe(true);
      if (!first.ok) throw new Error('expected the first take to pass');
      await first.refund();
      await first.refund();
      // One token back: two more pass, the third is refused (a second refund would admit it).
      expect((await store.take('r', 3)).ok).toBe(true);
      expect((await store.take('r', 3)).ok).toBe(true);
      expect((await store.take('r', 3)).ok).toBe(false);
      const late = await store.take('gone', 3);
      if (!late.ok) throw new Error('expected the take to pass');
      await driver.del(`${prefix}gone`);
      await late.refund();
      // A hash made again would answer GET with WRONGTYPE: only a missing key reads null.
      expect(await driver.get(`${prefix}gone`).catch((err: unknown) => String(err))).toBeNull();
    } finally {
      await store.close();
    }
  });

  const leaseStore = (clock: ManualClock, prefix: string, logger: Logger = noopLogger) =>
    new RedisQuotaStore(openRedisDriver({ url: redis.url }), prefix, clock, logger, {
      leaseMs: 30_000,
      renewMs: 10_000,
    });

  it("frees a crashed instance's concurrency slots once its lease lapses", async () => {
    const clock = new ManualClock(Date.now());
    const prefix = `crash${Date.now()}:`;
    const crashed = leaseStore(clock, prefix);
    const survivor = leaseStore(clock, prefix);
    try {
      expect((await crashed.hold('k', 1)).ok).toBe(true);
      // The holder dies without releasing: no release, no more renewals.
      await crashed.close();
      expect(await survivor.hold('k', 1)).toEqual({ ok: false, running: 1 });
      clock.advance(29_999);
      expect((await survivor.hold('k', 1)).ok).toBe(false);
      clock.advance(1);
      const after = await survivor.hold('k', 1);
      expect(after.ok).toBe(true);
    } finally {
      await survivor.close();
    }
  });

  it('takes back a lease whose acquire answered too late, so it holds no slot on any instance', async () => {
    const clock = new ManualClock(Date.now());
    const prefix = `late${Date.now()}:`;
    const proxy = await startReplyHoldingProxy(redis.url);
    const slow = new RedisQuotaStore(openRedisDriver({ url: proxy.url }), prefix, clock, noopLogger, {
      leaseMs: 30_000,
      renewMs: 10_000,
    });
    const other = leaseStore(clock, prefix);
    try {
      await slow.take('connect', 100);
      proxy.hold();
      const ran = proxy.replied();
      const pending = slow.hold('k', 1);
      // Redis ran the acquire (the lease is in its set); its reply is later than the store's 250 ms.
      await ran;
      clock.advance(250);
      const fallback = await pending;
      expect(fallback.ok).toBe(true);
      if (fallback.ok) await fallback.release();
      proxy.pass();
      // A round trip on the slow store's connection: Redis answers in order, what it sent is done.
      await slow.take('sync', 100);
      // No call runs under `k` anywhere: another instance is admitted.
      const next = await other.hold('k', 1);
      expect(next.ok).toBe(true);
      if (next.ok) await next.release();
    } finally {
      await slow.close();
      await other.close();
      await proxy.close();
    }
  });

  it('retries a release that failed while Redis could not be reached, so the slot comes free on every instance before the lease lapses', async () => {
    const clock = new ManualClock(Date.now());
    const prefix = `unreleased${Date.now()}:`;
    const proxy = await startPartitionProxy(redis.url);
    const cutOff = new RedisQuotaStore(openRedisDriver({ url: proxy.url }), prefix, clock, noopLogger, {
      leaseMs: 30_000,
      renewMs: 10_000,
    });
    const other = leaseStore(clock, prefix);
    try {
      const held = await cutOff.hold('k', 1);
      expect(held.ok).toBe(true);
      await proxy.cut();
      const start = clock.now();
      const releasing = held.ok ? held.release() : undefined;
      // The release cannot reach Redis: it fails at the store's 250 ms timeout.
      clock.advance(250);
      await releasing;
      expect(await other.hold('k', 1)).toEqual({ ok: false, running: 1 });
      await proxy.heal();
      let freed: Awaited<ReturnType<typeof other.hold>> | undefined;
      for (let step = 0; step < 20 && !freed?.ok; step++) {
        clock.advance(1_000);
        // A round trip on the cut-off store's connection, once it is back: what it sent before is done.
        await cutOff.take('sync', 1_000);
        freed = await other.hold('k', 1);
      }
      expect(freed?.ok).toBe(true);
      expect(clock.now() - start).toBeLessThan(30_000);
      if (freed?.ok) await freed.release();
    } finally {
      await cutOff.close();
      await other.close();
      await proxy.close();
    }
  });

  it("renews a long call's lease so it keeps its slot past the lease time, until released", async () => {
    const clock = new ManualClock(Date.now());
    const store = leaseStore(clock, `renew${Date.now()}:`);
    try {
      const long = await store.hold('k', 1);
      expect(long.ok).toBe(true);
      for (let i = 0; i < 9; i++) {
        clock.advance(10_000);
        // A round trip on the same connection: Redis answers in order, so the renewal is done.
        await store.take('sync', 1000);
      }
      clock.advance(5_000);
      expect(await store.hold('k', 1)).toEqual({ ok: false, running: 1 });
      if (long.ok) long.release();
      const next = await store.hold('k', 1);
      expect(next.ok).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('caps calls at once in per-instance memory while Redis is down, logged once', async () => {
    const logger = createRecordingLogger();
    const store = leaseStore(new ManualClock(Date.now()), `cdown${Date.now()}:`, logger as Logger);
    try {
      const inRedis = await store.hold('k', 1);
      expect(inRedis.ok).toBe(true);
      await redis.kill();
      // Memory has no record of the Redis lease: it admits one call of its own, then refuses.
      const inMemory = await store.hold('k', 1);
      expect(inMemory.ok).toBe(true);
      expect((await store.hold('k', 1)).ok).toBe(false);
      if (inMemory.ok) inMemory.release();
      expect((await store.hold('k', 1)).ok).toBe(true);
      if (inRedis.ok) inRedis.release();
      expect(logger.records.filter((r) => r.event === 'quota.redis_down')).toHaveLength(1);
    } finally {
      await redis.restart();
      await store.close();
    }
  });

  it('fails open to per-instance memory while Redis is down, logged once', async () => {
    const logger = createRecordingLogger();
    const store = new RedisQuotaStore(
      openRedisDriver({ url: redis.url }),
      `down${Date.now()}:`,
      {
        now: () => Date.now(),
        setTimeout: (fn, ms) => setTimeout(fn, ms),
        clearTimeout: (h) => clearTimeout(h as never),
      },
      logger as Logger,
    );
    try {
      expect((await store.take('k', 1)).ok).toBe(true);
      expect((await store.take('k', 1)).ok).toBe(false);
      await redis.kill();
      // Memory takes over with a bucket of its own: the first take passes, the next is refused.
      expect((await store.take('k', 1)).ok).toBe(true);
      expect((await store.take('k', 1)).ok).toBe(false);
      expect((await store.take('other', 5)).ok).toBe(true);
      expect(logger.records.filter((r) => r.event === 'quota.redis_down')).toHaveLength(1);
    } finally {
      await redis.restart();
      await store.close();
    }
  });
});
