import { afterEach, describe, expect, it, vi } from 'vitest';
import { Ajv } from '@modelcontextprotocol/server/validators/ajv';
import { InputValidator } from '../../src/mcp/tools/input-validator.js';
import { schemaProblem } from '../../src/mcp/tools/schema-precheck.js';

afterEach(() => vi.restoreAllMocks());

describe('tool input validators are compiled on first use', () => {
  it('getValidator compiles nothing; the first input compiles once, later inputs reuse it', () => {
    const compile = vi.spyOn(Ajv.prototype, 'compile');
    const validator = new InputValidator();
    const schemas = Array.from({ length: 50 }, (_, i) => ({
      type: 'object',
      properties: { [`f${i}`]: { type: 'integer', maximum: 10 } },
      required: [`f${i}`],
    }));
    const checks = schemas.map((s) => validator.getValidator(s as never));
    expect(compile).not.toHaveBeenCalled();
    expect(checks[7]!({ f7: 3 }).valid).toBe(true);
    const refused = checks[7]!({ f7: 11 });
    expect(refused.valid).toBe(false);
    expect(refused.errorMessage).toContain('f7');
    expect(checks[7]!({}).errorMessage).toBe('field "f7" is required');
    expect(compile).toHaveBeenCalledTimes(1);
  });

  it('a schema Ajv cannot compile is still refused when the validator is made, before any call', () => {
    const validator = new InputValidator();
    const bad = [
      { type: 'object', properties: { id: { type: 'string', pattern: '^[a-z\\-\\:]+$' } } },
      { type: 'object', patternProperties: { '(': {} } },
      { type: 'object', properties: { node: { $ref: '#/$defs/Missing' } } },
      { type: 'object', properties: { node: { $ref: '#nowhere' } } },
    ];
    for (const schema of bad)
      expect(() => validator.getValidator(schema as never)).toThrow(/invalid JSON Schema/);
    expect(schemaProblem(bad[2])).toBe(
      '/properties/node: $ref "#/$defs/Missing" points at nothing in the schema',
    );
  });

  it('local refs that resolve pass the pre-check: pointers, escaped pointers, anchors, the root', () => {
    const schema = {
      type: 'object',
      $defs: {
        'a/b': { type: 'string' },
        Tree: {
          $anchor: 'tree',
          type: 'object',
          properties: { kids: { type: 'array', items: { $ref: '#tree' } } },
        },
      },
      properties: {
        x: { $ref: '#/$defs/a~1b' },
        t: { $ref: '#/$defs/Tree' },
        self: { $ref: '#' },
      },
    };
    expect(schemaProblem(schema)).toBeUndefined();
    const check = new InputValidator().getValidator(schema as never);
    expect(check({ x: 's', t: { kids: [{ kids: [] }] } }).valid).toBe(true);
    expect(check({ x: 1 }).valid).toBe(false);
  });
});
