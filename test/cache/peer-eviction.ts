import { expect } from 'vitest';
import type { TieredCache } from '../../src/cache/index.js';
import { next } from './helpers.js';

/**
 * Checks the invalidation bus between two caches on one prefix and L2, with key `k`: a set on `a`
 * reaches `b`, which then reads the value from L2 and keeps it in L1; a second set on `a` evicts that
 * L1 copy (`b` reads the new value from L2); a delete on `a` removes it from `b`.
 */
export async function expectSetAndDeleteEvictPeer(a: TieredCache, b: TieredCache): Promise<void> {
  let heard = next(b, 'busMessage', (e) => e.type === 'set');
  await a.set('k', 'v1');
  await heard;
  expect(await b.getOrSetWithMeta('k', () => 'x')).toMatchObject({ value: 'v1', source: 'l2' });
  expect(await b.getOrSetWithMeta('k', () => 'x')).toMatchObject({ value: 'v1', source: 'l1' });

  heard = next(b, 'busMessage', (e) => e.type === 'set');
  await a.set('k', 'v2');
  await heard;
  expect(await b.getOrSetWithMeta('k', () => 'x')).toMatchObject({ value: 'v2', source: 'l2' });

  heard = next(b, 'busMessage', (e) => e.type === 'del');
  await a.delete('k');
  await heard;
  expect(await b.get('k')).toBeUndefined();
}
