import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expandPath, InvalidPathError } from '../../src/http/path-template.js';
import { KeyTemplate } from '../../src/mcp/tools/key-template.js';

const BASE = 'http://127.0.0.1:9/api/v1';

/** Resolves the expanded path the way the HTTP client's URL would be built: base path + path. */
function resolved(path: string): URL {
  return new URL(`${BASE}${path}`);
}

// Values chosen to attack a path: separators, dot segments, encodings, unicode and lone surrogates.
const hostile = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constantFrom(
    '..',
    '.',
    '',
    '../../etc/passwd',
    '%2e%2e',
    '%2F',
    '..%2f..',
    '/',
    '//evil.example',
    '?x=1',
    '#frag',
    '\\..\\',
    'a/b',
    '\ud800',
    'ÿ/..',
    'http://evil.example/',
  ),
  fc.integer(),
  fc.boolean(),
);

describe('path template expansion fuzz', () => {
  it('each parameter becomes exactly one segment under the base path, or the call is refused', () => {
    fc.assert(
      fc.property(hostile, hostile, (a, b) => {
        let path: string;
        try {
          path = expandPath('/users/{user}/items/{id}', { user: a, id: b });
        } catch (err) {
          expect(err).toBeInstanceOf(InvalidPathError);
          return;
        }
        const url = resolved(path);
        expect(url.origin).toBe('http://127.0.0.1:9');
        expect(url.search).toBe('');
        expect(url.hash).toBe('');
        const segments = url.pathname.split('/');
        // ['', 'api', 'v1', 'users', <user>, 'items', <id>]
        expect(segments).toHaveLength(7);
        expect(segments.slice(0, 4)).toEqual(['', 'api', 'v1', 'users']);
        expect(segments[5]).toBe('items');
        expect(decodeURIComponent(segments[4]!)).toBe(String(a));
        expect(decodeURIComponent(segments[6]!)).toBe(String(b));
      }),
      { numRuns: 1000 },
    );
  });

  it('arbitrary templates expand under the base path or are refused with InvalidPathError', () => {
    const piece = fc.oneof(
      fc.constantFrom('/', '/a', '/{id}', '{id}', '/..', '/.', '//', '?', '#', '%2e', '{', '}', '\\', ' '),
      fc.string({ maxLength: 6 }),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 6 }), hostile, (pieces, id) => {
        const template = pieces.join('');
        let path: string;
        try {
          path = expandPath(template, { id });
        } catch (err) {
          expect(err).toBeInstanceOf(InvalidPathError);
          return;
        }
        const url = resolved(path);
        expect(url.origin).toBe('http://127.0.0.1:9');
        expect(url.pathname.startsWith('/api/v1/')).toBe(true);
        expect(url.search).toBe('');
        for (const seg of url.pathname.split('/')) {
          expect(['.', '..']).not.toContain(decodeURIComponent(seg));
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('non-scalar parameter values are refused, never stringified into the path', () => {
    fc.assert(
      fc.property(fc.oneof(fc.object(), fc.array(fc.anything()), fc.constant(null)), (value) => {
        expect(() => expandPath('/items/{id}', { id: value as never })).toThrow(InvalidPathError);
      }),
      { numRuns: 200 },
    );
  });
});

describe('cache key template fuzz', () => {
  it('any template and any arguments render a string without throwing', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), fc.object({ maxDepth: 3 }), (source, args) => {
        const t = new KeyTemplate(source);
        expect(typeof t.render(args)).toBe('string');
        expect(Array.isArray(t.fields)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('equal arguments in any key order give the same key; different ids give different keys', () => {
    const t = new KeyTemplate('item:{id}:{filter}');
    fc.assert(
      fc.property(
        fc.string({ maxLength: 10 }),
        fc.string({ maxLength: 10 }),
        fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 5 }),
        (id1, id2, filter) => {
          const reversed = Object.fromEntries(Object.entries(filter).reverse());
          expect(t.render({ id: id1, filter })).toBe(t.render({ filter: reversed, id: id1 }));
          // ':' is a literal separator: ids are compared only where they cannot shift into it.
          if (id1 !== id2 && !id1.includes(':') && !id2.includes(':')) {
            expect(t.render({ id: id1, filter })).not.toBe(t.render({ id: id2, filter }));
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('distinct values never render the same key: separators cannot be forged, missing/null/"" differ', () => {
    const t = new KeyTemplate('pair:{a}:{b}');
    const value = fc.oneof(
      fc.string({ maxLength: 6, unit: fc.constantFrom('1', ':', '%', '-', '~', 'J', '\ud800', 'é', '*') }),
      fc.constantFrom(undefined, null, 0, true, [], {}),
    );
    // What the upstream request depends on: a number and its digits (or a boolean and its word) are
    // one request on the path or query, so they may share a key; anything else must not.
    const identity = (v: unknown) =>
      v === undefined
        ? 'U'
        : v === null
          ? 'N'
          : typeof v === 'object'
            ? `J${JSON.stringify(v)}`
            : `S${String(v)}`;
    fc.assert(
      fc.property(value, value, value, value, (a1, b1, a2, b2) => {
        if (identity(a1) === identity(a2) && identity(b1) === identity(b2)) return;
        expect(t.render({ a: a1, b: b1 })).not.toBe(t.render({ a: a2, b: b2 }));
      }),
      { numRuns: 2000 },
    );
  });

  it('hostile argument objects (__proto__ keys, null prototypes, nested values) never throw or pollute', () => {
    const t = new KeyTemplate('k:{a.b.c}:{__proto__}:{constructor}');
    const args = JSON.parse('{"__proto__": {"polluted": 1}, "a": {"b": null}}') as Record<string, unknown>;
    expect(() => t.render(args)).not.toThrow();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    // An object renders as %J and its canonical JSON, encoded.
    expect(t.render({ a: { b: { c: [1, { z: 1, y: 2 }] } } })).toContain(
      `%J${encodeURIComponent('[1,{"y":2,"z":1}]')}`,
    );
    expect(() => t.render(Object.create(null) as Record<string, unknown>)).not.toThrow();
  });
});
