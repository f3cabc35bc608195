import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/index.js';
import {
  CircuitOpenError,
  circuitBreaker,
  RedisBreakerStateStore,
  type StateChangeEvent,
} from '../../src/resilience/index.js';
import { deferred } from '../helpers/deferred.js';
import { type RedisHandle, startRedis } from '../helpers/redis-server.js';

let redis: RedisHandle;
const clients: Redis[] = [];

beforeAll(async () => {
  redis = await startRedis();
});

afterAll(async () => {
  for (const c of clients) c.disconnect();
  await redis?.stop();
});

/** One "instance": its own connections and store on the shared key. */
async function instanceStore(key: string) {
  const cmd = new Redis(redis.url, { lazyConnect: false, maxRetriesPerRequest: 1 });
  const sub = new Redis(redis.url, { lazyConnect: false, maxRetriesPerRequest: 1 });
  clients.push(cmd, sub);
  const store = new RedisBreakerStateStore({ redis: cmd, subscriber: sub, key });
  await store.ready();
  return store;
}

function nextChange(b: ReturnType<typeof circuitBreaker>): Promise<StateChangeEvent> {
  return new Promise((resolve) => {
    const off = b.on('stateChange', (e) => {
      off();
      resolve(e);
    });
  });
}

const fail = () => Promise.reject(new Error('upstream down'));

/** An upstream that answers 'ok' and counts its calls. */
function countedOk() {
  let n = 0;
  return {
    call: async () => {
      n++;
      return 'ok';
    },
    calls: () => n,
  };
}

/** Two instances' breakers (threshold 1, recovery 10 s) on one key, both open once `a` failed. */
async function twoInstances(key: string, clock: ManualClock) {
  const [sa, sb] = await Promise.all([instanceStore(key), instanceStore(key)]);
  const opts = { model: { kind: 'consecutive' as const, threshold: 1 }, recoveryMs: 10_000, clock };
  const a = circuitBreaker({ ...opts, name: 'a', store: sa });
  const b = circuitBreaker({ ...opts, name: 'b', store: sb });
  const bOpened = nextChange(b);
  await expect(a.execute(fail)).rejects.toThrow('upstream down');
  expect(await bOpened).toMatchObject({ to: 'open', reason: 'store' });
  return { a, b, sa, sb };
}

/** Past the recovery time `a` admits `probe`; resolves once `b` heard that `a` is half-open. */
async function halfOpenOnA(
  a: ReturnType<typeof circuitBreaker>,
  b: ReturnType<typeof circuitBreaker>,
  clock: ManualClock,
  probe: () => Promise<string>,
): Promise<{ running: Promise<string> }> {
  clock.advance(10_000);
  const bHalfOpen = nextChange(b);
  const running = a.execute(probe);
  expect(a.state).toBe('half-open');
  expect(await bHalfOpen).toMatchObject({ to: 'half-open', reason: 'store' });
  return { running };
}

describe('RedisBreakerStateStore', () => {
  it("one instance's open breaker protects another: it rejects without calling the upstream", async () => {
    const clock = new ManualClock(1_000_000);
    const [sa, sb] = await Promise.all([instanceStore('t:breaker:a'), instanceStore('t:breaker:a')]);
    const opts = { model: { kind: 'consecutive' as const, threshold: 3 }, recoveryMs: 10_000, clock };
    const a = circuitBreaker({ ...opts, name: 'a', store: sa });
    const b = circuitBreaker({ ...opts, name: 'b', store: sb });
    const bOpened = nextChange(b);
    for (let i = 0; i < 3; i++) await expect(a.execute(fail)).rejects.toThrow('upstream down');
    expect(a.state).toBe('open');
    const change = await bOpened;
    expect(change).toMatchObject({ to: 'open', reason: 'store' });
    let called = 0;
    await expect(
      b.execute(async () => {
        called++;
        return 'ok';
      }),
    ).rejects.toBeInstanceOf(CircuitOpenError);
    expect(called).toBe(0);
    // A closing transition made by either instance reaches the other.
    const aClosed = nextChange(a);
    b.reset();
    expect(b.state).toBe('closed');
    expect(await aClosed).toMatchObject({ to: 'closed', reason: 'store' });
    sa.close();
    sb.close();
  });

  it("sends one probe for all instances: one that hears another's half-open waits for that probe's outcome", async () => {
    const clock = new ManualClock(3_000_000);
    const { a, b, sa, sb } = await twoInstances('t:breaker:probe', clock);
    const probe = deferred<string>();
    const { running: aProbe } = await halfOpenOnA(a, b, clock, () => probe.promise);
    const upstream = countedOk();
    const err = await b.execute(upstream.call).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CircuitOpenError);
    expect((err as CircuitOpenError).state).toBe('half-open');
    expect(upstream.calls()).toBe(0);
    const bClosed = nextChange(b);
    probe.resolve('ok');
    await expect(aProbe).resolves.toBe('ok');
    expect(await bClosed).toMatchObject({ to: 'closed', reason: 'store' });
    await expect(b.execute(upstream.call)).resolves.toBe('ok');
    sa.close();
    sb.close();
  });

  it('an instance whose probe never ends (it died mid-probe) holds the others back for one recovery time only', async () => {
    const clock = new ManualClock(4_000_000);
    const { a, b, sa, sb } = await twoInstances('t:breaker:probe-lost', clock);
    await halfOpenOnA(a, b, clock, () => new Promise<string>(() => {}));
    const upstream = countedOk();
    await expect(b.execute(upstream.call)).rejects.toBeInstanceOf(CircuitOpenError);
    clock.advance(9_999);
    await expect(b.execute(upstream.call)).rejects.toBeInstanceOf(CircuitOpenError);
    clock.advance(1);
    const aClosed = nextChange(a);
    await expect(b.execute(upstream.call)).resolves.toBe('ok');
    expect(upstream.calls()).toBe(1);
    expect(await aClosed).toMatchObject({ to: 'closed', reason: 'store' });
    sa.close();
    sb.close();
  });

  it('a breaker created later starts from the state in Redis', async () => {
    const clock = new ManualClock(2_000_000);
    const first = await instanceStore('t:breaker:late');
    // The write is SET then PUBLISH: hearing the publish means the value is in Redis.
    const watcher = new Redis(redis.url);
    clients.push(watcher);
    await watcher.subscribe('t:breaker:late:changes');
    const written = new Promise<void>((r) => watcher.once('message', () => r()));
    const a = circuitBreaker({
      model: { kind: 'consecutive', threshold: 1 },
      recoveryMs: 10_000,
      clock,
      store: first,
    });
    await expect(a.execute(fail)).rejects.toThrow();
    expect(a.state).toBe('open');
    await written;
    const observer = await instanceStore('t:breaker:late');
    const late = circuitBreaker({ recoveryMs: 10_000, clock, store: observer });
    expect(late.state).toBe('open');
    first.close();
    observer.close();
  });

  it('ignores malformed state messages and values', async () => {
    const store = await instanceStore('t:breaker:bad');
    const seen: unknown[] = [];
    store.subscribe((r) => seen.push(r));
    const pub = new Redis(redis.url);
    clients.push(pub);
    await pub.set('t:breaker:bad', 'not json');
    await pub.publish('t:breaker:bad:changes', '{"state":"weird","version":1}');
    await pub.publish('t:breaker:bad:changes', 'garbage');
    const good = { state: 'open', openedAt: 1, nextAttemptAt: 2, reopenCount: 0, version: 5 };
    const adopted = new Promise<void>((r) => store.subscribe(() => r()));
    await pub.publish('t:breaker:bad:changes', JSON.stringify(good));
    await adopted;
    // Redis delivers a channel's messages in order: the bad ones came first and were dropped.
    expect(seen).toEqual([good]);
    store.close();
  });

  it('keeps the superseding record: a losing write is answered with the record that won', async () => {
    const store = await instanceStore('t:breaker:tie');
    const base = { openedAt: 1, nextAttemptAt: 2, reopenCount: 0 };
    await store.set({ ...base, state: 'open', version: 3, writer: 'b' });
    const told: unknown[] = [];
    store.subscribe((r) => told.push(r));
    await store.set({ ...base, state: 'closed', version: 3, writer: 'a' });
    expect(store.get()).toMatchObject({ state: 'open', writer: 'b' });
    expect(told).toEqual([expect.objectContaining({ state: 'open', version: 3, writer: 'b' })]);
    await store.set({ ...base, state: 'closed', version: 4, writer: 'a' });
    expect(store.get()).toMatchObject({ state: 'closed', version: 4 });
    store.close();
  });

  it('keeps working locally when Redis is unreachable (errors are logged, never thrown)', async () => {
    const dead = new Redis({
      port: 1,
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    const deadSub = new Redis({
      port: 1,
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    dead.on('error', () => {});
    deadSub.on('error', () => {});
    const store = new RedisBreakerStateStore({ redis: dead, subscriber: deadSub, key: 't:breaker:dead' });
    await store.ready();
    const b = circuitBreaker({
      model: { kind: 'consecutive', threshold: 1 },
      recoveryMs: 1000,
      store,
      clock: new ManualClock(0),
    });
    await expect(b.execute(fail)).rejects.toThrow('upstream down');
    expect(b.state).toBe('open');
    await store.set({
      state: 'closed',
      openedAt: undefined,
      nextAttemptAt: undefined,
      reopenCount: 0,
      version: 99,
    });
    expect(store.get()?.version).toBe(99);
    store.close();
    dead.disconnect();
    deadSub.disconnect();
  });
});
