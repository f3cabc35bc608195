import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { globToRegExp } from '../../src/cache/glob.js';
import { ConfigError } from '../../src/core/index.js';
import { MissingTemplateFieldError, PayloadTemplate } from '../../src/webhooks/index.js';

// Webhook action templates (`item:{data.id}`, notify URIs `items://{data.id}`) are expanded with values
// from a delivery's payload: the config author writes the template, but the sender writes the values.

const piece = fc.oneof(
  fc.constantFrom('{data.id}', '{id}', '{ data.id }', '{}', '{a..b}', '{.a}', '{', '}', '{{id}}', ':', '*'),
  fc.string({ maxLength: 6 }),
);

describe('webhook payload template fuzz', () => {
  it('an arbitrary template source compiles or is refused with a ConfigError', () => {
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 6 }), (pieces) => {
        const source = pieces.join('');
        try {
          const t = new PayloadTemplate(source);
          expect(t.source).toBe(source);
        } catch (err) {
          expect(err).toBeInstanceOf(ConfigError);
          expect((err as ConfigError).code).toBe('INVALID_CONFIG');
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('any payload renders a string or throws MissingTemplateFieldError naming the field', () => {
    const t = new PayloadTemplate('item:{data.id}:{data.rev}');
    fc.assert(
      fc.property(
        fc.oneof(
          fc.anything(),
          fc.record({ data: fc.anything() }),
          fc.record({ data: fc.record({ id: fc.anything(), rev: fc.anything() }) }),
        ),
        (payload) => {
          let out: string;
          try {
            out = t.render(payload);
          } catch (err) {
            expect(err).toBeInstanceOf(MissingTemplateFieldError);
            expect(['data.id', 'data.rev']).toContain((err as MissingTemplateFieldError).field);
            return;
          }
          const data = (payload as { data: { id: unknown; rev: unknown } }).data;
          expect(out).toBe(`item:${String(data.id)}:${String(data.rev)}`);
          for (const v of [data.id, data.rev]) expect(['string', 'number', 'boolean']).toContain(typeof v);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('fields are read from the payload’s own properties only, never from its prototype chain', () => {
    for (const source of ['{constructor.name}', '{__proto__.x}', '{data.toString}', '{data.length}']) {
      const t = new PayloadTemplate(source);
      expect(() => t.render({ data: 'abc' })).toThrow(MissingTemplateFieldError);
    }
    // JSON.parse makes "__proto__" an own property: reading it is fine and pollutes nothing.
    const payload = JSON.parse('{"__proto__": {"x": "own"}}') as unknown;
    expect(new PayloadTemplate('{__proto__.x}').render(payload)).toBe('own');
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it('with escapeGlob, a payload value never widens an invalidation pattern', () => {
    const t = new PayloadTemplate('item:{data.id}:*');
    // Strings heavy in glob syntax, and plain ones.
    const value = fc.oneof(
      fc.string({ unit: fc.constantFrom('*', '?', '[', ']', '^', '-', '\\', 'a', 'b', ':'), maxLength: 8 }),
      fc.string({ maxLength: 8 }),
    );
    fc.assert(
      fc.property(value, value, (id, other) => {
        const re = globToRegExp(t.render({ data: { id } }, true));
        // The pattern is "this id's keys": item:<id>:<anything>, and nothing else.
        expect(re.test(`item:${id}:`)).toBe(true);
        expect(re.test(`item:${id}:tail`)).toBe(true);
        expect(re.test(`item:${other}:`)).toBe(`${other}:`.startsWith(`${id}:`));
      }),
      { numRuns: 2000 },
    );
  });
});
