// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these tests write ${VAR} references on purpose
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/index.js';
import { ConfigValidationError, configSecrets, loadConfig, parseConfig } from '../../src/config/index.js';

const examplePath = new URL('../../examples/conduit.yaml', import.meta.url).pathname;

function problemsOf(text: string, options: Parameters<typeof parseConfig>[1] = {}) {
  try {
    parseConfig(text, { env: {}, ...options });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigValidationError);
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigValidationError;
  }
  throw new Error('expected the config to be rejected');
}

const minimal = `
upstreams:
  api: { baseUrl: "http://127.0.0.1:9" }
tools:
  - name: get_item
    upstream: api
    path: /items/{id}
    input: { type: object, properties: { id: { type: string } }, required: [id] }
`;

describe('parseConfig', () => {
  it('loads the example config with every default filled in', async () => {
    const config = await loadConfig(examplePath, { env: { ASSIGNMENTS_API_URL: 'http://127.0.0.1:4321' } });
    expect(config.upstreams.assignments?.baseUrl).toBe('http://127.0.0.1:4321');
    expect(config.upstreams.assignments?.auth).toEqual({ type: 'bearer', token: 'demo-token' });
    expect(config.server.http.maxBodyBytes).toBe(1024 * 1024);
    expect(config.server.http.allowedHosts).toEqual([]);
    expect(config.server.shutdownTimeout).toBe(10_000);
    expect(config.cache.l1.maxBytes).toBe(64 * 1024 * 1024);
    expect(config.cache.redis).toBeUndefined();
    const get = config.tools.find((t) => t.name === 'get_assignment')!;
    expect(get.cache).toMatchObject({ ttl: 60_000, key: 'assignment:{id}', staleWhileRevalidate: 30_000 });
    expect(get.params).toEqual({ id: 'path' });
    const upd = config.tools.find((t) => t.name === 'update_assignment')!;
    expect(upd.method).toBe('PATCH');
    expect(upd.invalidates).toEqual({ tags: ['assignment:{id}', 'assignments'], keys: [] });
  });

  it('fills defaults for an almost empty config', () => {
    const config = parseConfig(minimal, { env: {} });
    expect(config.server).toMatchObject({
      name: 'conduit',
      http: { host: '127.0.0.1', port: 3000, path: '/mcp' },
    });
    expect(config.logging.level).toBe('info');
    expect(config.cache.prefix).toBe('conduit');
    expect(config.tools[0]).toMatchObject({ method: 'GET', params: { id: 'path' } });
  });

  it('maps unmapped properties by method: path holes, then query for GET and body for POST', () => {
    const config = parseConfig(
      `upstreams: { api: { baseUrl: "https://api.example.com/v1" } }
tools:
  - { name: a, upstream: api, method: get, path: "/u/{u}/x", input: { properties: { u: {}, q: {} }, required: [u] } }
  - { name: b, upstream: api, method: post, path: "/u/{u}/x", input: { properties: { u: {}, q: {}, h: {} }, required: [u] }, params: { h: header } }
`,
      { env: {} },
    );
    expect(config.tools[0]!.params).toEqual({ u: 'path', q: 'query' });
    expect(config.tools[1]!.params).toEqual({ u: 'path', q: 'body', h: 'header' });
    expect(config.tools[1]!.input.type).toBe('object');
  });

  it('lists every problem with its path and line', () => {
    const err = problemsOf(`server:
  http:
    port: 70000
upstreams:
  api:
    baseUrl: ftp://example.com
    retry: { maxAttempts: 0, jitter: sometimes }
tools:
  - name: get_item
    upstream: api
    path: /items
    cache: { ttl: soon }
  - name: get_item
    upstream: apx
    path: items
`);
    const lines = err.problems.map((p) => [p.path, p.line]);
    expect(lines).toEqual(
      expect.arrayContaining([
        ['server.http.port', 3],
        ['upstreams.api.baseUrl', 6],
        ['upstreams.api.retry.maxAttempts', 7],
        ['upstreams.api.retry.jitter', 7],
        ['tools[0].cache.ttl', 12],
        ['tools[1].name', 13],
        ['tools[1].upstream', 14],
        ['tools[1].path', 15],
      ]),
    );
    const byPath = new Map(err.problems.map((p) => [p.path, p.message]));
    expect(byPath.get('tools[0].cache.ttl')).toBe('expected a duration like "30s" or a number of ms');
    expect(byPath.get('tools[1].upstream')).toContain('did you mean "api"');
    expect(byPath.get('tools[1].name')).toContain('duplicate tool name "get_item"');
    expect(err.message).toContain('tools[0].cache.ttl (line 12): expected a duration');
    // Sorted by line.
    const ls = err.problems.map((p) => p.line ?? 0);
    expect([...ls].sort((a, b) => a - b)).toEqual(ls);
  });

  it('rejects unknown keys at the key, with a did-you-mean hint', () => {
    const err = problemsOf(`upstreams:
  api:
    baseUrl: http://127.0.0.1:1
    retires: { maxAttempts: 2 }
    zzzzzz: 1
tools: []
`);
    expect(err.problems).toEqual([
      expect.objectContaining({
        path: 'upstreams.api.retires',
        line: 4,
        message: 'unknown key "retires" (did you mean "retry"?)',
      }),
      expect.objectContaining({ path: 'upstreams.api.zzzzzz', line: 5 }),
    ]);
    expect(err.problems[1]!.message).toContain('allowed here: baseUrl');
  });

  it('reports a section of the wrong type at its path and line, never as an unsupported section', () => {
    const err = problemsOf(`upstreams: {}\nresources: []\nwebhooks: 3\n`);
    expect(err.problems).toEqual([
      expect.objectContaining({ path: 'resources', line: 2 }),
      expect.objectContaining({ path: 'webhooks', line: 3 }),
    ]);
    expect(err.problems.map((p) => p.message).join('\n')).not.toContain('not supported yet');
  });

  it('checks cross references: path holes, params, templates, required, breaker model', () => {
    const err = problemsOf(`upstreams:
  api:
    baseUrl: http://127.0.0.1:1
    breaker: { failureThreshold: 3, window: { type: count, size: 10, failureRate: 0.5 } }
tools:
  - name: t
    upstream: api
    path: /a/{id}/{other}
    input: { properties: { id: {}, q: {} }, required: [id, nope] }
    params: { q: path, idd: query }
    cache: { ttl: 1s, key: "t:{id}:{missing}" }
    invalidates: { tags: ["x:{gone}"] }
`);
    const messages = err.problems.map((p) => `${p.path}: ${p.message}`);
    expect(messages).toEqual(
      expect.arrayContaining([
        'upstreams.api.breaker: give either failureThreshold (failures in a row) or window (failure rate), not both',
        expect.stringMatching(/^tools\[0\]\.path: path parameter \{other\} is not an input property/),
        'tools[0].input.required[1]: "nope" is required but not in input.properties',
        'tools[0].params.q: "q" is mapped to path but /a/{id}/{other} has no {q}',
        'tools[0].params.idd: "idd" is not an input property (did you mean "id"?)',
        'tools[0].cache.key: {missing} is not an input property of this tool',
        'tools[0].invalidates.tags[0]: {gone} is not an input property of this tool',
      ]),
    );
  });

  it('reports YAML syntax errors with their line', () => {
    const err = problemsOf('upstreams:\n  api: { baseUrl: "x"\ntools: []\n');
    expect(err.problems.length).toBeGreaterThan(0);
    expect(err.problems[0]!.message).toMatch(/^not valid YAML/);
    expect(err.problems[0]!.line).toBeGreaterThanOrEqual(2);
  });

  it('reports duplicate keys and an empty or non-mapping document', () => {
    expect(problemsOf('tools: []\ntools: []\n').problems[0]!.message).toMatch(/not valid YAML/);
    expect(problemsOf('').problems[0]!.message).toContain('empty');
    expect(problemsOf('- a\n- b\n').problems[0]!.message).toContain('mapping');
  });

  it('refuses a repeated key naming it and its line, in a nested mapping, in JSON too', () => {
    const yaml = problemsOf(
      'upstreams:\n  api:\n    baseUrl: "http://127.0.0.1:1"\n    headers: { a: "1", b: "2" }\n    baseUrl: "http://127.0.0.1:2"\ntools: []\n',
    ).problems[0]!;
    expect(yaml.message).toMatch(/^not valid YAML: the key "baseUrl" appears twice in one mapping/);
    expect(yaml.line).toBe(5);
    const json = problemsOf('{\n  "tools": [],\n  "upstreams": {},\n  "tools": []\n}', {
      format: 'json',
    }).problems[0]!;
    expect(json.message).toMatch(/^not valid JSON: the key "tools" appears twice/);
    expect(json.line).toBe(4);
  });

  it('loads a mapping of 50,000 keys (the duplicate check is one pass), and still finds the repeat at its end', () => {
    const names = Array.from({ length: 50_000 }, (_, i) => `x-h${i}`);
    const headers = names.map((n, i) => `      ${n}: "v${i}"`).join('\n');
    const text = `upstreams:\n  api:\n    baseUrl: "http://127.0.0.1:1"\n    headers:\n${headers}\ntools: []\n`;
    const config = parseConfig(text, { env: {} });
    const loaded = config.upstreams.api!.headers;
    expect(Object.keys(loaded)).toHaveLength(50_000);
    expect(loaded['x-h0']).toBe('v0');
    expect(loaded['x-h49999']).toBe('v49999');
    const repeated = problemsOf(`${text.replace('tools: []\n', '')}      x-h17: "again"\ntools: []\n`);
    expect(repeated.problems[0]!.message).toContain('the key "x-h17" appears twice');
    expect(repeated.problems[0]!.line).toBe(50_005);
  });

  it('reads JSON and still gives line numbers', () => {
    const text = JSON.stringify(
      { upstreams: { api: { baseUrl: 'http://127.0.0.1:1', timeouts: { total: 'x' } } } },
      null,
      2,
    );
    const err = problemsOf(text, { format: 'json' });
    expect(err.problems[0]).toMatchObject({ path: 'upstreams.api.timeouts.total', line: 6 });
    expect(problemsOf('{ "a": ', { format: 'json' }).problems[0]!.message).toMatch(/^not valid JSON/);
  });

  it('places a JSON syntax error at its line and column, as a YAML one is', () => {
    const text = '{\n  "upstreams": {\n    "api": { "baseUrl": "http://127.0.0.1:1", }\n  }\n}\n';
    const comma = problemsOf(text, { format: 'json' }).problems[0]!;
    expect(comma.message).toMatch(/^not valid JSON/);
    // The "}" after the trailing comma: line 3, column 47.
    expect(comma).toMatchObject({ line: 3, column: 47 });
    // Cut off: the end of the text is where something was missing.
    expect(problemsOf('{\n  "tools": [\n', { format: 'json' }).problems[0]).toMatchObject({
      line: 3,
      column: 1,
    });
  });

  it('accepts interpolated strings for numbers and booleans', () => {
    const config = parseConfig(
      `server: { http: { port: "\${PORT}", stateless: "\${STATELESS:-true}", maxBodyBytes: "\${MAX:-2MB}" } }\nupstreams: {}\n`,
      { env: { PORT: '8080' } },
    );
    expect(config.server.http).toMatchObject({ port: 8080, stateless: true, maxBodyBytes: 2 * 1024 * 1024 });
  });
});

describe('environment interpolation', () => {
  it('replaces ${VAR} and ${VAR:-default} anywhere in string values', () => {
    const config = parseConfig(
      `upstreams:
  api:
    baseUrl: "\${SCHEME:-http}://\${HOST}:\${PORT:-8080}/v1"
    auth: { type: header, name: X-Api-Key, value: "\${KEY}" }
    headers: { x-literal: "$\${NOT_A_VAR}" }
`,
      { env: { HOST: '127.0.0.1', KEY: 'k-123', PORT: '' } },
    );
    const api = config.upstreams.api!;
    expect(api.baseUrl).toBe('http://127.0.0.1:8080/v1');
    expect(api.auth).toEqual({ type: 'header', name: 'X-Api-Key', value: 'k-123' });
    expect(api.headers['x-literal']).toBe('${NOT_A_VAR}');
  });

  it('names a missing variable and where it is used, without piling schema errors on it', () => {
    const err = problemsOf(`upstreams:
  api:
    baseUrl: \${API_URL}
    auth: { type: bearer, token: "\${API_TOKEN}" }
`);
    expect(err.problems).toEqual([
      expect.objectContaining({ path: 'upstreams.api.baseUrl', line: 3 }),
      expect.objectContaining({ path: 'upstreams.api.auth.token', line: 4 }),
    ]);
    expect(err.problems[0]!.message).toContain('environment variable API_URL is not set');
    expect(err.problems[1]!.message).toContain('API_TOKEN');
  });

  it('never echoes interpolated values in errors', () => {
    const secret = 'sk_live_very_secret_value';
    const err = problemsOf(
      `upstreams:
  api:
    baseUrl: "\${SECRET}"
    retry: { maxAttempts: "\${SECRET}" }
    auth: { type: bearer, token: "\${SECRET}", extra: "\${SECRET}" }
cache: { redis: { url: "\${SECRET}" } }
`,
      { env: { SECRET: secret } },
    );
    expect(err.problems.length).toBeGreaterThanOrEqual(4);
    expect(err.message).not.toContain(secret);
    expect(JSON.stringify(err.problems)).not.toContain(secret);
    expect(JSON.stringify(err.toJSON())).not.toContain(secret);
  });

  it('refuses a signing key written into the file, and takes one from the environment', () => {
    const literal = 'k'.repeat(40);
    const err = problemsOf(`${minimal}server: { stateKey: "${literal}" }\n`);
    expect(err.problems.map((p) => p.path)).toContain('server.stateKey');
    expect(err.message).toContain('${CONDUIT_STATE_KEY}');
    expect(err.message).not.toContain(literal);
    const config = parseConfig(`${minimal}server: { stateKey: "\${KEY}" }\n`, { env: { KEY: literal } });
    expect(config.server.stateKey).toBe(literal);
  });

  it('the host of a URL an environment value reaches into is a secret of its own, in each form it is written', () => {
    const config = parseConfig(
      `upstreams:
  whole: { baseUrl: "\${WHOLE_URL}" }
  hostport: { baseUrl: "https://\${HOSTPORT}/v1" }
  label: { baseUrl: "http://\${TENANT}.example.test" }
  path: { baseUrl: "http://path-only.example.test/tenants/\${PATH_PART}" }
  user: { baseUrl: "http://svc:\${PASSWORD}@user-only.example.test" }
`,
      {
        env: {
          WHOLE_URL: 'https://Whole-Host.example.test:443/v1',
          HOSTPORT: '[::1]:8443',
          TENANT: 'acme-7q',
          PATH_PART: 'tenant-42',
          PASSWORD: 'pa55-word',
        },
      },
    );
    const secrets = configSecrets(config);
    // URL lower-cases the host and drops a default port: neither form shows the value as substituted.
    expect(secrets).toEqual(
      expect.arrayContaining(['whole-host.example.test', 'Whole-Host.example.test:443']),
    );
    // A loopback address alone names no one's machine, and the gateway's own messages need it.
    expect(secrets).toContain('[::1]:8443');
    expect(secrets).not.toContain('[::1]');
    expect(secrets).not.toContain('::1');
    expect(secrets).toContain('acme-7q.example.test');
    expect(secrets.some((s) => s.includes('path-only') && !s.includes('tenant-42'))).toBe(false);
    expect(secrets.some((s) => s.includes('user-only') && !s.includes('pa55-word'))).toBe(false);
  });

  it('rejects malformed references', () => {
    const err = problemsOf('upstreams: { api: { baseUrl: "${1BAD}" , headers: { a: "${OPEN" } } }\n');
    expect(err.problems.map((p) => p.message).join('\n')).toMatch(
      /not a valid variable reference[\s\S]*unterminated/,
    );
  });
});

describe('loadConfig', () => {
  const dir = mkdtempSync(join(tmpdir(), 'conduit-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('names a missing file and says how to fix it', async () => {
    const missing = join(dir, 'nope.yaml');
    await expect(loadConfig(missing)).rejects.toThrow(ConfigError);
    await expect(loadConfig(missing)).rejects.toThrow(/does not exist; pass the path .* with --config/);
  });

  it('for a missing file, says how to write a starter there (a first run has none)', async () => {
    const missing = join(dir, 'first.yaml');
    await expect(loadConfig(missing)).rejects.toThrow(
      `or write a starter one with: npx conduit init --out ${missing}`,
    );
  });

  it('names a folder given as the config and says to pass a file', async () => {
    await expect(loadConfig(dir)).rejects.toThrow(
      `config file ${dir} is a folder; pass the path of a YAML or JSON config with --config (e.g. ${join(dir, 'conduit.yaml')})`,
    );
  });

  it('reads .json files as JSON and names the file in errors', async () => {
    const file = join(dir, 'c.json');
    writeFileSync(file, JSON.stringify({ upstreams: { api: { baseUrl: 'http://127.0.0.1:1' } }, tols: [] }));
    await expect(loadConfig(file, { env: {} })).rejects.toThrow(`${file}: 1 problem in the config`);
    await expect(loadConfig(file, { env: {} })).rejects.toThrow('unknown key "tols" (did you mean "tools"?)');
  });
});
