import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputValidator } from '../../src/mcp/tools/input-validator.js';

// Tool arguments are the client's; the schemas are the config's. Whatever the arguments, validation
// answers valid (the arguments unchanged) or invalid with a message, and never throws.

const schemas = {
  id: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
  rich: {
    type: 'object',
    properties: {
      id: { type: 'string', minLength: 1, maxLength: 10, pattern: '^[a-z0-9-]+$' },
      limit: { type: 'integer', minimum: 1, maximum: 100 },
      status: { enum: ['open', 'done'] },
      email: { type: 'string', format: 'email' },
      when: { type: 'string', format: 'date-time' },
      tags: { type: 'array', items: { type: 'string' }, maxItems: 5, uniqueItems: true },
      filter: {
        type: 'object',
        properties: { from: { type: 'number' }, to: { type: 'number' } },
        additionalProperties: false,
      },
    },
    required: ['id'],
    additionalProperties: false,
  },
} as const;

const validator = new InputValidator();
const checks = Object.fromEntries(
  Object.entries(schemas).map(([k, s]) => [k, validator.getValidator(s as never)]),
) as Record<keyof typeof schemas, ReturnType<InputValidator['getValidator']>>;

const args = fc.oneof(
  fc.anything({ maxDepth: 4, withNullPrototype: true, withBigInt: false }),
  fc.dictionary(
    fc.constantFrom('id', 'limit', 'status', 'email', 'when', 'tags', 'filter', '__proto__', 'constructor'),
    fc.anything({ maxDepth: 3 }),
    { maxKeys: 6 },
  ),
  fc.constant(JSON.parse('{"id":"a","__proto__":{"polluted":true}}') as unknown),
);

describe('tool argument validation fuzz', () => {
  it.each(Object.keys(schemas) as (keyof typeof schemas)[])(
    'schema %s: any arguments are valid as given or invalid with a message, never a throw',
    (name) => {
      fc.assert(
        fc.property(args, (input) => {
          const r = checks[name](input);
          if (r.valid) expect(r.data).toBe(input);
          else {
            expect(typeof r.errorMessage).toBe('string');
            expect(r.errorMessage!.length).toBeGreaterThan(0);
          }
          expect(({} as Record<string, unknown>).polluted).toBeUndefined();
        }),
        { numRuns: 500 },
      );
    },
  );

  it('each invalid field is named in the message', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(
          ['limit', 0.5],
          ['limit', 1000],
          ['status', 'later'],
          ['tags', [1]],
          ['email', 'not an email'],
          ['filter', { from: 'x' }],
        ),
        fc.stringMatching(/^[a-z0-9-]{1,10}$/),
        ([field, value], id) => {
          const r = checks.rich({ id, [field as string]: value });
          expect(r.valid).toBe(false);
          expect(r.errorMessage).toContain(`"${field}`);
        },
      ),
      { numRuns: 100 },
    );
  });
});
