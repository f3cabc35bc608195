// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these tests write ${VAR} references on purpose
import { describe, expect, it } from 'vitest';
import { ConfigValidationError, parseConfig } from '../../src/config/index.js';

function problemsOf(text: string) {
  try {
    parseConfig(text, { env: {} });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigValidationError);
    return (err as ConfigValidationError).problems;
  }
  throw new Error('expected the config to be rejected');
}

const tool = (extra: string) => `
upstreams:
  api: { baseUrl: "http://127.0.0.1:9" }
tools:
  - name: get_item
    upstream: api
    path: /items
${extra}`;

// zod's own wording: a config author should never see it.
const RAW_ZOD = /received|Invalid input|expected (string|number|object|array|boolean|record)\b/;

describe('config problems a newcomer can act on', () => {
  it('places a mistyped JSON Schema type in a tool input at its line, with the likely word', () => {
    const problems = problemsOf(
      tool(`    input:
      type: object
      properties:
        id: { type: strin }
        tags: { type: array, items: { type: strnig } }
      required: [id]`),
    );
    expect(problems.map((p) => [p.path, p.line])).toEqual([
      ['tools[0].input.properties.id.type', 11],
      ['tools[0].input.properties.tags.items.type', 12],
    ]);
    expect(problems[0]?.message).toContain('did you mean "string"?');
  });

  it('checks output schemas too, and leaves a property named "type" alone', () => {
    const problems = problemsOf(
      tool(`    input: { type: object, properties: { type: { type: string } } }
    output: { type: obj }`),
    );
    expect(problems.map((p) => p.path)).toEqual(['tools[0].output.type']);
  });

  it('reports a missing key once, naming the key and what it takes', () => {
    const problems = problemsOf(`
upstreams:
  api: { baseUrl: "http://127.0.0.1:9", auth: { type: bearer } }
tools:
  - upstream: api
    path: /x
  - name: t2
    upstream: api
  - name: t3
    path: /y
`);
    expect(problems.map((p) => p.path)).toEqual([
      'upstreams.api.auth.token',
      'tools[0].name',
      'tools[1].path',
      'tools[2].upstream',
    ]);
    const byPath = new Map(problems.map((p) => [p.path, p.message]));
    expect(byPath.get('tools[0].name')).toMatch(/^missing key "name": it takes a tool name/);
    expect(byPath.get('tools[1].path')).toMatch(/^missing key "path": it takes a path starting with "\/"/);
    expect(byPath.get('tools[2].upstream')).toMatch(/^missing key "upstream"/);
    for (const p of problems) expect(p.message, p.path).not.toMatch(RAW_ZOD);
  });

  it('says what a key takes and what it found instead of a type mismatch', () => {
    const problems = problemsOf(`${tool('')}webhooks:\n  - path: /wh\n`);
    expect(problems).toHaveLength(1);
    expect(problems[0]?.path).toBe('webhooks');
    expect(problems[0]?.message).toBe('expected a mapping (key: value), found a list');
  });

  it('refuses durations no timer can hold, saying the allowed range', () => {
    const problems = problemsOf(`
upstreams:
  api: { baseUrl: "http://127.0.0.1:9", timeouts: { total: 99999h }, retry: { baseDelay: 25d } }
tools:
  - { name: get_item, upstream: api, path: /x, timeout: 24d, cache: { ttl: 400d } }
`);
    expect(problems.map((p) => p.path)).toEqual([
      'upstreams.api.timeouts.total',
      'upstreams.api.retry.baseDelay',
      'tools[0].cache.ttl',
    ]);
    expect(problems[0]?.message).toBe('expected a duration from 0ms to 24d; 99999h is out of range');
    expect(problems[2]?.message).toBe('expected a duration from 0ms to 365d; 400d is out of range');
  });

  it('accepts the longest durations in range', () => {
    const config = parseConfig(tool('    timeout: 24d\n    cache: { ttl: 365d, staleIfError: 30d }\n'), {
      env: {},
    });
    expect(config.tools[0]?.timeout).toBe(24 * 86_400_000);
    expect(config.tools[0]?.cache?.ttl).toBe(365 * 86_400_000);
  });

  it('takes an upstream maxResponseBytes from 1B to 256MiB, in bytes or a size', () => {
    const upstreamWith = (limit: string) => `
upstreams:
  api: { baseUrl: "http://127.0.0.1:9", maxResponseBytes: ${limit} }
tools:
  - { name: get_item, upstream: api, path: /x }
`;
    const limitOf = (limit: string) =>
      parseConfig(upstreamWith(limit), { env: {} }).upstreams.api?.maxResponseBytes;
    expect(limitOf('16MiB')).toBe(16 * 1024 * 1024);
    expect(limitOf('256MiB')).toBe(256 * 1024 * 1024);
    expect(limitOf('1')).toBe(1);
    for (const [bad, message] of [
      ['0', 'expected a whole number of bytes from 1B to 256MiB, or a size like "16MiB"'],
      ['0KiB', 'expected a size from 1B to 256MiB; 0B is out of range'],
      ['268435457', 'expected a whole number of bytes from 1B to 256MiB, or a size like "16MiB"'],
      ['1GiB', 'expected a size from 1B to 256MiB; 1GiB is out of range'],
      ['1.5', 'expected a whole number of bytes from 1B to 256MiB, or a size like "16MiB"'],
      ['"0.3KiB"', 'expected a whole number of bytes from 1B to 256MiB, or a size like "16MiB"'],
      ['-1', 'expected a whole number of bytes from 1B to 256MiB, or a size like "16MiB"'],
      ['lots', 'expected a whole number of bytes from 1B to 256MiB, or a size like "16MiB"'],
    ] as const) {
      const problems = problemsOf(upstreamWith(bad));
      expect(
        problems.map((p) => [p.path, p.message]),
        bad,
      ).toEqual([['upstreams.api.maxResponseBytes', message]]);
    }
  });

  it('reports one problem, with the fix, for an unquoted ${VAR:-default} in a flow mapping', () => {
    const filler = Array.from({ length: 60 }, (_, i) => `  - { name: t${i}, upstream: api, path: /t${i} }`);
    const problems = problemsOf(`upstreams:
  api: { baseUrl: "http://127.0.0.1:9", timeouts: { total: \${T:-2s} } }
tools:
${filler.join('\n')}
`);
    expect(problems).toHaveLength(1);
    expect(problems[0]?.line).toBe(2);
    expect(problems[0]?.message).toMatch(/^not valid YAML: .*quote a value that holds \$\{VAR\}/);
  });

  it('says which environment variable a wrong value came from, never the value', () => {
    let problems: ConfigValidationError['problems'] = [];
    try {
      parseConfig(
        `upstreams:
  api: { baseUrl: "\${API_URL}", retry: { maxAttempts: "\${RETRIES:-three}" } }
logging: { level: "\${LOG_LEVEL:-info}" }
tools: []
`,
        { env: { API_URL: 'api.internal.example', LOG_LEVEL: 'verbose' } },
      );
    } catch (err) {
      problems = (err as ConfigValidationError).problems;
    }
    const at = (path: string) => problems.find((p) => p.path === path)?.message ?? '';
    expect(at('upstreams.api.baseUrl')).toMatch(
      /^expected an http\(s\) URL.*; the value comes from the environment variable API_URL$/,
    );
    expect(at('logging.level')).toMatch(/; the value comes from the environment variable LOG_LEVEL$/);
    // The default is written in the file, where the author sees it: no variable to name.
    expect(at('upstreams.api.retry.maxAttempts')).not.toContain('environment');
    expect(JSON.stringify(problems)).not.toMatch(/api\.internal\.example|verbose/);
  });

  it('says what an upstream baseUrl lacks: the scheme to add, or the scheme that is not http(s)', () => {
    const problems = problemsOf(`upstreams:
  a: { baseUrl: api.example.com/v1 }
  b: { baseUrl: "localhost:8080" }
  c: { baseUrl: ftp://files.example.com }
tools: []
`);
    const at = (name: string) => problems.find((p) => p.path === `upstreams.${name}.baseUrl`)?.message;
    expect(at('a')).toBe('expected an http(s) URL: add the scheme, e.g. "https://api.example.com/v1"');
    expect(at('b')).toBe('expected an http(s) URL: add the scheme, e.g. "http://localhost:8080"');
    expect(at('c')).toBe('expected an http(s) URL, not ftp: (e.g. "https://api.example.com/v1")');
  });

  it('lists the problems of one line from left to right', () => {
    const problems = problemsOf(`upstreams:
  api: { baseUrl: "http://127.0.0.1:9" }
tools:
  - name: get_item
    upstream: api
    path: /items/{id}
    input: { type: object, properties: { id: { type: strin } }, required: id }
`);
    const line = problems.filter((p) => p.line === problems[0]?.line).map((p) => p.column ?? 0);
    expect(line.length).toBeGreaterThan(1);
    expect(line).toEqual([...line].sort((a, b) => a - b));
  });
});
