import { beforeAll, describe, expect, it } from 'vitest';
import {
  InvalidOperationArgumentsError,
  loadOpenApiDocument,
  type OpenApiToolSet,
  openApiTools,
  resolveInvocation,
  searchOperations,
  UnknownOperationError,
} from '../../../src/config/openapi/index.js';
import { InputValidator } from '../../../src/mcp/index.js';
import { doc, samplePath, thrown } from './helpers.js';

let set: OpenApiToolSet;
const validator = new InputValidator();

beforeAll(async () => {
  set = openApiTools(
    'assignments',
    { document: samplePath, mode: 'compact' },
    await loadOpenApiDocument(samplePath),
  );
});

describe('compact mode', () => {
  it('yields no per-operation tools, a catalog, and the search and invoke tool definitions', () => {
    expect(set.mode).toBe('compact');
    expect(set.tools).toEqual([]);
    expect(set.catalog.operations).toHaveLength(8);
    expect(set.compact?.search.name).toBe('assignments_search_operations');
    expect(set.compact?.invoke.name).toBe('assignments_invoke_operation');
    expect(set.compact?.invoke.input).toMatchObject({
      required: ['operationId'],
      properties: { operationId: { enum: set.catalog.operations.map((o) => o.operationId) } },
    });
    // Both definitions are valid JSON Schemas the gateway's validator compiles.
    const search = validator.getValidator(set.compact!.search.input as never);
    expect(search({ query: 'list' }).valid).toBe(true);
    expect(search({}).valid).toBe(false);
  });

  it('search ranks by operationId words, then path/summary/tags, then description and argument names', () => {
    const ids = (q: string, limit?: number) =>
      searchOperations(set.catalog, q, limit).map((m) => m.operationId);
    expect(ids('list assignments')[0]).toBe('listAssignments');
    expect(ids('list assignments')).toContain('listUserAssignments');
    // Operation ids first; createAssignment matches only by its userId argument, so it comes last.
    expect(ids('user')).toEqual(['listUserAssignments', 'createUserAssignment', 'createAssignment']);
    expect(ids('health')).toEqual(['getHealth']);
    expect(ids('Idempotency')).toEqual(['createAssignment']);
    expect(ids('zebra')).toEqual([]);
    expect(ids('', 3)).toEqual(['getHealth', 'listAssignments', 'createAssignment']);
    expect(ids('assignment', 2)).toHaveLength(2);
    expect(ids('assignment', 0)).toHaveLength(1);
  });

  it('a match carries what a model needs to invoke it', () => {
    const [m] = searchOperations(set.catalog, 'updateAssignment', 1);
    expect(m).toMatchObject({ operationId: 'updateAssignment', method: 'PATCH', path: '/assignments/{id}' });
    expect(m!.summary).toMatch(/Change an assignment/);
    expect(m!.inputSchema).toMatchObject({ required: ['id'], properties: { id: { type: 'string' } } });
  });

  it('resolveInvocation returns the operation’s tool config and the validated arguments', () => {
    const r = resolveInvocation(set.catalog, 'updateAssignment', { id: 'a1', status: 'done' }, validator);
    expect(r.tool).toMatchObject({ method: 'PATCH', path: '/assignments/{id}', upstream: 'assignments' });
    expect(r.tool.invalidates?.tags).toContain('assignment:{id}');
    expect(r.args).toEqual({ id: 'a1', status: 'done' });
    expect(resolveInvocation(set.catalog, 'getHealth', undefined, validator).args).toEqual({});
  });

  it('invalid arguments are a typed error naming the fields; without a validator they pass through', () => {
    const err = thrown(() =>
      resolveInvocation(set.catalog, 'updateAssignment', { status: 'later' }, validator),
    );
    expect(err).toBeInstanceOf(InvalidOperationArgumentsError);
    expect(err.code).toBe('OPENAPI_INVALID_ARGUMENTS');
    expect(err.message).toMatch(/invalid arguments for updateAssignment: .*"id" is required/);
    expect(err.message).toMatch(/"status" must be one of/);
    expect(thrown(() => resolveInvocation(set.catalog, 'getHealth', [1], validator)).code).toBe(
      'OPENAPI_INVALID_ARGUMENTS',
    );
    expect(resolveInvocation(set.catalog, 'updateAssignment', { status: 'later' }).args).toEqual({
      status: 'later',
    });
  });

  it('an unknown operation is a typed error with a "did you mean"', () => {
    const err = thrown(() => resolveInvocation(set.catalog, 'getAssignmnet', {}, validator));
    expect(err).toBeInstanceOf(UnknownOperationError);
    expect(err.code).toBe('OPENAPI_UNKNOWN_OPERATION');
    expect(err.message).toMatch(/no operation "getAssignmnet" \(did you mean "getAssignment"\?\)/);
    expect(thrown(() => resolveInvocation(set.catalog, 42, {})).code).toBe('OPENAPI_UNKNOWN_OPERATION');
  });

  it('large catalogs do not list every id in the invoke schema', () => {
    const paths: Record<string, unknown> = {};
    for (let i = 0; i < 40; i++)
      paths[`/r${i}`] = { get: { operationId: `get${i}`, summary: `resource ${i}` } };
    const big = openApiTools('big', { document: 'x', mode: 'compact', toolPrefix: 'x_' }, doc(paths));
    expect(big.compact?.invoke.name).toBe('x_big_invoke_operation');
    expect((big.compact!.invoke.input.properties as Record<string, object>).operationId).not.toHaveProperty(
      'enum',
    );
    expect(searchOperations(big.catalog, 'resource', 100)).toHaveLength(40);
  });
});
