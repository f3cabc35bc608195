import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  cacheTags,
  generatedName,
  invalidationTags,
  resourceLevels,
  sanitizeToolName,
  singular,
} from '../../../src/config/openapi/index.js';
import { parsePointer, walkPointer } from '../../../src/config/openapi/json-pointer.js';

describe('resource tags from paths', () => {
  it('levels skip namespaces and pair collections with their parameters', () => {
    expect(resourceLevels('/api/v1/items/{id}')).toEqual([{ collection: 'items', param: 'id', scope: '' }]);
    expect(resourceLevels('/users/{userId}/posts')).toEqual([
      { collection: 'users', param: 'userId', scope: '' },
      { collection: 'posts', param: undefined, scope: 'user:{userId}:' },
    ]);
    expect(resourceLevels('/{tenant}')).toEqual([]);
    expect(resourceLevels('/')).toEqual([]);
  });

  it('cache tags: collection for lists, instance for items', () => {
    expect(cacheTags('/categories')).toEqual(['categories']);
    expect(cacheTags('/categories/{id}')).toEqual(['category:{id}']);
    expect(cacheTags('/boxes/{boxId}/items')).toEqual(['items', 'box:{boxId}:items']);
    expect(cacheTags('/')).toEqual([]);
  });

  it('invalidation: the list and the instance; actions fall back to their instance', () => {
    const gettable = (p: string) => p === '/orders/{id}/lines';
    expect(invalidationTags('/orders/{id}', 'PATCH', gettable)).toEqual(['orders', 'order:{id}']);
    expect(invalidationTags('/orders', 'POST', gettable)).toEqual(['orders']);
    expect(invalidationTags('/orders/{id}/cancel', 'POST', gettable)).toEqual(['orders', 'order:{id}']);
    expect(invalidationTags('/orders/{id}/lines', 'POST', gettable)).toEqual(['lines', 'order:{id}:lines']);
  });

  it('singular forms', () => {
    expect(
      ['assignments', 'categories', 'boxes', 'matches', 'status', 'news', 'data', 'class'].map(singular),
    ).toEqual([
      'assignment',
      'category',
      'box',
      'match',
      'status',
      'new', // naive on purpose: a tag needs to be stable, not good English
      'data',
      'class',
    ]);
  });
});

describe('tool names', () => {
  it('sanitize to the MCP pattern, always non-empty and at most 128 long', () => {
    expect(sanitizeToolName('get item/{id}')).toBe('get_item_id');
    expect(sanitizeToolName('ünïcode')).toBe('n_code');
    expect(sanitizeToolName('!!!')).toBe('operation');
    expect(generatedName('GET', '/items/{id}/notes')).toBe('get_items_by_id_notes');
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), fc.constantFrom('', 'p_'), (raw, prefix) => {
        expect(sanitizeToolName(raw, prefix)).toMatch(/^[A-Za-z0-9_.-]{1,128}$/);
      }),
      { numRuns: 200 },
    );
  });
});

describe('JSON pointers', () => {
  it('unescape ~1 then ~0, decode percent-escapes, and reject non-pointers', () => {
    expect(parsePointer('#/a~1b/c~0d/~01')).toEqual(['a/b', 'c~d', '~1']);
    expect(parsePointer('#/a%20b')).toEqual(['a b']);
    expect(parsePointer('#')).toEqual([]);
    expect(parsePointer('#name')).toBeUndefined();
    expect(parsePointer('#/%E0%A4%A')).toBeUndefined();
    expect(walkPointer({ a: [{ b: 1 }] }, ['a', '0', 'b'])).toEqual({ found: true, value: 1 });
    expect(walkPointer({ a: [1] }, ['a', '01']).found).toBe(false);
    expect(walkPointer({}, ['toString']).found).toBe(false);
  });
});
