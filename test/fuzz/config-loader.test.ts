import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigValidationError, parseConfig } from '../../src/config/index.js';
import { ConduitError } from '../../src/core/index.js';

/** parseConfig must give a config or a typed error: anything else (TypeError, RangeError, a hang) is a bug. */
function outcome(text: string, format: 'yaml' | 'json'): 'ok' | 'invalid' | 'conduit' {
  try {
    parseConfig(text, { format, env: { TOKEN: 's3cr3t-value', PORT: '8080' }, sourceName: 'fuzz.yaml' });
    return 'ok';
  } catch (err) {
    if (err instanceof ConfigValidationError) return 'invalid';
    if (err instanceof ConduitError) return 'conduit';
    throw err;
  }
}

const key = fc.constantFrom(
  'server',
  'upstreams',
  'tools',
  'cache',
  'http',
  'baseUrl',
  'name',
  'path',
  'method',
  'input',
  'retry',
  'breaker',
  'ttl',
  'key',
  'timeouts',
  'rateLimit',
  'port',
  'auth',
  '__proto__',
  'constructor',
);
const leaf = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.constantFrom(
    `\${TOKEN}`,
    `\${MISSING}`,
    `\${PORT:-1}`,
    '$${x',
    '30s',
    '1.5m',
    '10MB',
    '-1',
    'NaN',
    '/a/{id}',
  ),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
);
// Objects built from the config's own vocabulary reach deeper than random keys would.
const configish = fc.letrec((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.array(tie('node'), { maxLength: 4 }),
    fc.dictionary(key, tie('node'), { maxKeys: 5 }),
  ),
})).node;

describe('config loader fuzz', () => {
  it('arbitrary text, as YAML and as JSON, gives a config or a typed error', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (text) => {
        expect(['ok', 'invalid', 'conduit']).toContain(outcome(text, 'yaml'));
        expect(['ok', 'invalid', 'conduit']).toContain(outcome(text, 'json'));
      }),
      { numRuns: 300 },
    );
  });

  it('arbitrary objects in the config vocabulary give a config or a typed error', () => {
    fc.assert(
      fc.property(configish, (value) => {
        const text = JSON.stringify(value) ?? 'null';
        expect(['ok', 'invalid', 'conduit']).toContain(outcome(text, 'json'));
      }),
      { numRuns: 300 },
    );
  });

  it('mutations of a valid config give a config or a typed error that never repeats an env secret', () => {
    const base = {
      upstreams: { api: { baseUrl: 'http://127.0.0.1:1', auth: { type: 'bearer', token: `\${TOKEN}` } } },
      tools: [
        {
          name: 'get_item',
          upstream: 'api',
          path: '/items/{id}',
          input: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
          cache: { ttl: '30s', key: 'item:{id}' },
        },
      ],
    };
    const paths: (string | number)[][] = [
      ['upstreams', 'api', 'baseUrl'],
      ['upstreams', 'api', 'auth', 'type'],
      ['upstreams', 'api', 'auth', 'token'],
      ['tools', 0, 'name'],
      ['tools', 0, 'path'],
      ['tools', 0, 'cache', 'ttl'],
      ['tools', 0, 'cache', 'key'],
      ['tools', 0, 'input'],
      ['tools', 0, 'input', 'required'],
    ];
    fc.assert(
      fc.property(fc.constantFrom(...paths), leaf, (path, value) => {
        const copy = structuredClone(base) as Record<string, unknown>;
        let at: Record<string | number, unknown> = copy;
        for (const seg of path.slice(0, -1)) at = at[seg] as Record<string | number, unknown>;
        at[path.at(-1)!] = value;
        try {
          parseConfig(JSON.stringify(copy), { format: 'json', env: { TOKEN: 's3cr3t-value' } });
        } catch (err) {
          expect(err).toBeInstanceOf(ConduitError);
          expect(String((err as Error).message)).not.toContain('s3cr3t-value');
        }
      }),
      { numRuns: 300 },
    );
  });

  it('nested and alias-bomb YAML ends with a value or a typed error', () => {
    const nested = `${'['.repeat(200)}${']'.repeat(200)}`;
    const bomb = [
      'a: &a ["x","x","x","x","x","x","x","x","x"]',
      'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]',
      'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]',
      'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]',
      'e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]',
      'f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]',
      'g: [*f,*f,*f,*f,*f,*f,*f,*f,*f]',
    ].join('\n');
    for (const text of [nested, bomb, '{"upstreams": '.repeat(2000)]) {
      expect(['ok', 'invalid', 'conduit']).toContain(outcome(text, 'yaml'));
    }
  });

  // Findings of this fuzz suite, fixed in src/config/load.ts.
  it('thousands of nested brackets give a typed error before the YAML parser sees them', () => {
    for (const n of [65, 1000, 5000]) expect(outcome('['.repeat(n), 'yaml')).toBe('invalid');
  });

  it('a self-referencing YAML alias gives a typed error', () => {
    // 'ok' would mean a cyclic value got through; anything untyped rethrows from outcome().
    for (const text of ['a: &a [*a]', 'a: &a {b: *a}']) expect(outcome(text, 'yaml')).toBe('invalid');
  });

  it('an unknown tool upstream interpolated from the environment is not echoed in the error', () => {
    const text = JSON.stringify({
      upstreams: { api: { baseUrl: 'http://127.0.0.1:1' } },
      tools: [{ name: 'x', upstream: `\${TOKEN}`, path: '/a' }],
    });
    try {
      parseConfig(text, { format: 'json', env: { TOKEN: 's3cr3t-value' } });
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigValidationError);
      expect((err as Error).message).not.toContain('s3cr3t-value');
      return;
    }
    throw new Error('expected a ConfigValidationError');
  });
});
