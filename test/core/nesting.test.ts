import { describe, expect, it } from 'vitest';
import { nestedDeeperThan, MAX_NESTING_LIMIT } from '../../src/core/index.js';

/** `[[…]]`, `depth` arrays deep. */
function arrays(depth: number): unknown {
  let v: unknown = [];
  for (let i = 1; i < depth; i++) v = [v];
  return v;
}

describe('nestedDeeperThan', () => {
  it('counts depth at and past the limit, and stops at the limit however deep the value goes', () => {
    for (const max of [1, 5, 1000]) {
      expect(nestedDeeperThan(arrays(max), max)).toBe(false);
      expect(nestedDeeperThan(arrays(max + 1), max)).toBe(true);
      expect(nestedDeeperThan({ a: 1, b: [arrays(max)] }, max)).toBe(true);
    }
    expect(nestedDeeperThan(arrays(1_000_000), MAX_NESTING_LIMIT)).toBe(true);
    expect(nestedDeeperThan('scalar', 0)).toBe(false);
    expect(nestedDeeperThan(null, 0)).toBe(false);
  });
});
