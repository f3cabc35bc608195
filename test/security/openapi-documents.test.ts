import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigValidationError, loadConfig } from '../../src/config/index.js';
import {
  loadOpenApiDocument,
  type OpenApiError,
  OpenApiRefError,
  openApiTools,
  parseOpenApiDocument,
} from '../../src/config/openapi/index.js';
import { LoadBudget } from '../../src/config/openapi/budget.js';

/**
 * OpenAPI documents may come from third parties: what their `$ref`s read is inlined into schemas every
 * MCP client sees, and their size is work the gateway does before it serves anyone.
 */
const base = mkdtempSync(join(tmpdir(), 'conduit-sec-openapi-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

const SECRET = 'kubeconfig-token-4f1c9e';
const outside = join(base, 'outside');
mkdirSync(outside);
writeFileSync(join(outside, 'kubeconfig.yaml'), stringify({ Secret: { type: 'string', default: SECRET } }));

let n = 0;
/** A document directory with `main.yaml` whose one operation's query parameter has schema `$ref: ref`. */
function documentWithRef(ref: string, extra: (dir: string) => void = () => {}): string {
  const dir = join(base, `doc${++n}`, 'spec');
  mkdirSync(dir, { recursive: true });
  extra(dir);
  writeFileSync(
    join(dir, 'main.yaml'),
    stringify({
      openapi: '3.1.0',
      info: { title: 't', version: '1' },
      paths: {
        '/items': {
          get: {
            operationId: 'listItems',
            parameters: [{ name: 'q', in: 'query', schema: { $ref: ref } }],
          },
        },
      },
    }),
  );
  return join(dir, 'main.yaml');
}

/** What building the tools of `file` throws (or undefined), with the default or given load options. */
async function refusal(file: string, refRoots: string[] = []): Promise<OpenApiError | undefined> {
  try {
    const set = openApiTools('api', { document: file }, await loadOpenApiDocument(file, { refRoots }));
    // Whatever was built must not carry the file's content.
    expect(JSON.stringify(set.tools)).not.toContain(SECRET);
    return undefined;
  } catch (err) {
    expect(String((err as Error).message)).not.toContain(SECRET);
    return err as OpenApiError;
  }
}

describe('$ref reads only regular files under the document directory or the listed roots', () => {
  it('"../" out of the document directory is refused, naming the operation', async () => {
    const err = await refusal(documentWithRef('../../outside/kubeconfig.yaml#/Secret'));
    expect(err?.code).toBe('OPENAPI_REF_FORBIDDEN');
    expect(err?.operation).toBe('listItems (GET /items)');
    expect(err?.message).toMatch(/leaves the directories \$refs may reach.*openapi\.refRoots/);
  });

  it('a percent-encoded "%2e%2e/" is the same escape, and refused the same way', async () => {
    const err = await refusal(documentWithRef('%2e%2e/%2e%2e/outside/kubeconfig.yaml#/Secret'));
    expect(err?.code).toBe('OPENAPI_REF_FORBIDDEN');
  });

  it('an absolute path is refused, even one inside the document directory', async () => {
    const err = await refusal(documentWithRef(`${join(outside, 'kubeconfig.yaml')}#/Secret`));
    expect(err?.code).toBe('OPENAPI_REF_FORBIDDEN');
    expect(err?.message).toMatch(/absolute path/);
    const inside = documentWithRef('', () => {});
    const err2 = await refusal(documentWithRef(`${join(inside, '..', 'main.yaml')}#/paths`));
    expect(err2?.code).toBe('OPENAPI_REF_FORBIDDEN');
  });

  it('a symbolic link that leads out of the directory is refused', async () => {
    const file = documentWithRef('./link.yaml#/Secret', (dir) =>
      symlinkSync(join(outside, 'kubeconfig.yaml'), join(dir, 'link.yaml')),
    );
    const err = await refusal(file);
    expect(err?.code).toBe('OPENAPI_REF_FORBIDDEN');
    expect(err?.message).toMatch(/symbolic link/);
  });

  it('a named pipe is refused at once instead of blocking the load forever', async () => {
    const file = documentWithRef('./pipe.yaml#/Secret', (dir) =>
      execFileSync('mkfifo', [join(dir, 'pipe.yaml')]),
    );
    const err = await refusal(file);
    expect(err?.code).toBe('OPENAPI_REF_FORBIDDEN');
    expect(err?.message).toMatch(/not a regular file \(a named pipe\)/);
  });

  it('a device reached through a link, or named as the document, is refused before it is read', async () => {
    // /dev/zero never ends: reading it whole took 600 MB before.
    const linked = documentWithRef('./zero.yaml#/x', (dir) =>
      symlinkSync('/dev/zero', join(dir, 'zero.yaml')),
    );
    expect((await refusal(linked))?.code).toBe('OPENAPI_REF_FORBIDDEN');
    const err = await loadOpenApiDocument('/dev/zero').catch((e: OpenApiError) => e);
    expect(err).toMatchObject({ code: 'OPENAPI_REF_FORBIDDEN' });
    expect((err as Error).message).toMatch(/not a regular file \(a device\)/);
  });

  it('a directory the operator lists in refRoots may be reached; its siblings still may not', async () => {
    const file = documentWithRef('../../outside/kubeconfig.yaml#/Secret');
    const loaded = await loadOpenApiDocument(file, { refRoots: [outside] });
    const set = openApiTools('api', { document: file }, loaded);
    expect(set.tools[0]!.input.properties!.q).toMatchObject({ default: SECRET });
    const sibling = join(base, 'sibling');
    mkdirSync(sibling);
    expect((await refusal(file, [sibling]))?.code).toBe('OPENAPI_REF_FORBIDDEN');
  });

  it('with refuseFileRefs, a $ref to a sibling file is refused before any file is read, naming the ref', async () => {
    // What init does for a fetched document: nothing beside its saved copy is read, not even a sibling.
    const file = documentWithRef('./secret.yaml#/Secret', (dir) =>
      writeFileSync(join(dir, 'secret.yaml'), stringify({ Secret: { type: 'string', default: SECRET } })),
    );
    const err = await loadOpenApiDocument(file, { refuseFileRefs: 'bundle it' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenApiRefError);
    expect(err).toMatchObject({ code: 'OPENAPI_REF_FORBIDDEN', ref: './secret.yaml#/Secret' });
    expect((err as Error).message).not.toContain(SECRET);
    // Refs within the document itself are still followed.
    const local = documentWithRef('#/components/schemas/Q');
    await expect(loadOpenApiDocument(local, { refuseFileRefs: 'bundle it' })).resolves.toBeDefined();
  });

  it('a URL as openapi.document is refused at its line, and nothing is fetched', async () => {
    let requests = 0;
    const server = createServer((_req, res) => {
      requests++;
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/spec.yaml`;
    const config = join(base, `conduit${++n}.yaml`);
    writeFileSync(
      config,
      `upstreams:\n  api:\n    baseUrl: http://127.0.0.1:9\n    openapi:\n      document: ${url}\n`,
    );
    try {
      const err = await loadConfig(config, { env: {} }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConfigValidationError);
      expect((err as ConfigValidationError).problems).toMatchObject([
        { path: 'upstreams.api.openapi.document', line: 5 },
      ]);
    } finally {
      server.close();
    }
    expect(requests).toBe(0);
  });

  it('the refusal reaches loadConfig (and so validate and serve) as a typed config error', async () => {
    const file = documentWithRef('../../outside/kubeconfig.yaml#/Secret');
    const config = join(base, `conduit${++n}.yaml`);
    writeFileSync(
      config,
      stringify({ upstreams: { api: { baseUrl: 'http://127.0.0.1:9', openapi: { document: file } } } }),
    );
    const err = await loadConfig(config, { env: {} }).catch((e: OpenApiError) => e);
    expect(err).toMatchObject({ code: 'OPENAPI_REF_FORBIDDEN', operation: 'listItems (GET /items)' });
    expect((err as Error).message).not.toContain(SECRET);
  });
});

describe('one budget bounds the whole load: bytes read, nodes inlined, time', () => {
  it('a file over the size cap is refused before it is parsed, naming the file and the setting', async () => {
    const file = documentWithRef('./big.yaml#/S', (dir) =>
      writeFileSync(join(dir, 'big.yaml'), `S: { type: string, description: "${'x'.repeat(5000)}" }\n`),
    );
    const budget = new LoadBudget({ maxFileBytes: 4096 });
    const err = await loadOpenApiDocument(file, { budget }).catch((e: OpenApiError) => e);
    expect((err as OpenApiError).code).toBe('OPENAPI_BUDGET_EXCEEDED');
    expect((err as Error).message).toMatch(
      /big\.yaml is larger than 4096 bytes \(openapi\.limits\.maxFileBytes\)/,
    );
    // The root document is held to the same cap, and fails the load itself.
    const small = new LoadBudget({ maxFileBytes: 64 });
    await expect(loadOpenApiDocument(file, { budget: small })).rejects.toMatchObject({
      code: 'OPENAPI_BUDGET_EXCEEDED',
    });
  });

  it('bytes over all files are counted together: many files just under the cap are refused', async () => {
    const file = documentWithRef('./a.yaml#/S', (dir) => {
      for (const [name, next] of [
        ['a', 'b'],
        ['b', 'c'],
        ['c', undefined],
      ] as const)
        writeFileSync(
          join(dir, `${name}.yaml`),
          stringify({
            S: next ? { $ref: `./${next}.yaml#/S` } : { type: 'string' },
            pad: 'x'.repeat(3000),
          }),
        );
    });
    await expect(
      loadOpenApiDocument(file, { budget: new LoadBudget({ maxFileBytes: 4096, maxTotalBytes: 8000 }) }),
    ).rejects.toMatchObject({
      code: 'OPENAPI_BUDGET_EXCEEDED',
      message: expect.stringMatching(/maxTotalBytes/),
    });
    await expect(
      loadOpenApiDocument(file, { budget: new LoadBudget({ maxFileBytes: 4096, maxTotalBytes: 12_000 }) }),
    ).resolves.toBeDefined();
  });

  /** 40 operations whose bodies are an 8-way fan-out of `$ref`s, 6 levels: 37 449 nodes each if inlined. */
  function fanOut(): string {
    const schemas: Record<string, unknown> = { S5: { type: 'string' } };
    for (let k = 0; k < 5; k++)
      schemas[`S${k}`] = {
        type: 'object',
        properties: Object.fromEntries(
          Array.from({ length: 8 }, (_, j) => [`p${j}`, { $ref: `#/components/schemas/S${k + 1}` }]),
        ),
      };
    const paths: Record<string, unknown> = {};
    const body = { content: { 'application/json': { schema: { $ref: '#/components/schemas/S0' } } } };
    for (let i = 0; i < 40; i++)
      paths[`/r${i}`] = {
        post: {
          operationId: `post${i}`,
          requestBody: body,
          responses: { '200': { description: 'ok', ...body } },
        },
      };
    const dir = join(base, `fan${++n}`);
    mkdirSync(dir);
    const file = join(dir, 'fan.json');
    writeFileSync(
      file,
      JSON.stringify({
        openapi: '3.0.3',
        info: { title: 'f', version: '1' },
        paths,
        components: { schemas },
      }),
    );
    return file;
  }

  it('an 8-way $ref fan-out over 40 operations costs nodes per distinct schema, not per path', async () => {
    const file = fanOut();
    const budget = new LoadBudget();
    const set = openApiTools('fan', { document: file }, await loadOpenApiDocument(file, { budget }), {
      budget,
    });
    expect(set.tools).toHaveLength(40);
    // Inlined, this was 8.9 MiB of schemas; shared through $defs, a few hundred bytes a level.
    expect(JSON.stringify(set.tools).length).toBeLessThan(400_000);
    expect(budget.nodesInlined).toBeLessThan(40 * 2 * 100);
  });

  it('past the node budget the build stops with a typed error naming the operation, even with onSkip', async () => {
    const file = fanOut();
    const budget = new LoadBudget({ maxInlinedNodes: 500 });
    const loaded = await loadOpenApiDocument(file, { budget });
    const skipped: string[] = [];
    let err: OpenApiError | undefined;
    try {
      openApiTools('fan', { document: file }, loaded, { budget, onSkip: (e) => skipped.push(e.code) });
    } catch (e) {
      err = e as OpenApiError;
    }
    expect(err?.code).toBe('OPENAPI_BUDGET_EXCEEDED');
    expect(err?.operation).toMatch(/^post\d+ \(POST \/r\d+\)$/);
    expect(err?.message).toMatch(/more than 500 nodes.*openapi\.limits\.maxInlinedNodes/);
    expect(skipped).toEqual([]);
  });

  it('past the time budget (an injected clock) the build stops, naming the operation', async () => {
    const file = fanOut();
    // Every look at the clock is 1 s later: the 30 s budget runs out after 30 looks, whatever the machine.
    let now = 0;
    const budget = new LoadBudget({}, () => (now += 1000));
    const loaded = await loadOpenApiDocument(file, { budget });
    let err: OpenApiError | undefined;
    try {
      for (let i = 0; i < 100; i++) openApiTools('fan', { document: file }, loaded, { budget });
    } catch (e) {
      err = e as OpenApiError;
    }
    expect(err?.code).toBe('OPENAPI_BUDGET_EXCEEDED');
    expect(err?.message).toMatch(/took longer than 30000 ms \(openapi\.limits\.maxLoadTime\)/);
    expect(err?.operation).toMatch(/^post\d+/);
  });

  it('openapi.limits in the config set the budget that loadConfig uses', async () => {
    const file = fanOut();
    const config = join(base, `conduit${++n}.yaml`);
    writeFileSync(
      config,
      stringify({
        upstreams: {
          fan: {
            baseUrl: 'http://127.0.0.1:9',
            openapi: { document: file, limits: { maxFileBytes: '1KiB' } },
          },
        },
      }),
    );
    const err = await loadConfig(config, { env: {} }).catch((e: OpenApiError) => e);
    expect(err).toMatchObject({ code: 'OPENAPI_BUDGET_EXCEEDED' });
    expect((err as Error).message).toMatch(/larger than 1024 bytes/);
  });
});

/** The tools of a one-file document given as a value, with the operations left out (and why). */
function toolsOf(paths: Record<string, unknown>, source: Record<string, unknown> = {}) {
  const text = JSON.stringify({ openapi: '3.1.0', info: { title: 't', version: '1' }, paths });
  const skipped: OpenApiError[] = [];
  const set = openApiTools(
    'api',
    { document: 'doc.json', ...source },
    parseOpenApiDocument(text, { format: 'json' }),
    { onSkip: (err) => skipped.push(err) },
  );
  return { tools: set.tools, skipped };
}

describe('names a document chooses stay plain data: __proto__, constructor and friends', () => {
  it('a "__proto__" key anywhere in the document (schema keyword or property name) is refused, in JSON and YAML', () => {
    // Assigned to a plain object, the key replaces its prototype: the schema would gain properties
    // (and required fields) that no published schema shows, and the property itself would vanish.
    const keyword = {
      openapi: '3.1.0',
      info: { title: 't', version: '1' },
      paths: {
        '/a': {
          post: {
            operationId: 'make',
            requestBody: {
              content: {
                'application/json': {
                  schema: JSON.parse(
                    '{"type":"object","__proto__":{"properties":{"role":{"type":"string"}},"required":["role"]}}',
                  ),
                },
              },
            },
          },
        },
      },
    };
    const text = JSON.stringify(keyword);
    expect(text).toContain('"__proto__"');
    for (const [doc, format] of [
      [text, 'json'],
      [stringify(JSON.parse(text)), 'yaml'],
      [
        text.replace(
          /"__proto__":\{.*?"required":\["role"\]\}/,
          '"properties":{"__proto__":{"type":"string"},"b":{"type":"string"}}',
        ),
        'json',
      ],
    ] as const) {
      let err: unknown;
      try {
        parseOpenApiDocument(doc, { format });
      } catch (e) {
        err = e;
      }
      expect(err, doc).toMatchObject({ code: 'OPENAPI_DOCUMENT_INVALID' });
      expect((err as Error).message).toContain('__proto__');
    }
  });

  it('a parameter or path hole named "__proto__" is refused with the operation, not dropped from the tool', () => {
    const { tools, skipped } = toolsOf({
      '/a': { get: { operationId: 'query', parameters: [{ name: '__proto__', in: 'query' }] } },
      '/b/{__proto__}': { get: { operationId: 'hole' } },
      '/c': { get: { operationId: 'fine', parameters: [{ name: 'constructor', in: 'query' }] } },
    });
    expect(skipped.map((e) => [e.operation, e.code])).toEqual([
      ['query (GET /a)', 'OPENAPI_UNSUPPORTED_PARAMETER'],
      ['hole (GET /b/{__proto__})', 'OPENAPI_UNSUPPORTED_PARAMETER'],
    ]);
    expect(tools.map((t) => [t.name, Object.keys(t.input.properties ?? {})])).toEqual([
      ['fine', ['constructor']],
    ]);
  });

  it('operationIds that name Object.prototype members get their own names and no phantom override', () => {
    const ids = ['constructor', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__'];
    const { tools } = toolsOf(
      Object.fromEntries(ids.map((id, i) => [`/p${i}`, { get: { operationId: id } }])),
    );
    expect(tools.map((t) => t.name)).toEqual([
      'constructor',
      'toString',
      'hasOwnProperty',
      'valueOf',
      'defineGetter',
    ]);
    // An override the operator does write for one of them still applies.
    const named = toolsOf(
      { '/p': { get: { operationId: 'constructor' } } },
      {
        overrides: { constructor: { name: 'make_thing' } },
      },
    );
    expect(named.tools.map((t) => t.name)).toEqual(['make_thing']);
  });
});

describe('a path template from the document cannot lead the gateway elsewhere', () => {
  it('templates that would climb, name another host, carry a query or hold odd holes are refused per operation', () => {
    const bad = [
      '/x/../admin',
      '/x/%2e%2e/admin',
      '/x/%2E%2e',
      '//evil.example/x',
      '/x?admin=1',
      '/x#frag',
      '/x\\y',
      '/x/a b',
      '/x/{../}',
      '/x/{}',
      '/x/{a/b}',
      '/x/{a',
      '/x/}',
      '/x/%zz',
    ];
    const { tools, skipped } = toolsOf({
      ...Object.fromEntries(bad.map((p, i) => [p, { get: { operationId: `bad${i}` } }])),
      '/ok/{a}{b}/{enterprise-team}': { get: { operationId: 'ok' } },
    });
    expect(skipped.map((e) => e.operation)).toEqual(bad.map((p, i) => `bad${i} (GET ${p})`));
    expect(new Set(skipped.map((e) => e.code))).toEqual(new Set(['OPENAPI_DOCUMENT_INVALID']));
    expect(tools.map((t) => t.name)).toEqual(['ok']);
  });
});

describe('text a document carries cannot drive a terminal or a client display', () => {
  const ESC = '\u001b';
  // Any C0 or C1 control character but tab and newline (descriptions keep their lines).
  const CONTROL = /(?![\t\n])\p{Cc}/u;

  it('messages about an operation show control characters in its operationId, path or parameter escaped', () => {
    const { skipped } = toolsOf({
      [`/a${ESC}[2J`]: { get: { operationId: 'ok' } },
      '/b': {
        get: {
          operationId: `bad${ESC}[31m\nconduit: FAKE LINE`,
          parameters: [{ name: `c${ESC}]0;t\u0007`, in: 'cookie' }],
        },
      },
    });
    expect(skipped).toHaveLength(2);
    for (const err of skipped) {
      expect(err.message).not.toMatch(CONTROL);
      expect(err.message).not.toContain('\n');
      expect(err.operation).not.toMatch(CONTROL);
    }
    expect(skipped[1]!.message).toContain('bad\\u001b[31m\\nconduit: FAKE LINE');
  });

  it('descriptions and titles are published without control characters, their lines and tabs kept', () => {
    const { tools } = toolsOf(
      {
        '/a': {
          post: {
            operationId: 'make',
            summary: `Make${ESC}]0;pwned\u0007`,
            description: `Makes\tone.\n\nThen${ESC}[2J\u0000 more\u009b.`,
            parameters: [{ name: 'q', in: 'query', description: `a${ESC}[1mquery` }],
            requestBody: {
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    title: `T${ESC}[5m`,
                    properties: { n: { type: 'string', description: `n\u0008ame` } },
                  },
                },
              },
            },
          },
        },
      },
      { titles: true },
    );
    const tool = tools[0]!;
    expect(tool.title).toBe('Make]0;pwned');
    expect(tool.description).toBe('Makes\tone.\n\nThen[2J more.');
    expect(JSON.stringify(tool.input)).not.toMatch(/\\u00[01]|\\u007f|\\b/);
    expect(tool.input.properties!.q).toMatchObject({ description: 'a[1mquery' });
    expect(tool.input.properties!.n).toMatchObject({ description: 'name' });
  });
});

describe('an operationId names one operation, so selecting or overriding it reaches only that one', () => {
  it('a second operation with the same operationId is refused, not served under a suffixed name', () => {
    // Selected by id, the duplicate (a DELETE) was served too, as getUser_<hash>.
    const { tools, skipped } = toolsOf(
      {
        '/users/{id}': { get: { operationId: 'getUser' } },
        '/users': { delete: { operationId: 'getUser' } },
        '/a/b': { get: {} },
        '/a_b': { get: {} },
      },
      { include: { operationIds: ['getUser', 'get_a_b'] }, generateNames: true },
    );
    expect(tools.map((t) => [t.name, t.method, t.path])).toEqual([
      ['getUser', 'GET', '/users/{id}'],
      ['get_a_b', 'GET', '/a/b'],
    ]);
    expect(skipped.map((e) => [e.code, e.operation])).toEqual([
      ['OPENAPI_NAME_COLLISION', 'getUser (DELETE /users)'],
      ['OPENAPI_NAME_COLLISION', 'get_a_b (GET /a_b)'],
    ]);
    // Ids that only normalise to one tool name are still two operations: the later gets a suffix.
    const near = toolsOf({
      '/x': { get: { operationId: 'get items' } },
      '/y': { get: { operationId: 'get/items' } },
    });
    expect(near.tools.map((t) => t.name)).toEqual([
      'get_items',
      expect.stringMatching(/^get_items_[0-9a-f]{8}$/),
    ]);
  });
});

describe('a header parameter is one the gateway can send', () => {
  it('a header name that is no HTTP token is refused with its operation, not published as a tool that always fails', () => {
    const { tools, skipped } = toolsOf({
      '/a': { get: { operationId: 'spaced', parameters: [{ name: 'X Evil', in: 'header' }] } },
      '/b': { get: { operationId: 'broken', parameters: [{ name: 'X-A\r\nHost: evil', in: 'header' }] } },
      '/c': { get: { operationId: 'fine', parameters: [{ name: 'X-Request-Id', in: 'header' }] } },
    });
    expect(skipped.map((e) => [e.code, e.operation])).toEqual([
      ['OPENAPI_UNSUPPORTED_PARAMETER', 'spaced (GET /a)'],
      ['OPENAPI_UNSUPPORTED_PARAMETER', 'broken (GET /b)'],
    ]);
    expect(tools.map((t) => t.name)).toEqual(['fine']);
  });
});
