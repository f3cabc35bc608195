import { describe, expect, it } from 'vitest';
import { LruMap } from '../../src/core/index.js';

describe('LruMap', () => {
  it('drops the least recently set entry past max', () => {
    const m = new LruMap<string, number>(2);
    m.set('a', 1).set('b', 2).set('c', 3);
    expect(m.size).toBe(2);
    expect(m.get('a')).toBeUndefined();
    expect(m.get('b')).toBe(2);
    expect(m.get('c')).toBe(3);
  });

  it('a read makes the entry the most recent, so the other one goes first', () => {
    const m = new LruMap<string, number>(2);
    m.set('a', 1).set('b', 2);
    expect(m.get('a')).toBe(1);
    m.set('c', 3);
    expect(m.get('b')).toBeUndefined();
    expect(m.get('a')).toBe(1);
  });

  it('drops the oldest entry not read since the last eviction passed it; read ones get a second chance', () => {
    const m = new LruMap<string, number>(3);
    m.set('a', 1).set('b', 2).set('c', 3);
    m.get('a');
    m.get('b');
    m.set('d', 4);
    expect(m.get('c')).toBeUndefined();
    m.get('d');
    m.set('e', 5);
    expect([m.get('a'), m.get('b'), m.get('d')].filter((v) => v === undefined)).toHaveLength(1);
    expect(m.get('a')).toBeUndefined();
    expect(m.size).toBe(3);
  });

  it('setting an existing key replaces it without growing and refreshes its recency', () => {
    const m = new LruMap<string, number>(2);
    m.set('a', 1).set('b', 2).set('a', 10).set('c', 3);
    expect(m.size).toBe(2);
    expect(m.get('a')).toBe(10);
    expect(m.get('b')).toBeUndefined();
  });

  it('delete removes an entry and reports whether it was there', () => {
    const m = new LruMap<string, number>(3);
    m.set('a', 1);
    expect(m.delete('a')).toBe(true);
    expect(m.delete('a')).toBe(false);
    expect(m.size).toBe(0);
  });

  it('clear empties it', () => {
    const m = new LruMap<string, number>(3);
    m.set('a', 1).set('b', 2);
    m.clear();
    expect(m.size).toBe(0);
    expect(m.get('a')).toBeUndefined();
  });

  it('refuses a bound that is not a positive integer', () => {
    expect(() => new LruMap(0)).toThrow(RangeError);
    expect(() => new LruMap(1.5)).toThrow(RangeError);
  });
});

describe('LruMap eviction hook and values', () => {
  it('tells onEvict of each entry dropped for room, never of delete or clear; values() leaves recency alone', () => {
    const dropped: [string, number][] = [];
    const m = new LruMap<string, number>(2, (v, k) => dropped.push([k, v]));
    m.set('a', 1).set('b', 2);
    m.get('a');
    m.set('c', 3);
    expect(dropped).toEqual([['b', 2]]);
    expect([...m.values()].sort()).toEqual([1, 3]);
    m.delete('a');
    m.clear();
    expect(dropped).toEqual([['b', 2]]);
    m.set('x', 1).set('y', 2);
    for (const _ of m.values()); // not a use: x is still the one to go
    m.set('z', 3);
    expect(dropped).toEqual([
      ['b', 2],
      ['x', 1],
    ]);
  });
});
