import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CacheValueError } from '../../src/cache/index.js';
import { L1, L1Entry } from '../../src/cache/tiers/l1.js';

const FAR = 1e15;
const put = (l1: L1, key: string, value: unknown, until = FAR) =>
  l1.put(key, value, false, FAR, FAR, undefined, until);

describe('L1 slot store', () => {
  it('behaves as a least-recently-used map of a reference model under random operations', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.array(fc.tuple(fc.constantFrom('get', 'set', 'delete'), fc.integer({ min: 0, max: 9 })), {
          maxLength: 200,
        }),
        (max, ops) => {
          const l1 = new L1({ maxEntries: max });
          const model = new Map<string, number>(); // insertion order = recency, oldest first
          let n = 0;
          for (const [op, k] of ops) {
            const key = `k${k}`;
            if (op === 'set') {
              const v = n++;
              put(l1, key, v);
              model.delete(key);
              model.set(key, v);
              if (model.size > max) model.delete(model.keys().next().value!);
            } else if (op === 'get') {
              const i = l1.find(key, 0);
              const want = model.get(key);
              expect(i >= 0 ? l1.valueAt(i) : undefined).toBe(want);
              if (want !== undefined) {
                model.delete(key);
                model.set(key, want);
              }
            } else {
              expect(l1.delete(key)).toBe(model.delete(key));
            }
            expect(l1.size).toBe(model.size);
          }
          for (const [key, v] of model) expect(l1.peek(key, 0)?.value).toBe(v);
        },
      ),
    );
  });

  it('grows its columns past the first block of slots and keeps every entry', () => {
    const l1 = new L1({ maxEntries: 70_000, maxBytes: 1e12 });
    for (let i = 0; i < 70_000; i++) put(l1, `k${i}`, i);
    expect(l1.size).toBe(70_000);
    expect(l1.peek('k0', 0)?.value).toBe(0);
    expect(l1.peek('k69999', 0)?.value).toBe(69_999);
    put(l1, 'one-more', 1);
    expect(l1.size).toBe(70_000);
    expect(l1.peek('k0', 0)).toBeUndefined(); // the least recent went
  });

  it('evicts least recent entries until the bytes fit, and skips (dropping the old copy) one larger than maxBytes', () => {
    const l1 = new L1({ maxBytes: 2000 });
    put(l1, 'a', 'x'.repeat(200));
    put(l1, 'b', 'x'.repeat(200));
    put(l1, 'c', 'x'.repeat(200));
    expect(l1.size).toBe(3);
    const bytes = l1.bytes;
    put(
      l1,
      'd',
      Array.from({ length: 100 }, () => 0),
    ); // ~1 KB of heap: a and b go
    expect(l1.peek('a', 0)).toBeUndefined();
    expect(l1.peek('b', 0)).toBeUndefined();
    expect(l1.peek('c', 0)?.value).toBe('x'.repeat(200));
    expect(l1.bytes).toBeLessThanOrEqual(2000);
    expect(l1.bytes).toBeGreaterThan(bytes / 3);
    expect(put(l1, 'c', 'x'.repeat(5000))).toBe(-1);
    expect(l1.peek('c', 0)).toBeUndefined();
    l1.clear();
    expect([l1.size, l1.bytes]).toEqual([0, 0]);
  });

  it('drops an entry past its L1 expiry on find, and leaves it to peek until then', () => {
    const l1 = new L1();
    put(l1, 'k', 'v', 100);
    expect(l1.peek('k', 99)?.value).toBe('v');
    expect(l1.find('k', 100)).toBe(-1);
    expect(l1.size).toBe(0);
    expect(l1.bytes).toBe(0);
  });

  it('refuses a value that is not plain data and leaves what it held', () => {
    const l1 = new L1();
    put(l1, 'k', 'old');
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(() => put(l1, 'k', circular)).toThrow(CacheValueError);
    expect(l1.peek('k', 0)?.value).toBe('old');
  });

  it('sets the stale-if-error throttle only on the entry a copy was taken from', () => {
    const l1 = new L1();
    put(l1, 'k', { v: 1 });
    const copy = l1.peek('k', 0)!;
    expect(l1.markFailing('k', copy, 500)).toBe(true);
    expect(l1.peek('k', 0)?.failUntil).toBe(500);
    put(l1, 'k', { v: 2 }); // a new entry: no throttle, and the old copy no longer matches
    expect(l1.peek('k', 0)?.failUntil).toBe(0);
    expect(l1.markFailing('k', copy, 900)).toBe(false);
    l1.set('k', new L1Entry({ v: 3 }, false, 0, FAR, FAR, undefined, FAR, 700));
    expect(l1.peek('k', 0)?.failUntil).toBe(700);
  });
});
