import { describe, expect, it } from 'vitest';
import { openApiTools } from '../../../src/config/openapi/index.js';
import { doc, thrown } from './helpers.js';

const names = (d: ReturnType<typeof doc>, source: object = {}) =>
  openApiTools('api', { outputSchemas: true, document: 'x', ...source }, d).tools.map((t) => t.name);

describe('a missing operationId: the hint leaves out exactly that operation', () => {
  it('on a path with other operations it suggests the generated name, not exclude.paths', () => {
    const d = doc({
      '/items/{id}': {
        get: { operationId: 'getItem' },
        delete: { summary: 'no id' },
      },
    });
    const err = thrown(() => names(d));
    expect(err.code).toBe('OPENAPI_OPERATION_ID_MISSING');
    expect(err.operation).toBe('DELETE /items/{id}');
    expect(err.message).toBe(
      'operation DELETE /items/{id} has no operationId; add one to the document, or set ' +
        'openapi.generateNames: true to name it "delete_items_by_id" (to leave it out instead, also add ' +
        '"delete_items_by_id" to openapi.exclude.operationIds)',
    );
    // The advice works, and keeps the path's other operation; exclude.paths would have lost it.
    expect(names(d, { generateNames: true, exclude: { operationIds: ['delete_items_by_id'] } })).toEqual([
      'getItem',
    ]);
    expect(names(d, { generateNames: true })).toEqual(['getItem', 'delete_items_by_id']);
    expect(names(d, { exclude: { paths: ['/items/{id}'] } })).toEqual([]);
  });

  it("when it is its path's only operation, excluding the path is offered too (and works)", () => {
    const d = doc({
      '/items': { post: { summary: 'no id' } },
      '/other': { get: { operationId: 'getOther' } },
    });
    const err = thrown(() => names(d));
    expect(err.message).toMatch(
      /to name it "post_items" .*, or exclude its path \(openapi\.exclude\.paths: \["\/items"\]\)$/,
    );
    expect(names(d, { exclude: { paths: ['/items'] } })).toEqual(['getOther']);
  });

  it('a path containing "*" is not offered as a glob (it would match other paths)', () => {
    const d = doc({
      '/files/*': { get: { summary: 'no id' } },
      '/files/a': { get: { operationId: 'getA' } },
    });
    expect(thrown(() => names(d)).message).not.toMatch(/exclude\.paths/);
  });
});

describe('a $ref cycle says how to end it for what the refs stand for', () => {
  const cycle = (kind: string) => ({
    [kind]: { A: { $ref: `#/components/${kind}/B` }, B: { $ref: `#/components/${kind}/A` } },
  });
  const ok = { '200': { description: 'ok' } };

  it.each([
    [
      'schema',
      {
        get: {
          operationId: 'op',
          parameters: [{ name: 'q', in: 'query', schema: { $ref: '#/components/schemas/A' } }],
        },
      },
      cycle('schemas'),
      /give one of these schemas a body \(type, properties, …\) instead of a \$ref$/,
    ],
    [
      'parameter',
      { get: { operationId: 'op', parameters: [{ $ref: '#/components/parameters/A' }] } },
      cycle('parameters'),
      /make one of them the parameter itself \(name, in, schema\) instead of a \$ref$/,
    ],
    [
      'request body',
      { post: { operationId: 'op', requestBody: { $ref: '#/components/requestBodies/A' } } },
      cycle('requestBodies'),
      /make one of them the request body itself \(content\) instead of a \$ref$/,
    ],
    [
      'response',
      { get: { operationId: 'op', responses: { '200': { $ref: '#/components/responses/A' } } } },
      cycle('responses'),
      /make one of them the response itself \(description, content\) instead of a \$ref$/,
    ],
    [
      'media type',
      {
        post: {
          operationId: 'op',
          requestBody: { content: { 'application/json': { $ref: '#/components/x-media/A' } } },
          responses: ok,
        },
      },
      cycle('x-media'),
      /make one of them the media type itself \(schema\) instead of a \$ref$/,
    ],
  ])('%s', (_kind, item, components, fix) => {
    const err = thrown(() => names(doc({ '/p': item }, components)));
    expect(err.code).toBe('OPENAPI_REF_CYCLE');
    expect(err.message).toMatch(
      /^operation op \(\w+ \/p\): \$ref "#\/components\/[\w-]+\/A" only leads to other \$refs \(#\/components\/[\w-]+\/A → #\/components\/[\w-]+\/B → #\/components\/[\w-]+\/A\); /,
    );
    expect(err.message).toMatch(fix);
  });

  it('path item', () => {
    const err = thrown(() => names(doc({ '/p': { $ref: '#/components/pathItems/A' } }, cycle('pathItems'))));
    expect(err.code).toBe('OPENAPI_REF_CYCLE');
    expect(err.message).toMatch(
      /^path \/p: \$ref "#\/components\/pathItems\/A" only leads to other \$refs .*; make one of them the path item itself \(get, post, … operations\) instead of a \$ref$/,
    );
  });
});
