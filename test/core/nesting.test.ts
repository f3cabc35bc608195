import { describe, expect, it } from 'vitest';
import { nestedDeeperThan, nestedDeeperThanIterative } from '../../src/core/index.js';

/** `[[…]]`, `depth` arrays deep. */
function arrays(depth: number): unknown {
  let v: unknown = [];
  for (let i = 1; i < depth; i++) v = [v];
  return v;
}

/** A deterministic pseudo-random JSON value: objects and arrays of varied width and depth, and scalars. */
function randomValue(next: () => number, depth: number): unknown {
  const pick = next();
  if (depth > 12 || pick < 0.4) return pick < 0.1 ? null : next() < 0.5 ? 'a' : 1;
  const n = Math.floor(next() * 4);
  if (pick < 0.7) return Array.from({ length: n }, () => randomValue(next, depth + 1));
  const o: Record<string, unknown> = {};
  for (let i = 0; i < n; i++) o[`k${i}`] = randomValue(next, depth + 1);
  return o;
}

describe('nestedDeeperThanIterative', () => {
  it('counts as nestedDeeperThan does, at and past the limit, and any depth is safe to ask about', () => {
    for (const max of [1, 5, 1000]) {
      expect(nestedDeeperThanIterative(arrays(max), max)).toBe(false);
      expect(nestedDeeperThanIterative(arrays(max + 1), max)).toBe(true);
      expect(nestedDeeperThanIterative({ a: 1, b: [arrays(max)] }, max)).toBe(true);
    }
    expect(nestedDeeperThanIterative(arrays(1_000_000), 1000)).toBe(true);
    expect(nestedDeeperThanIterative(arrays(1_000_000), 2_000_000)).toBe(false);
    expect(nestedDeeperThanIterative('scalar', 0)).toBe(false);
    expect(nestedDeeperThanIterative(null, 0)).toBe(false);
  });

  it('agrees with the recursive walk on generated values', () => {
    let seed = 42;
    const next = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let i = 0; i < 2000; i++) {
      const value = randomValue(next, 0);
      for (const max of [0, 1, 2, 3, 5, 8]) {
        if (nestedDeeperThanIterative(value, max) !== nestedDeeperThan(value, max))
          expect.fail(`they differ on ${JSON.stringify(value)} at ${max}`);
      }
    }
  });
});
