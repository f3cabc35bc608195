import { describe, expect, it } from 'vitest';
import { CommaSeparated, RequestValidationError } from '../../src/http/index.js';
import { buildQueryString } from '../../src/http/query.js';
import { buildRequestMapping, mapArguments } from '../../src/mcp/tools/request-mapping.js';

describe('mapArguments with wire forms', () => {
  const mapping = buildRequestMapping(
    'POST',
    '/x/{id}',
    { properties: { id: {}, ids: {}, q: {}, h: {}, payload: {} } },
    { ids: 'query', q: 'query', h: 'header', payload: 'body' },
    { bodyArgument: 'payload', commaSeparatedQuery: ['ids'], jsonEncoded: ['id', 'q', 'h'] },
  );

  it('JSON text in path, query and header; a comma-separated array; the whole body as given', () => {
    const m = mapArguments(mapping, { id: 'a b', ids: [1, 'x,y'], q: ['p'], h: { k: 1 }, payload: [1, 2] });
    expect(m.params).toEqual({ id: '"a b"' });
    expect(m.query.q).toBe('["p"]');
    expect(m.query.ids).toBeInstanceOf(CommaSeparated);
    expect(buildQueryString(undefined, m.query)).toBe(`?ids=1,x%2Cy&q=${encodeURIComponent('["p"]')}`);
    expect(m.headers).toEqual({ h: '{"k":1}' });
    expect(m.wholeBody).toEqual({ value: [1, 2] });
    expect(m.json).toBeUndefined();
  });

  it('a whole body may be null or a string; when it is left out no body is sent', () => {
    expect(mapArguments(mapping, { id: 'a', payload: null }).wholeBody).toEqual({ value: null });
    expect(mapArguments(mapping, { id: 'a', payload: 'text' }).wholeBody).toEqual({ value: 'text' });
    const none = mapArguments(mapping, { id: 'a' });
    expect(none.wholeBody).toBeUndefined();
    expect(none.json).toBeUndefined();
  });

  it('an empty comma-separated array drops the key, like an empty exploded one', () => {
    const m = mapArguments(mapping, { id: 'a', ids: [] });
    expect(buildQueryString(undefined, m.query)).toBe('');
  });

  it('without wire forms nothing changes: arrays repeat the key, body fields make one object', () => {
    const plain = buildRequestMapping('POST', '/x', { properties: { ids: {}, a: {} } }, { ids: 'query' });
    const m = mapArguments(plain, { ids: ['1', '2'], a: 'b' });
    expect(buildQueryString(undefined, m.query)).toBe('?ids=1&ids=2');
    expect(m.json).toEqual({ a: 'b' });
    expect(m.wholeBody).toBeUndefined();
  });
});

describe('a whole body never drops an argument', () => {
  it('another property mapped (or defaulted) to the body is refused when the mapping is built', () => {
    expect(() =>
      buildRequestMapping(
        'POST',
        '/items',
        { properties: { items: {}, note: {} } },
        { items: 'body' },
        { bodyArgument: 'items' },
      ),
    ).toThrow(/"items" is the whole request body, so "note" cannot go to the body too/);
  });

  it('an argument the schema does not list is refused at call time, naming it, instead of being dropped', () => {
    const mapping = buildRequestMapping(
      'POST',
      '/items',
      { properties: { items: {} } },
      { items: 'body' },
      { bodyArgument: 'items' },
    );
    let caught: unknown;
    try {
      mapArguments(mapping, { items: [1], extra: 'x' });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(RequestValidationError);
    expect((caught as RequestValidationError).code).toBe('REQUEST_VALIDATION');
    expect((caught as Error).message).toMatch(
      /extra: not accepted: the request body is the whole "items" argument/,
    );
  });
});
