import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { validateCommand } from '../../../src/cli/validate-command.js';
import { InputValidator } from '../../../src/mcp/tools/input-validator.js';
import {
  loadOpenApiDocument,
  MAX_GENERATED_NAME,
  OpenApiProblems,
  openApiTools,
  resolveInvocation,
} from '../../../src/config/openapi/index.js';
import { memoryIo } from '../../cli/helpers.js';
import { doc, thrown } from './helpers.js';
import { jsonOk } from '../../helpers/openapi-responses.js';

const dir = mkdtempSync(join(tmpdir(), 'conduit-openapi-styles-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a document with one file per operation (operation-level $refs)', () => {
  it('resolves each operation from its file, with parameters and body, relative to that file', async () => {
    const root = join(dir, 'multi');
    mkdirSync(join(root, 'resources', 'droplets'), { recursive: true });
    writeFileSync(
      join(root, 'main.yaml'),
      stringify({
        openapi: '3.0.0',
        info: { title: 'do', version: '2' },
        paths: {
          '/v2/droplets': {
            get: { $ref: 'resources/droplets/droplets_list.yml' },
            post: { $ref: 'resources/droplets/droplets_create.yml' },
          },
        },
      }),
    );
    writeFileSync(
      join(root, 'resources', 'droplets', 'droplets_list.yml'),
      stringify({
        operationId: 'droplets_list',
        summary: 'List all droplets',
        parameters: [{ $ref: 'parameters.yml#/per_page' }],
        responses: { '200': { description: 'ok' } },
      }),
    );
    writeFileSync(
      join(root, 'resources', 'droplets', 'parameters.yml'),
      stringify({ per_page: { name: 'per_page', in: 'query', schema: { type: 'integer', maximum: 200 } } }),
    );
    writeFileSync(
      join(root, 'resources', 'droplets', 'droplets_create.yml'),
      stringify({
        operationId: 'droplets_create',
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } },
            },
          },
        },
        responses: { '202': { description: 'ok' } },
      }),
    );
    const file = join(root, 'main.yaml');
    const { tools } = openApiTools('do', { document: file }, await loadOpenApiDocument(file));
    const [list, create] = tools;
    expect(list!.description).toBe('List all droplets');
    expect(list!.input.properties).toEqual({ per_page: { type: 'integer', maximum: 200 } });
    expect(list!.params).toEqual({ per_page: 'query' });
    expect(create!.input).toMatchObject({ required: ['name'], properties: { name: { type: 'string' } } });
  });

  it('an operation $ref that leads nowhere is a loud error naming the path, not a tool without arguments', () => {
    const err = thrown(() =>
      openApiTools('x', { document: 'x' }, doc({ '/a': { get: { $ref: '#/components/nope' } } })),
    );
    expect(err.code).toBe('OPENAPI_REF_UNRESOLVED');
    expect(err.message).toMatch(/GET \/a: cannot resolve \$ref "#\/components\/nope"/);
  });
});

describe('a pattern JavaScript cannot compile (u flag) does not stop the gateway', () => {
  const bad = '^[a-zA-Z0-9_\\-\\:]+$';
  const d = () =>
    doc({
      '/a/{id}': {
        get: {
          operationId: 'getA',
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: bad } }],
        },
      },
    });

  it('drops the pattern with a warning naming the operation; the tool validates the rest', () => {
    expect(() => new RegExp(bad, 'u')).toThrow();
    const set = openApiTools('x', { document: 'x' }, d());
    expect(set.tools[0]!.input.properties!.id).toEqual({ type: 'string' });
    expect(set.warnings).toEqual([
      {
        operation: 'getA (GET /a/{id})',
        message: expect.stringMatching(/not a valid JavaScript \(u flag\).*dropped/),
      },
    ]);
    // The schema compiles and validates (it threw at compile time before).
    expect(new InputValidator().getValidator(set.tools[0]!.input as never)({ id: 'a:b' }).valid).toBe(true);
  });

  it('validate reports the dropped pattern and exits 0', async () => {
    const root = join(dir, 'pattern');
    mkdirSync(root);
    writeFileSync(
      join(root, 'api.yaml'),
      stringify({
        openapi: '3.1.0',
        info: { title: 't', version: '1' },
        paths: {
          '/a/{id}': {
            get: {
              operationId: 'getA',
              parameters: [
                { name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: bad } },
              ],
            },
          },
        },
      }),
    );
    writeFileSync(
      join(root, 'conduit.yaml'),
      stringify({ upstreams: { x: { baseUrl: 'http://127.0.0.1:9', openapi: { document: './api.yaml' } } } }),
    );
    const m = memoryIo();
    expect(await validateCommand(['--config', join(root, 'conduit.yaml')], m.io)).toBe(0);
    expect(m.stdout()).toMatch(
      /warning: upstreams\.x\.openapi: operation getA \(GET \/a\/\{id\}\): pattern .* dropped/,
    );
  });
});

describe('validate reports every problem of an openapi section in one run', () => {
  const root = join(dir, 'many');
  mkdirSync(root);
  const cookie = (id: string) => ({
    get: { operationId: id, parameters: [{ name: 's', in: 'cookie', schema: { type: 'string' } }] },
  });
  writeFileSync(
    join(root, 'api.yaml'),
    stringify({
      openapi: '3.1.0',
      info: { title: 't', version: '1' },
      paths: {
        '/a': cookie('getA'),
        '/b': cookie('getB'),
        '/c': cookie('getC'),
        '/ok': { get: { operationId: 'ok' } },
      },
    }),
  );
  const config = (extra: object) => {
    const file = join(root, `conduit-${Object.keys(extra).join('-') || 'plain'}.yaml`);
    writeFileSync(
      file,
      stringify({
        upstreams: { x: { baseUrl: 'http://127.0.0.1:9', openapi: { document: './api.yaml', ...extra } } },
      }),
    );
    return file;
  };

  it('three unsupported operations are three problems, each naming its operation', async () => {
    const m = memoryIo();
    expect(await validateCommand(['--config', config({}), '--json'], m.io)).toBe(1);
    const report = JSON.parse(m.stdout()) as { problems: { path: string; message: string }[] };
    expect(report.problems.map((p) => p.message.match(/operation (\w+)/)?.[1])).toEqual([
      'getA',
      'getB',
      'getC',
    ]);
    expect(report.problems.every((p) => p.path === 'upstreams.x.openapi')).toBe(true);
  });

  it('openApiTools throws them together; with skipUnsupported they are left out and listed with the reason', async () => {
    const loaded = await loadOpenApiDocument(join(root, 'api.yaml'));
    const err = thrown(() => openApiTools('x', { document: 'x' }, loaded));
    expect(err).toBeInstanceOf(OpenApiProblems);
    expect((err as OpenApiProblems).problems).toHaveLength(3);
    const set = openApiTools('x', { document: 'x', skipUnsupported: true }, loaded);
    expect(set.tools.map((t) => t.name)).toEqual(['ok']);
    expect(set.leftOut.map((e) => e.operation)).toEqual(['getA (GET /a)', 'getB (GET /b)', 'getC (GET /c)']);
    const m = memoryIo();
    expect(await validateCommand(['--config', config({ skipUnsupported: true })], m.io)).toBe(0);
    expect(m.stdout().match(/left out: upstreams\.x\.openapi: operation get[ABC] .*in cookie/g)).toHaveLength(
      3,
    );
  });

  it('validate lists a left-out reason without the values from the environment it quotes', async () => {
    const secret = 'tenant-4c1e-private';
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the config's own ${ENV} syntax
    const overrides = { ok: { cache: { ttl: '1m', key: '${TENANT}:{nope}' } } };
    const m = memoryIo({ TENANT: secret });
    expect(await validateCommand(['--config', config({ skipUnsupported: true, overrides })], m.io)).toBe(0);
    expect(m.stdout()).toMatch(/left out: upstreams\.x\.openapi: operation ok .*uses \{nope\}/);
    expect(m.stdout()).not.toContain(secret);
    // Not left out, the same reason is a problem: said without the value too.
    const refused = memoryIo({ TENANT: secret });
    expect(await validateCommand(['--config', config({ overrides }), '--json'], refused.io)).toBe(1);
    expect(refused.stdout()).toMatch(/operation ok .*uses \{nope\}/);
    expect(refused.stdout()).not.toContain(secret);
  });

  it('compact mode says why an operation it does not serve is missing', async () => {
    const loaded = await loadOpenApiDocument(join(root, 'api.yaml'));
    const set = openApiTools(
      'x',
      { document: 'x', mode: 'compact', skipUnsupported: true, exclude: { operationIds: ['ok'] } },
      loaded,
    );
    const why = (id: string) =>
      thrown(() => resolveInvocation(set.catalog, id, {}, new InputValidator())).message;
    expect(why('getA')).toMatch(/does not serve operation "getA": .*cookie parameter/);
    expect(why('ok')).toMatch(
      /does not serve operation "ok": it is not selected by upstreams\.x\.openapi\.include\/exclude/,
    );
  });
});

describe('tool names', () => {
  it('stay within 64 characters, deterministic and distinct, also with a prefix', () => {
    const long = (n: number) => `${'repos/list-'.repeat(8)}variant-${n}`;
    const d = doc(Object.fromEntries([1, 2, 3].map((n) => [`/r${n}`, { get: { operationId: long(n) } }])));
    const names = openApiTools('x', { document: 'x', toolPrefix: 'github_' }, d).tools.map((t) => t.name);
    expect(names.every((n) => n.length <= MAX_GENERATED_NAME && n.startsWith('github_repos_list'))).toBe(
      true,
    );
    expect(new Set(names).size).toBe(3);
    expect(openApiTools('x', { document: 'x', toolPrefix: 'github_' }, d).tools.map((t) => t.name)).toEqual(
      names,
    );
  });
});

describe('output schemas are declared only where asked', () => {
  const d = () =>
    doc({
      '/a': {
        get: {
          operationId: 'getA',
          responses: jsonOk({
            type: 'object',
            required: ['language'],
            properties: { language: { type: 'string' } },
          }),
        },
      },
    });

  it('by default no tool declares one (an upstream that drifts is not turned into failed calls)', () => {
    expect(openApiTools('x', { document: 'x' }, d()).tools[0]!.output).toBeUndefined();
  });

  it('openapi.outputSchemas or overrides.<id>.outputSchema turn them on', () => {
    expect(openApiTools('x', { document: 'x', outputSchemas: true }, d()).tools[0]!.output).toMatchObject({
      required: ['language'],
    });
    expect(
      openApiTools('x', { document: 'x', overrides: { getA: { outputSchema: true } } }, d()).tools[0]!.output,
    ).toBeDefined();
  });
});
