import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/core/index.js';
import {
  loadOpenApiDocument,
  OpenApiError,
  OpenApiRefError,
  openApiTools,
  parseOpenApiDocument,
} from '../../../src/config/openapi/index.js';
import { doc, thrown } from './helpers.js';

const tools = (d: ReturnType<typeof doc>, source: object = {}) =>
  openApiTools('api', { outputSchemas: true, document: 'x', ...source }, d);

/** The error of building tools for one operation with the given parts. */
function operationError(
  operation: Record<string, unknown>,
  components: Record<string, unknown> = {},
  path = '/items/{id}',
) {
  const err = thrown(() =>
    tools(doc({ [path]: { get: { operationId: 'getItem', ...operation } } }, components)),
  );
  expect(err).toBeInstanceOf(OpenApiError);
  expect(err).toBeInstanceOf(ConfigError);
  return err;
}

const dir = mkdtempSync(join(tmpdir(), 'conduit-openapi-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('bad documents give typed errors naming the operation', () => {
  it('an unresolvable $ref names the operation and the pointer', () => {
    const err = operationError({
      responses: {
        '200': { content: { 'application/json': { schema: { $ref: '#/components/schemas/Nope' } } } },
      },
    });
    expect(err).toBeInstanceOf(OpenApiRefError);
    expect(err.code).toBe('OPENAPI_REF_UNRESOLVED');
    expect(err.operation).toBe('getItem (GET /items/{id})');
    expect(err.ref).toBe('#/components/schemas/Nope');
    expect(err.message).toMatch(
      /operation getItem \(GET \/items\/\{id\}\): cannot resolve \$ref "#\/components\/schemas\/Nope": nothing at #\/components\/schemas\/Nope/,
    );
  });

  it('a $ref that is not a JSON pointer, a remote one, and one to another file from text', () => {
    const param = (ref: string) => operationError({ parameters: [{ $ref: ref }] });
    expect(param('#Item').message).toMatch(/must be a JSON pointer/);
    expect(param('https://example.com/spec.yaml#/x').message).toMatch(/remote references are not supported/);
    expect(param('./other.yaml#/x').message).toMatch(/loaded from a file/);
  });

  it('refs that only point at each other are a cycle error; a recursive schema with a body is fine', () => {
    const err = operationError(
      { parameters: [{ name: 'q', in: 'query', schema: { $ref: '#/components/schemas/A' } }] },
      { schemas: { A: { $ref: '#/components/schemas/B' }, B: { $ref: '#/components/schemas/A' } } },
    );
    expect(err.code).toBe('OPENAPI_REF_CYCLE');
    expect(err.message).toMatch(/getItem.*only leads to other \$refs/);
  });

  it('a missing operationId names method and path (or a name is generated on request)', () => {
    const d = doc({ '/items': { post: { summary: 'no id' } } });
    const err = thrown(() => tools(d));
    expect(err.code).toBe('OPENAPI_OPERATION_ID_MISSING');
    expect(err.message).toMatch(/operation POST \/items has no operationId.*generateNames: true/);
    expect(tools(d, { generateNames: true }).tools[0]!.name).toBe('post_items');
    // Excluded, it is no problem.
    expect(tools(d, { exclude: { paths: ['/items'] } }).tools).toEqual([]);
  });

  it.each([
    [
      'deepObject in a header',
      { name: 'f', in: 'header', style: 'deepObject', schema: { type: 'object' } },
      /style "deepObject"/,
    ],
    [
      'spaceDelimited',
      { name: 'f', in: 'query', style: 'spaceDelimited', schema: { type: 'array' } },
      /style "spaceDelimited"/,
    ],
    [
      'pipeDelimited',
      { name: 'f', in: 'query', style: 'pipeDelimited', schema: { type: 'array' } },
      /style "pipeDelimited"/,
    ],
    [
      'matrix',
      { name: 'id', in: 'path', required: true, style: 'matrix', schema: { type: 'string' } },
      /style "matrix"/,
    ],
    [
      'label',
      { name: 'id', in: 'path', required: true, style: 'label', schema: { type: 'string' } },
      /style "label"/,
    ],
    ['cookie', { name: 'session', in: 'cookie', schema: { type: 'string' } }, /cookie parameter/],
    [
      'object in the query',
      { name: 'f', in: 'query', schema: { type: 'object', properties: { a: {} } } },
      /object in the query/,
    ],
    [
      'array in the path',
      { name: 'id', in: 'path', required: true, schema: { type: 'array' } },
      /an array in the path/,
    ],
    ['array header', { name: 'X-Ids', in: 'header', schema: { type: 'array' } }, /an array in the header/],
    [
      'non-JSON content',
      { name: 'f', in: 'query', content: { 'text/plain': { schema: {} } } },
      /only JSON content/,
    ],
  ])('unsupported parameter: %s', (_label, parameter, message) => {
    const err = operationError({ parameters: [parameter] });
    expect(err.code).toBe('OPENAPI_UNSUPPORTED_PARAMETER');
    expect(err.message).toMatch(message);
    expect(err.message).toMatch(/^operation getItem \(GET \/items\/\{id\}\): parameter "\w[\w-]*"/);
    expect(err.message).toMatch(/ignoreParameters|exclude the operation/);
  });

  it('an unsupported query parameter can be ignored by override; a path one cannot', () => {
    const d = doc({
      '/items/{id}': {
        get: {
          operationId: 'getItem',
          parameters: [{ name: 'f', in: 'query', style: 'pipeDelimited', schema: { type: 'object' } }],
        },
      },
    });
    expect(tools(d, { overrides: { getItem: { ignoreParameters: ['f'] } } }).tools[0]!.params).toEqual({
      id: 'path',
    });
    expect(thrown(() => tools(d, { overrides: { getItem: { ignoreParameters: ['id'] } } })).code).toBe(
      'OPENAPI_OVERRIDE_INVALID',
    );
    expect(thrown(() => tools(d, { overrides: { getItem: { ignoreParameters: ['g'] } } })).message).toMatch(
      /"g", which is not one of its parameters \(f\)/,
    );
  });

  it('non-JSON request bodies and GET bodies are unsupported', () => {
    const form = thrown(() =>
      tools(
        doc({
          '/up': {
            post: { operationId: 'upload', requestBody: { content: { 'application/octet-stream': {} } } },
          },
        }),
      ),
    );
    expect(form.code).toBe('OPENAPI_UNSUPPORTED_BODY');
    expect(form.message).toMatch(
      /upload \(POST \/up\): request body is application\/octet-stream; only JSON/,
    );
    const parts = thrown(() =>
      tools(
        doc({
          '/up': { post: { operationId: 'upload', requestBody: { content: { 'multipart/form-data': {} } } } },
        }),
      ),
    );
    expect(parts.code).toBe('OPENAPI_UNSUPPORTED_BODY');
    expect(parts.message).toMatch(/a multipart body must be an object/);
    const get = operationError({ requestBody: { content: { 'application/json': {} } } });
    expect(get.code).toBe('OPENAPI_UNSUPPORTED_BODY');
  });

  it('two operations sanitized to one tool name: the later one gets a suffix from its own id; one argument name in two places is an error', () => {
    const d = doc({ '/a': { get: { operationId: 'get item' } }, '/b': { get: { operationId: 'get/item' } } });
    const names = tools(d).tools.map((t) => t.name);
    expect(names[0]).toBe('get_item');
    expect(names[1]).toMatch(/^get_item_[0-9a-f]{8}$/);
    expect(tools(d).tools.map((t) => t.name)).toEqual(names);
    expect(tools(d, { overrides: { 'get/item': { name: 'get_item_b' } } }).tools.map((t) => t.name)).toEqual([
      'get_item',
      'get_item_b',
    ]);
    const clash = operationError({ parameters: [{ name: 'id', in: 'query', schema: { type: 'string' } }] });
    expect(clash.code).toBe('OPENAPI_NAME_COLLISION');
    expect(clash.message).toMatch(/parameter "id" is both in/);
  });

  it('unknown operationIds in include, exclude or overrides are errors with a hint', () => {
    const d = doc({ '/items': { get: { operationId: 'listItems' } } });
    const err = thrown(() => tools(d, { overrides: { listItem: { timeout: '1s' } } }));
    expect(err.code).toBe('OPENAPI_SELECTION_UNKNOWN');
    expect(err.message).toMatch(/overrides\.listItem names operation "listItem".*did you mean "listItems"/);
    expect(thrown(() => tools(d, { include: { operationIds: ['nothing'] } })).code).toBe(
      'OPENAPI_SELECTION_UNKNOWN',
    );
  });

  it('tags in include or exclude that no operation has are errors with a hint, not a silent empty selection', () => {
    const d = doc({ '/items': { get: { operationId: 'listItems', tags: ['items'] } } });
    const err = thrown(() => tools(d, { include: { tags: ['item'] } }));
    expect(err.code).toBe('OPENAPI_SELECTION_UNKNOWN');
    expect(err.message).toMatch(
      /include\.tags names tag "item", which no operation of the document has.*did you mean "items"/,
    );
    expect(thrown(() => tools(d, { exclude: { tags: ['nothing'] } })).code).toBe('OPENAPI_SELECTION_UNKNOWN');
    expect(tools(d, { include: { tags: ['items'] } }).tools.map((t) => t.name)).toEqual(['listItems']);
  });

  it('override templates must use tool arguments', () => {
    const d = doc({ '/items/{id}': { get: { operationId: 'getItem' } } });
    const err = thrown(() => tools(d, { overrides: { getItem: { cache: { key: 'item:{itemId}' } } } }));
    expect(err.code).toBe('OPENAPI_OVERRIDE_INVALID');
    expect(err.message).toMatch(/\{itemId\}, which is not an argument of the tool \(id\)/);
  });

  it('a $ref fan-out stays small: each sizeable schema met again in a tool is one $defs entry', () => {
    // 2^30 nodes if inlined: each level refers to the next twice.
    const schemas: Record<string, unknown> = { L30: { type: 'string' } };
    for (let i = 0; i < 30; i++)
      schemas[`L${i}`] = {
        type: 'object',
        properties: {
          a: { $ref: `#/components/schemas/L${i + 1}` },
          b: { $ref: `#/components/schemas/L${i + 1}` },
        },
      };
    const { tools: built } = tools(
      doc(
        {
          '/items/{id}': {
            get: {
              operationId: 'getItem',
              parameters: [
                {
                  name: 'q',
                  in: 'query',
                  content: { 'application/json': { schema: { $ref: '#/components/schemas/L0' } } },
                },
              ],
            },
          },
        },
        { schemas },
      ),
    );
    const input = built[0]!.input as { $defs?: Record<string, unknown> };
    // Definitions repeat the chain below their first use: bounded by depth, not 2^30.
    expect(JSON.stringify(input).length).toBeLessThan(50_000);
    expect(Object.keys(input.$defs ?? {}).length).toBeGreaterThan(20);
  });

  it('a schema nested deeper than 64 levels is cut there, not refused and not a stack overflow', () => {
    let deep: Record<string, unknown> = { type: 'string' };
    for (let i = 0; i < 200; i++) deep = { type: 'array', items: deep };
    const { tools: built } = tools(
      doc({
        '/items/{id}': {
          get: {
            operationId: 'getItem',
            parameters: [{ name: 'q', in: 'query', content: { 'application/json': { schema: deep } } }],
          },
        },
      }),
    );
    const text = JSON.stringify(built[0]!.input);
    expect(text).toMatch(/nested deeper than 64 levels/);
    expect(text.match(/"type":"array"/g)!.length).toBeLessThanOrEqual(66);
  });

  it('a schema with more nodes than one tool may hold is still an error', () => {
    const properties = Object.fromEntries(
      Array.from({ length: 21_000 }, (_, i) => [`p${i}`, { type: 'string' }]),
    );
    const text = JSON.stringify({
      openapi: '3.1.0',
      info: { title: 't', version: '1' },
      paths: {
        '/items': {
          get: {
            operationId: 'getItems',
            parameters: [
              {
                name: 'q',
                in: 'query',
                content: { 'application/json': { schema: { type: 'object', properties } } },
              },
            ],
          },
        },
      },
    });
    const err = thrown(() => tools(parseOpenApiDocument(text, { format: 'json' })));
    expect(err.code).toBe('OPENAPI_SCHEMA_TOO_LARGE');
  });

  it('a YAML alias that makes a schema contain itself is an error', () => {
    const text = `openapi: 3.1.0
info: { title: t, version: '1' }
paths:
  /x:
    post:
      operationId: makeX
      requestBody:
        content:
          application/json:
            schema: &node
              type: object
              properties:
                child: *node
`;
    const err = thrown(() => parseOpenApiDocument(text));
    expect(err.code).toBe('OPENAPI_DOCUMENT_INVALID');
    expect(err.message).toMatch(/YAML alias refers to a node that contains it/);
    // Aliases that only share a node (no cycle) are fine.
    const shared =
      text.replace('child: *node', 'child: { type: string }') +
      '  /y:\n    post: { operationId: makeY, requestBody: { content: { application/json: { schema: *node } } } }\n';
    expect(tools(parseOpenApiDocument(shared)).tools.map((t) => t.name)).toEqual(['makeX', 'makeY']);
    expect(err).toBeInstanceOf(OpenApiError);
  });
});

describe('documents that are not OpenAPI 3', () => {
  it.each([
    ['not YAML', 'a: [', /not valid YAML/],
    ['duplicate keys', 'openapi: 3.1.0\nopenapi: 3.0.0\n', /not valid YAML/],
    ['a list', '- 1\n- 2\n', /expected an OpenAPI document/],
    ['Swagger 2', 'swagger: "2.0"\npaths: {}\n', /Swagger\/OpenAPI 2.0 is not supported/],
    ['no version', 'paths: {}\n', /expected "openapi: 3.0.x" or "openapi: 3.1.x"/],
    ['OpenAPI 4', 'openapi: 4.0.0\npaths: {}\n', /found "4.0.0"/],
    ['paths a list', 'openapi: 3.0.1\npaths: []\n', /"paths" must be a mapping/],
  ])('%s', (_label, text, message) => {
    const err = thrown(() => parseOpenApiDocument(text, { sourceName: 'spec.yaml' }));
    expect(err).toBeInstanceOf(OpenApiError);
    expect(err.code).toBe('OPENAPI_DOCUMENT_INVALID');
    expect(err.message).toMatch(message);
  });

  it('a YAML or JSON syntax error names the line it is on', () => {
    const yaml = 'openapi: 3.0.0\ninfo:\n  title: x\n   version: "1"\npaths: {}\n';
    expect(thrown(() => parseOpenApiDocument(yaml, { sourceName: 'spec.yaml' })).message).toMatch(
      /^spec\.yaml: not valid YAML \(line 3\): /,
    );
    const json = '{\n  "openapi": "3.0.0",\n  "paths": {},\n}\n';
    expect(
      thrown(() => parseOpenApiDocument(json, { sourceName: 'spec.json', format: 'json' })).message,
    ).toMatch(/^spec\.json: not valid JSON \(line 4\): /);
  });

  it('bad JSON, a missing file, and a referenced file that is missing (reported where it is used)', async () => {
    expect(thrown(() => parseOpenApiDocument('{', { format: 'json' })).message).toMatch(/not valid JSON/);
    await expect(loadOpenApiDocument(join(dir, 'nope.yaml'))).rejects.toMatchObject({
      code: 'OPENAPI_DOCUMENT_INVALID',
      message: expect.stringMatching(/does not exist/),
    });
    const main = join(dir, 'main.yaml');
    writeFileSync(
      main,
      'openapi: 3.0.3\ninfo: { title: t, version: "1" }\npaths:\n  /a:\n    get:\n      operationId: getA\n      parameters: [{ $ref: "./missing.yaml#/P" }]\n  /b:\n    get:\n      operationId: getB\n      parameters: [{ $ref: "./sub/p.json#/P" }]\n',
    );
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(dir, 'sub'), { recursive: true });
    writeFileSync(
      join(dir, 'sub', 'p.json'),
      JSON.stringify({ P: { name: 'q', in: 'query', schema: { $ref: '#/S' } }, S: { type: 'integer' } }),
    );
    const d = await loadOpenApiDocument(main);
    const err = thrown(() => openApiTools('api', { outputSchemas: true, document: main }, d));
    expect(err.code).toBe('OPENAPI_REF_UNRESOLVED');
    expect(err.message).toMatch(
      /operation getA \(GET \/a\): cannot resolve \$ref "\.\/missing\.yaml#\/P": .*does not exist/,
    );
    // The other file's own local ref (#/S) resolves inside that file.
    const ok = openApiTools(
      'api',
      { outputSchemas: true, document: main, exclude: { operationIds: ['getA'] } },
      d,
    );
    expect(ok.tools[0]!.input.properties?.q).toEqual({ type: 'integer' });
  });
});
