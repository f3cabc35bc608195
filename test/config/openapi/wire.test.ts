import { describe, expect, it } from 'vitest';
import { toolSchema } from '../../../src/config/index.js';
import { openApiTools, writtenParams } from '../../../src/config/openapi/index.js';
import { doc, thrown } from './helpers.js';

const ok = { '200': { description: 'ok' } };

describe('wire forms of generated tools', () => {
  it('the tool carries its wire form (what the gateway reads), and it round-trips through params object forms', () => {
    const set = openApiTools(
      'api',
      { document: 'x' },
      doc({
        '/items': {
          get: {
            operationId: 'list',
            parameters: [
              {
                name: 'ids',
                in: 'query',
                explode: false,
                schema: { type: 'array', items: { type: 'integer' } },
              },
              { name: 'tags', in: 'query', schema: { type: 'array', items: { type: 'string' } } },
              {
                name: 'where',
                in: 'query',
                content: { 'application/json': { schema: { type: 'object' } } },
              },
            ],
            responses: ok,
          },
          post: {
            operationId: 'bulk',
            requestBody: { content: { 'application/json': { schema: { type: 'array' } } } },
            responses: ok,
          },
          put: {
            operationId: 'plain',
            requestBody: {
              content: {
                'application/json': { schema: { type: 'object', properties: { a: { type: 'string' } } } },
              },
            },
            responses: ok,
          },
        },
      }),
    );
    const [list, bulk, plain] = ['list', 'bulk', 'plain'].map((id) => set.catalog.byId.get(id)!.tool);
    expect(list!.wire).toEqual({ commaSeparatedQuery: ['ids'], jsonEncoded: ['where'] });
    expect(bulk!.wire).toEqual({ bodyArgument: 'body', commaSeparatedQuery: [], jsonEncoded: [] });
    expect(plain!.wire).toBeUndefined(); // nothing beyond locations: no wire at all
    expect(set.catalog.byId.get('list')!.wire.jsonEncoded).toEqual(['where']);

    expect(writtenParams(list!, true)).toEqual({
      ids: { in: 'query', explode: false },
      where: { in: 'query', json: true },
    });
    for (const tool of [list!, bulk!, plain!]) {
      const { wire, ...rest } = tool;
      const parsed = toolSchema.parse({ ...rest, params: writtenParams(tool, true) });
      expect(parsed.wire).toEqual(wire);
      expect(parsed.params).toEqual(tool.params);
    }
  });

  it('a query array of objects has no form-style wire form: a clear error naming the operation', () => {
    const err = thrown(() =>
      openApiTools(
        'api',
        { document: 'x' },
        doc({
          '/items': {
            get: {
              operationId: 'list',
              parameters: [
                {
                  name: 'pairs',
                  in: 'query',
                  schema: { type: 'array', items: { type: 'object', properties: { k: { type: 'string' } } } },
                },
              ],
              responses: ok,
            },
          },
        }),
      ),
    );
    expect(err.code).toBe('OPENAPI_UNSUPPORTED_PARAMETER');
    expect(err.operation).toBe('list (GET /items)');
    expect(err.message).toMatch(
      /parameter "pairs" \(in query\) is an array of objects or arrays.*ignoreParameters/,
    );
  });

  it('the same array with JSON content is fine: it goes out as JSON text', () => {
    const set = openApiTools(
      'api',
      { document: 'x' },
      doc({
        '/items': {
          get: {
            operationId: 'list',
            parameters: [
              {
                name: 'pairs',
                in: 'query',
                content: { 'application/json': { schema: { type: 'array', items: { type: 'object' } } } },
              },
            ],
            responses: ok,
          },
        },
      }),
    );
    expect(set.tools[0]!.wire).toEqual({ commaSeparatedQuery: [], jsonEncoded: ['pairs'] });
  });
});
