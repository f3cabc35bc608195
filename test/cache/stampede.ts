import { expect } from 'vitest';
import type { TieredCache } from '../../src/cache/index.js';
import { next } from './helpers.js';

/**
 * Sends `n` concurrent `getOrSet('hot')` misses alternating over `a` and `b` (two instances with the
 * distributed lock on one prefix), holding the factory until both have missed, so the lock is what
 * keeps the other callers out; checks every call got the one value and the factory ran once.
 */
export async function expectOneFactoryCallAcross(a: TieredCache, b: TieredCache, n: number): Promise<void> {
  let calls = 0;
  let release!: () => void;
  const gate = new Promise<void>((r) => {
    release = r;
  });
  const factory = async () => {
    calls++;
    await gate;
    return 'v';
  };
  const missed = Promise.all([next(a, 'miss'), next(b, 'miss')]);
  const all = Array.from({ length: n }, (_, i) => (i % 2 ? a : b).getOrSet('hot', factory));
  await missed;
  release();
  expect(new Set(await Promise.all(all))).toEqual(new Set(['v']));
  expect(calls).toBe(1);
}
