import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { toolSchema } from '../../../src/config/index.js';
import {
  OpenApiError,
  openApiTools,
  parseOpenApiDocument,
  resolveInvocation,
  searchOperations,
  UnknownOperationError,
  InvalidOperationArgumentsError,
  OperationSchemaError,
  writtenParams,
} from '../../../src/config/openapi/index.js';
import { InputValidator } from '../../../src/mcp/index.js';

const NAMES = ['S0', 'S1', 'S2', 'S3', 'a~1b', 'missing'];
const ref = fc.constantFrom(...NAMES).map((n) => ({ $ref: `#/components/schemas/${n}` }));
const oddRef = fc.constantFrom(
  '#/components',
  '#nope',
  '#/paths',
  './x.yaml#/a',
  'http://x/y',
  '#/components/schemas/S0/properties/p0',
  '',
);

/** Schemas with refs among a few components (some missing, some cyclic), 3.0 and 3.1 keywords mixed. */
const schema: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  node: fc.oneof(
    { maxDepth: 4, depthSize: 'small' },
    fc.constantFrom(
      { type: 'string' },
      { type: 'integer', minimum: 1, exclusiveMinimum: true },
      { type: ['number', 'null'] },
      true,
      false,
      {},
    ),
    fc.record(
      {
        type: fc.constantFrom('string', 'integer'),
        nullable: fc.boolean(),
        enum: fc.array(fc.string(), { maxLength: 2 }),
      },
      { requiredKeys: ['type'] },
    ),
    ref,
    oddRef.map(($ref) => ({ $ref })),
    fc.record(
      {
        type: fc.constant('object'),
        properties: fc.dictionary(fc.constantFrom('p0', 'p1', 'id', 'body', 'readOnlyOne'), tie('node'), {
          maxKeys: 3,
        }),
        required: fc.array(fc.constantFrom('p0', 'id', 'x'), { maxLength: 2 }),
        additionalProperties: fc.oneof(fc.boolean(), tie('node')),
      },
      { requiredKeys: ['type'] },
    ),
    fc.record({ type: fc.constant('array'), items: tie('node') }),
    fc.record({ allOf: fc.array(tie('node'), { maxLength: 3 }) }),
    fc.record({ oneOf: fc.array(tie('node'), { maxLength: 2 }) }),
    fc
      .jsonValue({ maxDepth: 2 })
      .map((v) => (typeof v === 'object' && v !== null && !Array.isArray(v) ? v : { const: v })),
  ),
})).node;

const parameter = fc.record(
  {
    name: fc.constantFrom('id', 'q', 'page', 'X-Key', 'Accept', 'p0'),
    in: fc.oneof(
      { weight: 10, arbitrary: fc.constantFrom('path', 'query', 'header') },
      { weight: 1, arbitrary: fc.constantFrom('cookie', 'body', 7) },
    ),
    required: fc.boolean(),
    style: fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom('form', 'simple') },
      { weight: 1, arbitrary: fc.constantFrom('deepObject', 'matrix', 'label', 'pipeDelimited') },
    ),
    explode: fc.boolean(),
    schema,
    content: fc.dictionary(fc.constantFrom('application/json', 'text/plain'), fc.record({ schema })),
  },
  { requiredKeys: ['name', 'in'] },
);

/** Mostly the well-formed thing, now and then junk of any JSON shape. */
const mostly = <T>(good: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 15, arbitrary: good }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 1 }) });

const jsonBody = fc.record({
  required: fc.boolean(),
  content: fc.dictionary(
    fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom('application/json', 'application/x+json') },
      { weight: 1, arbitrary: fc.constant('multipart/form-data') },
    ),
    fc.record({ schema }),
    { minKeys: 1, maxKeys: 2 },
  ),
});

const operation = fc.record(
  {
    operationId: fc.oneof(
      { weight: 8, arbitrary: fc.constantFrom('op', 'getItem', 'get item', 'get/item', '!!', 'list', 'x') },
      { weight: 2, arbitrary: fc.string({ maxLength: 12 }) },
    ),
    summary: fc.string({ maxLength: 20 }),
    tags: fc.array(fc.constantFrom('a', 'b'), { maxLength: 2 }),
    parameters: mostly(
      fc.array(fc.oneof(parameter, fc.constant({ $ref: '#/components/parameters/P' })), { maxLength: 3 }),
    ),
    requestBody: mostly(fc.oneof(jsonBody, fc.constant({ $ref: '#/components/requestBodies/B' }))),
    responses: fc.dictionary(
      fc.constantFrom('200', '201', '2XX', 'default', '404'),
      mostly(fc.record({ content: fc.record({ 'application/json': fc.record({ schema }) }) })),
      { maxKeys: 2 },
    ),
    deprecated: fc.boolean(),
  },
  { requiredKeys: ['operationId'] },
);

const pathItem = fc.dictionary(
  fc.constantFrom('get', 'post', 'put', 'patch', 'delete', 'head', 'options'),
  mostly(operation),
  { minKeys: 1, maxKeys: 3 },
);

const document = fc.record({
  openapi: fc.constantFrom('3.0.3', '3.1.0'),
  info: fc.constant({ title: 't', version: '1' }),
  paths: fc.dictionary(
    fc.oneof(
      {
        weight: 20,
        arbitrary: fc.constantFrom(
          '/items',
          '/items/{id}',
          '/items/{id}/sub',
          '/{x}',
          '/a/{id}/{q}',
          '/users/{id}/items',
        ),
      },
      { weight: 1, arbitrary: fc.constant('nope') },
    ),
    pathItem,
    { minKeys: 1, maxKeys: 4 },
  ),
  components: fc.record({
    schemas: fc.record(
      { S0: schema, S1: schema, S2: schema, S3: schema, 'a/b': schema },
      { requiredKeys: [] },
    ),
    parameters: fc.record({ P: parameter }, { requiredKeys: [] }),
    requestBodies: fc.record({ B: jsonBody }, { requiredKeys: [] }),
  }),
});

const source = fc.record({
  document: fc.constant('x'),
  mode: fc.constantFrom('tools', 'compact'),
  generateNames: fc.boolean(),
  include: fc.option(
    fc.record({
      tags: fc.array(fc.constantFrom('a', 'b')),
      paths: fc.array(fc.constantFrom('/items*', '/*')),
    }),
    { nil: undefined, freq: 4 },
  ),
});

const validator = new InputValidator();

describe('properties', () => {
  it('random documents give tools that fit the config schema, or a typed OpenApiError — never anything else', () => {
    fc.assert(
      fc.property(document, source, fc.string({ maxLength: 10 }), (doc, src, query) => {
        let parsed: ReturnType<typeof parseOpenApiDocument>;
        try {
          parsed = parseOpenApiDocument(stringify(doc, { aliasDuplicateObjects: false }));
        } catch (err) {
          // A key such as "__proto__" is refused as the document is read.
          expect(err).toBeInstanceOf(OpenApiError);
          return;
        }
        try {
          openApiTools('api', src, parsed);
        } catch (err) {
          expect(err).toBeInstanceOf(OpenApiError);
        }
        // Leniently (as conduit init does), to check the tools of the operations that do convert.
        let set: ReturnType<typeof openApiTools>;
        try {
          set = openApiTools('api', src, parsed, { onSkip: (e) => expect(e).toBeInstanceOf(OpenApiError) });
        } catch (err) {
          expect(err).toBeInstanceOf(OpenApiError); // document-level problems still throw
          return;
        }
        for (const op of set.catalog.operations) {
          // `wire` is the parsed form of params' object forms: write those, parse, get the same back.
          // Form bodies and deepObject queries have no `params` form (init writes an openapi section
          // for them), so only the rest round-trips through a written tool.
          const { wire, ...written } = op.tool;
          if (wire?.bodyEncoding !== undefined || (wire?.deepObjectQuery?.length ?? 0) > 0) continue;
          const result = toolSchema.safeParse({ ...written, params: writtenParams(op.tool) });
          expect(result.success, JSON.stringify(result.error?.issues)).toBe(true);
          expect(result.data?.wire).toEqual(wire);
          expect(result.data?.params).toEqual(op.tool.params);
          expect(() => JSON.stringify(op.tool)).not.toThrow(); // no cycles
        }
        expect(set.tools.length + (set.compact ? set.catalog.operations.length : 0)).toBe(
          set.catalog.operations.length,
        );
        // Compact functions on whatever came out: typed errors only.
        searchOperations(set.catalog, query, 5);
        const id = set.catalog.operations[0]?.operationId ?? query;
        try {
          resolveInvocation(set.catalog, id, { id: query }, validator);
        } catch (err) {
          const typed =
            err instanceof UnknownOperationError ||
            err instanceof InvalidOperationArgumentsError ||
            err instanceof OperationSchemaError;
          expect(typed, String(err)).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('garbage text never throws anything but OpenApiError', () => {
    const text = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
      fc
        .array(
          fc.constantFrom(
            'openapi: 3.1.0\n',
            'paths:\n',
            '  /a:\n',
            '    get: {}\n',
            '&a [*a]\n',
            '- ',
            '{',
            '"',
            ': ',
            '\t',
            '*x\n',
            '!!binary x\n',
            '%YAML 1.2\n---\n',
          ),
          { maxLength: 12 },
        )
        .map((p) => p.join('')),
    );
    fc.assert(
      fc.property(text, fc.constantFrom('yaml', 'json') as fc.Arbitrary<'yaml' | 'json'>, (t, format) => {
        try {
          const d = parseOpenApiDocument(t, { format });
          openApiTools('api', { document: 'x', generateNames: true }, d);
        } catch (err) {
          expect(err).toBeInstanceOf(OpenApiError);
        }
      }),
      { numRuns: 300 },
    );
  });
});
