import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCache, type TieredCache } from '../../src/cache/index.js';
import { ManualClock } from '../../src/core/index.js';
import { deferred } from '../helpers/deferred.js';
import { type RedisHandle, startRedis } from '../helpers/redis-server.js';
import { next } from './helpers.js';
import { openCaches } from './open-caches.js';

/**
 * The rule: once `delete`, `invalidateTags` or `invalidatePattern` has returned, no read returns a value
 * whose fill (or L2 read) began before it, on this instance or a peer. The overtaken fill may answer
 * its own caller; it is not stored. Every test holds the factory (a deferred upstream answer) so the
 * invalidation lands exactly between the fill's start and its write.
 */

const KEY = 'item:1';
const TAGS = ['item:1'];

type Invalidate = (c: TieredCache) => Promise<void>;
const kinds: [string, Invalidate][] = [
  ['delete', (c) => c.delete(KEY)],
  ['invalidateTags', (c) => c.invalidateTags(TAGS)],
  ['invalidatePattern', (c) => c.invalidatePattern('item:*')],
];

/** A getOrSet miss whose factory the test answers; `called` resolves once the upstream call started. */
function heldFill(c: TieredCache, options: { lock?: boolean } = {}) {
  const called = deferred();
  const answer = deferred<string>();
  const result = c.getOrSet(
    KEY,
    () => {
      called.resolve();
      return answer.promise;
    },
    { tags: TAGS, ...options },
  );
  return { called: called.promise, answer: answer.resolve, result };
}

const fresh = (c: TieredCache) => c.getOrSet(KEY, () => 'new', { tags: TAGS });

describe.each(kinds)('one instance, no Redis: %s overtaking a fill', (_name, invalidate) => {
  it('the overtaken fill answers its caller but is not stored', async () => {
    const c = createCache();
    const fill = heldFill(c);
    await fill.called;
    await invalidate(c);
    fill.answer('old');
    expect(await fill.result).toBe('old');
    expect(await c.get(KEY)).toBeUndefined();
    expect(await fresh(c)).toBe('new');
    await c.close();
  });

  it('a getOrSet that starts after it does not join the overtaken fill', async () => {
    const c = createCache();
    const fill = heldFill(c);
    await fill.called;
    await invalidate(c);
    const later = fresh(c);
    fill.answer('old');
    expect(await fill.result).toBe('old');
    expect(await later).toBe('new');
    expect(await c.get(KEY)).toBe('new');
    await c.close();
  });

  it('a stale-while-revalidate refresh overtaken by it is not stored', async () => {
    const clock = new ManualClock(Date.now());
    const c = createCache({ clock, staleWhileRevalidateMs: 10_000 });
    await c.set(KEY, 'v1', { ttlMs: 1000, tags: TAGS });
    clock.advance(1500);
    const called = deferred();
    const answer = deferred<string>();
    const served = await c.getOrSetWithMeta(
      KEY,
      () => {
        called.resolve();
        return answer.promise;
      },
      { tags: TAGS },
    );
    expect(served).toMatchObject({ value: 'v1', stale: true });
    await called.promise;
    await invalidate(c);
    answer.resolve('refreshed-before');
    // No I/O without Redis: once the event loop turns, the refresh has settled (stored or not).
    await new Promise((r) => setImmediate(r));
    expect(await c.get(KEY)).toBeUndefined();
    expect(await fresh(c)).toBe('new');
    await c.close();
  });
});

describe('with Redis', () => {
  let redis: RedisHandle;
  let seq = 0;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis.stop();
  });
  const make = openCaches(() => ({ url: redis.url, timeoutMs: 500 }));
  const prefix = () => `race${++seq}`;

  describe.each(kinds)('%s on a peer overtaking a fill', (_name, invalidate) => {
    it('is not stored in L2 or in either L1; a third instance does not see it either', async () => {
      const p = prefix();
      const a = await make({ prefix: p });
      const b = await make({ prefix: p });
      const fill = heldFill(a);
      await fill.called;
      await invalidate(b);
      fill.answer('old');
      expect(await fill.result).toBe('old');
      const c = await make({ prefix: p });
      for (const x of [a, b, c]) expect(await x.get(KEY)).toBeUndefined();
      const told = next(a, 'busMessage', (m) => m.type === 'set');
      expect(await fresh(b)).toBe('new');
      await told;
      for (const x of [a, b, c]) expect(await x.get(KEY)).toBe('new');
    });

    it('on the same instance: not stored in L2 either', async () => {
      const p = prefix();
      const a = await make({ prefix: p });
      const fill = heldFill(a);
      await fill.called;
      await invalidate(a);
      fill.answer('old');
      expect(await fill.result).toBe('old');
      const c = await make({ prefix: p });
      expect(await a.get(KEY)).toBeUndefined();
      expect(await c.get(KEY)).toBeUndefined();
    });

    it("the stampede lock's waiter does not take the overtaken value from L2", async () => {
      const p = prefix();
      const lock = { ttlMs: 10_000, waitMs: 300, pollMs: 5 };
      const a = await make({ prefix: p, lock });
      const b = await make({ prefix: p, lock });
      const fill = heldFill(a);
      await fill.called;
      const waiting = b.getOrSet(KEY, () => 'new', { tags: TAGS });
      await invalidate(b);
      fill.answer('old');
      expect(await fill.result).toBe('old');
      expect(await waiting).toBe('new');
      expect(await b.get(KEY)).not.toBe('old');
      expect(await a.get(KEY)).not.toBe('old');
    });
  });

  it('random interleavings of fills, reads and invalidations on two instances match the model', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 25 }), async (steps) => {
        const p = prefix();
        const a = await make({ prefix: p });
        const b = await make({ prefix: p });
        try {
          await runModel([a, b], steps);
        } finally {
          await Promise.all([a.close(), b.close()]);
        }
      }),
      { numRuns: 40 },
    );
  });
});

// ---- model-based property ---------------------------------------------------------------------------

const keys = ['item:1', 'item:2', 'other:1'] as const;
type Key = (typeof keys)[number];
/** Each key's tag: both items share one tag, `other:1` has its own. */
const tagOf = (k: Key) => (k.startsWith('item') ? 'items' : 'others');
const globs = ['item:*', 'other:*', '*:1'] as const;

type Step =
  | { op: 'fill'; at: number; key: Key }
  | { op: 'answer'; n: number }
  | { op: 'read'; at: number; key: Key }
  | { op: 'delete'; at: number; key: Key }
  | { op: 'tags'; at: number; tag: 'items' | 'others' }
  | { op: 'pattern'; at: number; glob: (typeof globs)[number] };

const at = fc.nat(1);
const key = fc.constantFrom(...keys);
const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ op: fc.constant('fill' as const), at, key }),
  fc.record({ op: fc.constant('answer' as const), n: fc.nat(5) }),
  fc.record({ op: fc.constant('read' as const), at, key }),
  fc.record({ op: fc.constant('delete' as const), at, key }),
  fc.record({
    op: fc.constant('tags' as const),
    at,
    tag: fc.constantFrom('items' as const, 'others' as const),
  }),
  fc.record({ op: fc.constant('pattern' as const), at, glob: fc.constantFrom(...globs) }),
);

const globMatches = (glob: string, k: string) => new RegExp(`^${glob.replace(/\*/g, '.*')}$`).test(k);

/** A held fill: the model's record of a getOrSet whose factory was called and not yet answered. */
interface OpenFill {
  cache: TieredCache;
  key: Key;
  value: string;
  /** Overtaken by an invalidation of its key (later getOrSets on its instance must not join it). */
  overtaken: boolean;
  answer: (v: string) => void;
  done: Promise<unknown>;
}

/**
 * Runs `steps` against `caches` and a reference model. The model keeps each value's fill start (a
 * step number) and each key's last invalidation; a read (`get`, or `getOrSet` whether it fills, joins a
 * fill or hits a tier) may return a value only if its key was not invalidated between that value's
 * fill start and the read's own start. Invalidations wait until every peer heard of them (the bus
 * message), as a client of another instance sees them a moment later.
 */
async function runModel(caches: TieredCache[], steps: Step[]): Promise<void> {
  let now = 0;
  const invalidatedAt = new Map<Key, number>();
  const startedAt = new Map<string, number>();
  const open: OpenFill[] = [];
  const pending: Promise<void>[] = [];
  let values = 0;
  /** A read that started at `readAt`, checked when it answers. */
  const check = (k: Key, readAt: number, got: unknown) => {
    if (got === undefined) return;
    const began = startedAt.get(got as string);
    expect(began, `read of ${k} returned unknown ${String(got)}`).toBeDefined();
    const last = invalidatedAt.get(k) ?? -1;
    const lastBeforeRead = last < readAt ? last : -1;
    expect(began! > lastBeforeRead, `${k}: ${String(got)} filled at ${began}, invalidated at ${last}`).toBe(
      true,
    );
  };
  const invalidate = async (c: TieredCache, covered: (k: Key) => boolean, run: () => Promise<void>) => {
    const heard = Promise.all(caches.filter((x) => x !== c).map((x) => next(x, 'busMessage')));
    await run();
    now++;
    for (const k of keys) if (covered(k)) invalidatedAt.set(k, now);
    for (const f of open) if (covered(f.key)) f.overtaken = true;
    await heard;
  };
  for (const s of steps) {
    now++;
    const c = caches[('at' in s ? s.at : 0) % caches.length]!;
    switch (s.op) {
      case 'fill': {
        const readAt = now;
        const value = `v${++values}`;
        startedAt.set(value, now);
        const joins = open.some((f) => f.cache === c && f.key === s.key && !f.overtaken);
        const called = deferred<boolean>();
        const answer = deferred<string>();
        const factory = () => {
          if (joins) return value; // a fresh fill when the model expected a join: answers at once
          called.resolve(true);
          return answer.promise;
        };
        const result = c.getOrSet(s.key, factory, { tags: [tagOf(s.key)] });
        const done = result.then((got) => check(s.key, readAt, got));
        if (joins) {
          pending.push(done);
          break;
        }
        // Either a tier answers (the factory is never called) or the factory is called and held.
        if (await Promise.race([called.promise, result.then(() => false)])) {
          open.push({ cache: c, key: s.key, value, overtaken: false, answer: answer.resolve, done });
        } else {
          await done;
        }
        break;
      }
      case 'answer': {
        const f = open.splice(s.n % Math.max(1, open.length), 1)[0];
        if (!f) break;
        f.answer(f.value);
        await f.done;
        break;
      }
      case 'read': {
        const readAt = now;
        check(s.key, readAt, await c.get(s.key));
        break;
      }
      case 'delete':
        await invalidate(
          c,
          (k) => k === s.key,
          () => c.delete(s.key),
        );
        break;
      case 'tags':
        await invalidate(
          c,
          (k) => tagOf(k) === s.tag,
          () => c.invalidateTags([s.tag]),
        );
        break;
      case 'pattern':
        await invalidate(
          c,
          (k) => globMatches(s.glob, k),
          () => c.invalidatePattern(s.glob),
        );
        break;
    }
  }
  for (const f of open.splice(0)) {
    f.answer(f.value);
    await f.done;
  }
  await Promise.all(pending);
}

describe('model', () => {
  it('random interleavings of fills, reads and invalidations on one instance match the model', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 40 }), async (steps) => {
        const c = createCache();
        try {
          await runModel([c], steps);
        } finally {
          await c.close();
        }
      }),
      { numRuns: 200 },
    );
  });
});
