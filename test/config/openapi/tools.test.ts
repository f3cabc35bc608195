import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/core/index.js';
import { parseConfig, toolSchema } from '../../../src/config/index.js';
import { join } from 'node:path';
import { z } from 'zod';
import {
  expandOpenApi,
  loadOpenApiDocument,
  type OpenApiDocument,
  type OpenApiToolSet,
  openApiTools,
  openapiSourceSchema,
} from '../../../src/config/openapi/index.js';
import { InputValidator } from '../../../src/mcp/index.js';
import { doc, repoRoot, samplePath } from './helpers.js';

let sample: OpenApiDocument;
let set: OpenApiToolSet;
const validator = new InputValidator();
const tool = (name: string) => {
  const found = set.tools.find((t) => t.name === name);
  if (!found) throw new Error(`no tool ${name}`);
  return found;
};
const check = (schema: unknown, value: unknown) =>
  validator.getValidator(schema as Parameters<InputValidator['getValidator']>[0])(value);

beforeAll(async () => {
  sample = await loadOpenApiDocument(samplePath);
  set = openApiTools('assignments', { outputSchemas: true, document: samplePath }, sample);
});

describe('openApiTools on the sample assignments document', () => {
  it('makes one tool per operation, named from its operationId, in document order', () => {
    expect(set.mode).toBe('tools');
    expect(set.tools.map((t) => `${t.method} ${t.path} ${t.name}`)).toEqual([
      'GET /health getHealth',
      'GET /assignments listAssignments',
      'POST /assignments createAssignment',
      'GET /assignments/{id} getAssignment',
      'DELETE /assignments/{id} deleteAssignment',
      'PATCH /assignments/{id} updateAssignment',
      'GET /users/{userId}/assignments listUserAssignments',
      'POST /users/{userId}/assignments createUserAssignment',
    ]);
    expect(set.tools.every((t) => t.upstream === 'assignments')).toBe(true);
  });

  it('list: pagination query parameters from $ref’d components, a $ref’d enum, cached with the collection tag', () => {
    const t = tool('listAssignments');
    expect(t.description).toBe('List assignments in id order, a page at a time');
    expect(t.params).toEqual({ page: 'query', page_size: 'query', status: 'query' });
    expect(t.input.properties).toEqual({
      page: { type: 'integer', minimum: 1, default: 1, description: '1-based page number' },
      page_size: { type: 'integer', minimum: 1, maximum: 100, default: 10 },
      status: {
        type: 'string',
        enum: ['todo', 'in_progress', 'done'],
        description: 'Only assignments with this status',
      },
    });
    expect(t.input.required).toBeUndefined();
    expect(t.cache).toEqual({ ttl: 60_000, tags: ['assignments'] });
    expect(t.invalidates).toBeUndefined();
    expect(check(t.input, { page: 2, status: 'done' }).valid).toBe(true);
    expect(check(t.input, { page: 0 }).errorMessage).toMatch(/page/);
    expect(check(t.input, { pages: 2 }).errorMessage).toMatch(/"pages" is not allowed/);
  });

  it('get: a path-item parameter, the instance tag, and an object output from the 200 response', () => {
    const t = tool('getAssignment');
    expect(t.params).toEqual({ id: 'path' });
    expect(t.input.required).toEqual(['id']);
    expect(t.input.properties?.id).toEqual({ type: 'string', description: 'Assignment id, e.g. a1' });
    expect(t.cache).toEqual({ ttl: 60_000, tags: ['assignment:{id}'] });
    expect(t.output?.type).toBe('object');
    expect(t.output?.required).toEqual(['id', 'userId', 'title', 'status']);
  });

  it('create: JSON body fields at the top level beside a header parameter from another file; readOnly fields left out', () => {
    const t = tool('createAssignment');
    expect(t.params).toEqual({
      'Idempotency-Key': 'header',
      userId: 'body',
      title: 'body',
      status: 'body',
      dueDate: 'body',
    });
    expect(t.input.required).toEqual(['userId', 'title']);
    expect(t.input.properties?.['Idempotency-Key']).toMatchObject({ type: 'string', maxLength: 200 });
    expect(t.cache).toBeUndefined();
    expect(t.invalidates).toEqual({ tags: ['assignments'], keys: [] });
    // 201 response: Assignment, whose readOnly id stays in the output.
    expect(Object.keys(t.output?.properties ?? {})).toContain('id');
  });

  it('the recursive schema becomes a $defs entry that validates nested values at any depth', () => {
    const t = tool('getAssignment');
    const defs = (t.output as { $defs?: Record<string, unknown> }).$defs;
    expect(Object.keys(defs ?? {})).toEqual(['ChecklistItem']);
    expect(JSON.stringify(t.output)).not.toContain('#/components');
    const ok = {
      id: 'a1',
      userId: 'u1',
      title: 'Essay',
      status: 'todo',
      checklist: [
        { text: 'outline', children: [{ text: 'intro', children: [{ text: 'hook', done: true }] }] },
      ],
    };
    expect(check(t.output, ok).valid).toBe(true);
    const deepBad = structuredClone(ok);
    (deepBad.checklist[0]!.children![0]!.children![0] as { done: unknown }).done = 'yes';
    expect(check(t.output, deepBad).valid).toBe(false);
    expect(check(t.output, { ...ok, checklist: [{ children: [{}] }] }).errorMessage).toMatch(/text/);
  });

  it('a recursive request body validates as tool input too', () => {
    const d = doc(
      {
        '/trees': {
          post: {
            operationId: 'plant',
            requestBody: {
              content: { 'application/json': { schema: { $ref: '#/components/schemas/Node' } } },
            },
          },
        },
      },
      {
        schemas: {
          Node: {
            type: 'object',
            properties: {
              name: { type: 'string' },
              kids: { type: 'array', items: { $ref: '#/components/schemas/Node' } },
            },
            required: ['name'],
          },
        },
      },
    );
    const t = openApiTools('a', { outputSchemas: true, document: 'x' }, d).tools[0]!;
    expect(t.params).toEqual({ name: 'body', kids: 'body' });
    expect((t.input as { $defs?: object }).$defs).toHaveProperty('Node');
    expect(check(t.input, { name: 'a', kids: [{ name: 'b', kids: [{ name: 'c' }] }] }).valid).toBe(true);
    expect(check(t.input, { name: 'a', kids: [{ kids: [{ name: 'c' }] }] }).valid).toBe(false);
  });

  it('update: path parameter plus body fields; the body’s additionalProperties: false carries over', () => {
    const t = tool('updateAssignment');
    expect(t.params).toEqual({ id: 'path', title: 'body', status: 'body', dueDate: 'body' });
    expect(t.input.required).toEqual(['id']);
    expect(t.invalidates).toEqual({ tags: ['assignments', 'assignment:{id}'], keys: [] });
    expect(check(t.input, { id: 'a1', status: 'done' }).valid).toBe(true);
    expect(check(t.input, { id: 'a1', colour: 'red' }).valid).toBe(false);
  });

  it('nested collections get the scoped tag too; mutations there invalidate both', () => {
    expect(tool('listUserAssignments').cache?.tags).toEqual(['assignments', 'user:{userId}:assignments']);
    expect(tool('createUserAssignment').invalidates?.tags).toEqual([
      'assignments',
      'user:{userId}:assignments',
    ]);
    expect(tool('deleteAssignment').invalidates?.tags).toEqual(['assignments', 'assignment:{id}']);
    expect(tool('deleteAssignment').output).toBeUndefined();
  });

  it('every tool passes the config’s own tool schema and a whole config built from them parses', () => {
    for (const t of set.tools) {
      const parsed = toolSchema.safeParse(t);
      expect(parsed.success, `${t.name}: ${JSON.stringify(parsed.error?.issues)}`).toBe(true);
    }
    const config = parseConfig(
      JSON.stringify({ upstreams: { assignments: { baseUrl: 'http://127.0.0.1:9' } }, tools: set.tools }),
      { format: 'json', env: {} },
    );
    expect(config.tools.map((t) => t.name)).toEqual(set.tools.map((t) => t.name));
  });
});

describe('selection and overrides', () => {
  it('include by tag, path glob, operationId or method; exclude wins', () => {
    const names = (source: object) =>
      openApiTools('a', { outputSchemas: true, document: 'x', ...source }, sample).tools.map((t) => t.name);
    expect(names({ include: { tags: ['users'] } })).toEqual(['listUserAssignments', 'createUserAssignment']);
    expect(
      names({ include: { paths: ['/assignments*'] }, exclude: { methods: ['DELETE', 'post'] } }),
    ).toEqual(['listAssignments', 'getAssignment', 'updateAssignment']);
    expect(names({ include: { operationIds: ['getHealth', 'getAssignment'] } })).toEqual([
      'getHealth',
      'getAssignment',
    ]);
    expect(names({ exclude: { tags: ['assignments'] } })).toEqual(['getHealth']);
  });

  it('overrides rename, describe, re-cache, time out and re-target invalidation', () => {
    const out = openApiTools(
      'a',
      {
        document: 'x',
        toolPrefix: 'hw_',
        cache: { ttl: '5m', staleIfError: '1h' },
        overrides: {
          getAssignment: {
            name: 'fetch_assignment',
            description: 'One assignment',
            cache: { ttl: '10s', key: 'a:{id}' },
            timeout: '2s',
          },
          listAssignments: { cache: false },
          updateAssignment: { invalidates: { tags: ['everything'] } },
          deleteAssignment: { invalidates: false },
          createAssignment: { ignoreParameters: ['Idempotency-Key'] },
        },
      },
      sample,
    ).tools;
    const byName = new Map(out.map((t) => [t.name, t]));
    expect([...byName.keys()]).toContain('hw_getHealth');
    const get = byName.get('fetch_assignment')!;
    expect(get.description).toBe('One assignment');
    expect(get.cache).toEqual({
      ttl: 10_000,
      key: 'a:{id}',
      tags: ['assignment:{id}'],
      staleIfError: 3_600_000,
    });
    expect(get.timeout).toBe(2_000);
    expect(byName.get('hw_listAssignments')!.cache).toBeUndefined();
    expect(byName.get('hw_listUserAssignments')!.cache).toMatchObject({
      ttl: 300_000,
      staleIfError: 3_600_000,
    });
    expect(byName.get('hw_updateAssignment')!.invalidates).toEqual({ tags: ['everything'], keys: [] });
    expect(byName.get('hw_deleteAssignment')!.invalidates).toBeUndefined();
    expect(byName.get('hw_createAssignment')!.params).not.toHaveProperty('Idempotency-Key');
  });

  it('cache: false leaves GET operations uncached; invalidateOnMutation: false leaves mutations alone', () => {
    const out = openApiTools(
      'a',
      { outputSchemas: true, document: 'x', cache: false, invalidateOnMutation: false },
      sample,
    ).tools;
    expect(out.every((t) => t.cache === undefined && t.invalidates === undefined)).toBe(true);
  });

  it('the source schema rejects unknown keys with a hint and fills defaults', () => {
    const parsed = openapiSourceSchema.parse({ outputSchemas: true, document: 'spec.yaml' });
    expect(parsed).toMatchObject({
      mode: 'tools',
      toolPrefix: '',
      generateNames: false,
      cache: { ttl: 60_000 },
    });
    const bad = openapiSourceSchema.safeParse({ outputSchemas: true, document: 'spec.yaml', overides: {} });
    expect(bad.error?.issues[0]?.message).toMatch(/did you mean "overrides"/);
    expect(() =>
      openApiTools('a', { outputSchemas: true, document: 'x', mode: 'huge' } as never, sample),
    ).toThrow(ConfigError);
    // Editors get it through the config's JSON Schema.
    const json = z.toJSONSchema(openapiSourceSchema, { io: 'input', unrepresentable: 'any' });
    expect(json).toMatchObject({ required: ['document'], additionalProperties: false });
  });
});

describe('parameters and bodies', () => {
  it('path/query/header/body mix; a body that is not an object, or collides with a parameter, goes under "body"', () => {
    const d = doc({
      '/lists/{listId}/items': {
        parameters: [{ name: 'listId', in: 'path', required: true, schema: { type: 'integer' } }],
        post: {
          operationId: 'addItems',
          parameters: [
            { name: 'dryRun', in: 'query', schema: { type: 'boolean' } },
            { name: 'X-Trace', in: 'header', required: true, schema: { type: 'string' } },
            { name: 'Content-Type', in: 'header', schema: { type: 'string' } },
          ],
          requestBody: {
            required: true,
            content: { 'application/json': { schema: { type: 'array', items: { type: 'string' } } } },
          },
        },
        put: {
          operationId: 'replaceList',
          requestBody: {
            content: {
              'application/merge-patch+json': {
                schema: {
                  type: 'object',
                  properties: { listId: { type: 'string' }, name: { type: 'string' } },
                },
              },
            },
          },
        },
      },
    });
    const { catalog } = openApiTools('a', { outputSchemas: true, document: 'x' }, d);
    const add = catalog.byId.get('addItems');
    const replace = catalog.byId.get('replaceList');
    expect(add!.tool.params).toEqual({ listId: 'path', dryRun: 'query', 'X-Trace': 'header', body: 'body' });
    expect(add!.tool.input.required).toEqual(['listId', 'X-Trace', 'body']);
    expect(add!.tool.input.properties?.body).toEqual({ type: 'array', items: { type: 'string' } });
    expect(add!.wire.bodyArgument).toBe('body');
    // The body's listId would collide with the path parameter: kept whole.
    expect(replace!.tool.params).toEqual({ listId: 'path', body: 'body' });
    expect(replace!.wire.bodyArgument).toBe('body');
  });

  it('allOf of object schemas is merged into top-level fields; 3.0 nullable and exclusiveMinimum are converted', () => {
    const d = doc(
      {
        '/things': {
          post: {
            operationId: 'makeThing',
            requestBody: {
              content: {
                'application/json': {
                  schema: {
                    allOf: [
                      { $ref: '#/components/schemas/Named' },
                      {
                        type: 'object',
                        properties: { size: { type: 'number', minimum: 0, exclusiveMinimum: true } },
                        required: ['size'],
                      },
                    ],
                  },
                },
              },
            },
          },
        },
      },
      {
        schemas: {
          Named: {
            type: 'object',
            properties: { name: { type: 'string', nullable: true } },
            required: ['name'],
          },
        },
      },
      '3.0.3',
    );
    const t = openApiTools('a', { outputSchemas: true, document: 'x' }, d).tools[0]!;
    expect(t.params).toEqual({ name: 'body', size: 'body' });
    expect(t.input.required).toEqual(['name', 'size']);
    expect(t.input.properties?.name).toEqual({ type: ['string', 'null'] });
    expect(t.input.properties?.size).toEqual({ type: 'number', exclusiveMinimum: 0 });
    expect(check(t.input, { name: null, size: 1 }).valid).toBe(true);
    expect(check(t.input, { name: 'n', size: 0 }).valid).toBe(false);
  });

  it('keywords at their JSON Schema default are not kept; what they would mean still holds', () => {
    const meta = {
      type: 'object',
      additionalProperties: true,
      minProperties: 0,
      properties: { note: { type: 'string', readOnly: false, deprecated: false, minLength: 0 } },
    };
    const d = doc({
      '/things': {
        post: {
          operationId: 'tagThing',
          requestBody: {
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  properties: {
                    tags: { type: 'array', items: { type: 'string' }, uniqueItems: false, minItems: 0 },
                    meta,
                    strict: { ...meta, unevaluatedProperties: false },
                  },
                },
              },
            },
          },
        },
      },
    });
    const t = openApiTools('a', { document: 'x' }, d).tools[0]!;
    expect(t.input.properties?.tags).toEqual({ type: 'array', items: { type: 'string' } });
    expect(t.input.properties?.meta).toEqual({ type: 'object', properties: { note: { type: 'string' } } });
    // Beside unevaluatedProperties, additionalProperties: true marks every property evaluated: kept.
    expect(t.input.properties?.strict).toMatchObject({
      additionalProperties: true,
      unevaluatedProperties: false,
    });
    expect(
      check(t.input, { tags: ['a', 'a'], meta: { note: '', other: 1 }, strict: { other: 1 } }).valid,
    ).toBe(true);
  });

  it('query arrays: exploded by default, comma-separated with explode: false (a wire hint for the gateway)', () => {
    const d = doc({
      '/search': {
        get: {
          operationId: 'search',
          parameters: [
            { name: 'tag', in: 'query', schema: { type: 'array', items: { type: 'string' } } },
            {
              name: 'ids',
              in: 'query',
              explode: false,
              schema: { type: 'array', items: { type: 'integer' } },
            },
            { name: 'filter', in: 'query', content: { 'application/json': { schema: { type: 'object' } } } },
          ],
        },
      },
    });
    const [op] = openApiTools('a', { outputSchemas: true, document: 'x' }, d).catalog.operations;
    expect(op!.tool.params).toEqual({ tag: 'query', ids: 'query', filter: 'query' });
    expect(op!.wire.commaSeparatedQuery).toEqual(['ids']);
  });

  it('a path hole without a declared parameter becomes a required string; JSON pointer escapes resolve', () => {
    const d = doc(
      {
        '/files/{name}': {
          get: { operationId: 'getFile', parameters: [{ $ref: '#/components/parameters/a~1b~0c' }] },
        },
      },
      { parameters: { 'a/b~c': { name: 'v', in: 'query', schema: { type: 'integer' } } } },
    );
    const t = openApiTools('a', { outputSchemas: true, document: 'x' }, d).tools[0]!;
    expect(t.params).toEqual({ v: 'query', name: 'path' });
    expect(t.input.required).toEqual(['name']);
  });

  it('operations without operationId get generated names when generateNames is on', () => {
    const d = doc({ '/items/{id}': { get: {}, delete: { operationId: 'drop item!' } } });
    const names = openApiTools('a', { outputSchemas: true, document: 'x', generateNames: true }, d).tools.map(
      (t) => t.name,
    );
    expect(names).toEqual(['get_items_by_id', 'drop_item']);
  });

  it('an action under an instance (POST /items/{id}/archive, no GET there) invalidates the instance and its list', () => {
    const d = doc({
      '/items/{id}': { get: { operationId: 'getItem' } },
      '/items/{id}/archive': { post: { operationId: 'archiveItem' } },
      '/items/{id}/comments': { get: { operationId: 'listComments' }, post: { operationId: 'addComment' } },
    });
    const tools = openApiTools('a', { outputSchemas: true, document: 'x' }, d).tools;
    expect(tools.find((t) => t.name === 'archiveItem')!.invalidates?.tags).toEqual(['items', 'item:{id}']);
    expect(tools.find((t) => t.name === 'listComments')!.cache?.tags).toEqual([
      'comments',
      'item:{id}:comments',
    ]);
    expect(tools.find((t) => t.name === 'addComment')!.invalidates?.tags).toEqual([
      'comments',
      'item:{id}:comments',
    ]);
  });
});

describe('expandOpenApi (what loadConfig will call)', () => {
  it('loads each upstream’s document relative to the config directory and appends its tools', async () => {
    const handWritten = set.tools.find((t) => t.name === 'getHealth')!;
    const expanded = await expandOpenApi(
      {
        upstreams: {
          plain: {},
          hw: {
            openapi: { outputSchemas: true, document: 'openapi/assignments.openapi.yaml', toolPrefix: 'hw_' },
          },
          compact: { openapi: { outputSchemas: true, document: samplePath, mode: 'compact' } },
        },
        tools: [handWritten],
      },
      { baseDir: join(repoRoot, 'examples') },
    );
    expect(expanded.tools).toHaveLength(9);
    expect(expanded.tools[0]).toBe(handWritten);
    expect(expanded.tools[1]).toMatchObject({ name: 'hw_getHealth', upstream: 'hw' });
    expect(Object.keys(expanded.sets)).toEqual(['hw', 'compact']);
    expect(expanded.sets.compact?.compact?.search.name).toBe('compact_search_operations');
  });

  it('a generated name that is already taken is a collision naming both places', async () => {
    const rejection = (p: Promise<unknown>) =>
      p.then(
        () => new Error('expected a rejection') as Error & { code?: string },
        (e: unknown) => e as Error & { code?: string },
      );
    const err = await rejection(
      expandOpenApi(
        {
          upstreams: { a: { openapi: { outputSchemas: true, document: samplePath } } },
          tools: [{ ...set.tools[0]! }],
        },
        { baseDir: '/' },
      ),
    );
    expect(err.code).toBe('OPENAPI_NAME_COLLISION');
    expect(err.message).toMatch(
      /upstreams\.a\.openapi makes a tool "getHealth", a name already used by tools\[\]/,
    );
    const missing = await rejection(
      expandOpenApi(
        { upstreams: { a: { openapi: { outputSchemas: true, document: 'nope.yaml' } } }, tools: [] },
        { baseDir: '/tmp' },
      ),
    );
    expect(missing.code).toBe('OPENAPI_DOCUMENT_INVALID');
  });
});

describe('titles and descriptions from summary and description', () => {
  const ok = { '200': { description: 'ok' } };
  const tools = (overrides: Parameters<typeof openApiTools>[1]['overrides'] = {}, titles = true) =>
    new Map(
      openApiTools(
        'a',
        { document: 'x', overrides, titles },
        doc({
          '/both': {
            get: { operationId: 'both', summary: ' Get both ', description: 'Details.', responses: ok },
          },
          '/summary': { get: { operationId: 'summaryOnly', summary: 'Only a summary', responses: ok } },
          '/same': {
            get: { operationId: 'same', summary: 'Said twice.', description: 'Said twice.\n', responses: ok },
          },
          '/old': {
            get: {
              operationId: 'old',
              summary: 'Old one',
              description: 'Gone soon.',
              deprecated: true,
              responses: ok,
            },
          },
        }),
      ).tools.map((t) => [t.name, t]),
    );

  it('with titles on, says the summary once: as the title, with the description holding the details', () => {
    const t = tools();
    expect(t.get('both')).toMatchObject({ title: 'Get both', description: 'Details.' });
    expect(t.get('old')).toMatchObject({ title: 'Old one', description: '(deprecated) Gone soon.' });
    expect(t.get('summaryOnly')!.title).toBeUndefined();
    expect(t.get('summaryOnly')!.description).toBe('Only a summary');
  });

  it('takes a description that only repeats the summary for none: no title then', () => {
    const same = tools().get('same')!;
    expect(same.title).toBeUndefined();
    expect(same.description).toBe('Said twice.');
  });

  it('with titles on, keeps the summary in the description when another title replaces it', () => {
    const both = tools({ both: { title: 'Both, from the config' } }).get('both')!;
    expect(both.title).toBe('Both, from the config');
    expect(both.description).toBe('Get both\n\nDetails.');
  });

  it('by default lists no summary title: the description alone, or the summary where it is all there is', () => {
    const t = tools({}, false);
    expect(t.get('both')!.title).toBeUndefined();
    expect(t.get('both')!.description).toBe('Details.');
    expect(t.get('old')).toMatchObject({ description: '(deprecated) Gone soon.' });
    expect(t.get('old')!.title).toBeUndefined();
    expect(t.get('summaryOnly')!.description).toBe('Only a summary');
    const titled = tools({ both: { title: 'Both, from the config' } }, false).get('both')!;
    expect(titled).toMatchObject({ title: 'Both, from the config', description: 'Details.' });
  });

  it('defaults titles to off in the openapi section', () => {
    expect(openapiSourceSchema.parse({ document: 'x' }).titles).toBe(false);
  });
});
