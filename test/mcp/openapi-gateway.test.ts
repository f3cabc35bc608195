import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { createRecordingLogger, type Logger, noopLogger } from '../../src/core/index.js';
import { type AssignmentsUpstream, startAssignmentsUpstream } from '../../src/demo/index.js';
import { startGateway } from '../../src/mcp/index.js';
import { connectV2 } from './helpers/clients.js';

interface Result {
  isError?: boolean;
  structuredContent?: Record<string, unknown>;
  content: { type: string; text?: string }[];
  _meta?: Record<string, unknown>;
}

const SPEC = new URL('../../examples/openapi/assignments.openapi.yaml', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'conduit-openapi-section-'));
let upstream: AssignmentsUpstream;
beforeAll(async () => {
  upstream = await startAssignmentsUpstream({ token: 'tok' });
});
afterAll(async () => {
  await upstream?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Writes a config with an `openapi:` upstream section, loads it as `conduit serve` does, serves it. */
async function serveSection(
  openapi: string,
  fn: (call: (n: string, a: object) => Promise<Result>, tools: string[]) => Promise<void>,
  env: Record<string, string> = {},
  logger: Logger = noopLogger,
  more = '',
) {
  const file = join(dir, `conduit-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(
    file,
    `upstreams:\n  assignments:\n    baseUrl: ${upstream.url}\n    auth: { type: bearer, token: tok }\n    openapi:\n${openapi}${more}`,
  );
  const config = await loadConfig(file, { env });
  const gateway = await startGateway(config, { transport: 'http', port: 0, logger });
  const client = await connectV2(gateway.url!, 'legacy');
  try {
    const { tools } = await client.listTools();
    await fn(
      (name, args) =>
        client.callTool({ name, arguments: args as Record<string, unknown> }) as Promise<Result>,
      tools.map((t) => t.name),
    );
  } finally {
    await client.close();
    await gateway.close();
  }
}

describe('an upstream with an openapi section, loaded by loadConfig and served', () => {
  it('tools mode: each selected operation is a tool that reaches the upstream', async () => {
    await serveSection(
      `      document: ${SPEC}\n      include: { operationIds: [getAssignment, listAssignments] }\n`,
      async (call, tools) => {
        expect(tools.sort()).toEqual(['getAssignment', 'listAssignments']);
        const got = await call('getAssignment', { id: 'a2' });
        expect(got.isError, JSON.stringify(got.content)).toBeFalsy();
        expect(got.structuredContent).toMatchObject({ id: 'a2' });
      },
    );
  });

  it('compact mode: two tools; search finds an operation, invoke runs it through the resilient path', async () => {
    await serveSection(`      document: ${SPEC}\n      mode: compact\n`, async (call, tools) => {
      expect(tools.sort()).toEqual(['assignments_invoke_operation', 'assignments_search_operations']);

      const found = await call('assignments_search_operations', { query: 'get assignment' });
      expect(found.isError).toBeFalsy();
      const ops = found.structuredContent!.operations as { operationId: string; inputSchema: unknown }[];
      expect(ops.map((o) => o.operationId)).toContain('getAssignment');
      expect(ops.find((o) => o.operationId === 'getAssignment')!.inputSchema).toMatchObject({
        type: 'object',
      });

      upstream.resetStats();
      const first = await call('assignments_invoke_operation', {
        operationId: 'getAssignment',
        arguments: { id: 'a1' },
      });
      expect(first.isError, JSON.stringify(first.content)).toBeFalsy();
      expect(first.structuredContent).toMatchObject({ id: 'a1' });
      // GET operations are cached by default: the second invoke does not reach the upstream.
      const second = await call('assignments_invoke_operation', {
        operationId: 'getAssignment',
        arguments: { id: 'a1' },
      });
      expect(second._meta?.['conduit/cache']).toMatchObject({ source: 'cache' });
      expect(upstream.stats().byRoute['GET /assignments/{id}']).toBe(1);

      const unknown = await call('assignments_invoke_operation', {
        operationId: 'getAssignmnt',
        arguments: {},
      });
      expect(unknown.isError).toBe(true);
      expect(unknown.content[0]!.text).toContain('getAssignment');

      const invalid = await call('assignments_invoke_operation', {
        operationId: 'getAssignment',
        arguments: { id: 42 },
      });
      expect(invalid.isError).toBe(true);
      expect(invalid.content[0]!.text).toMatch(/id/);
      expect(upstream.stats().byRoute['GET /assignments/{id}']).toBe(1);
    });
  });

  it('compact mode: invoking an operation the section leaves out answers why, not "no such operation"', async () => {
    await serveSection(
      `      document: ${SPEC}\n      mode: compact\n      exclude: { operationIds: [deleteAssignment] }\n`,
      async (call) => {
        upstream.resetStats();
        const left = await call('assignments_invoke_operation', {
          operationId: 'deleteAssignment',
          arguments: { id: 'a1' },
        });
        expect(left.isError).toBe(true);
        expect(left._meta?.['conduit/error']).toMatchObject({ code: 'OPENAPI_UNKNOWN_OPERATION' });
        expect(left.content[0]!.text).toMatch(
          /does not serve operation "deleteAssignment": it is not selected by upstreams\.assignments\.openapi\.include\/exclude/,
        );
        expect(upstream.stats().byRoute['DELETE /assignments/{id}']).toBeUndefined();
      },
    );
  });

  it('compact mode: invoke names no operation the policy hides from the caller, nor why one is left out', async () => {
    const policy =
      'policy:\n  default: allow\n  rules:\n    - { tools: [getAssignment, deleteAssignment], effect: deny }\n';
    await serveSection(
      `      document: ${SPEC}\n      mode: compact\n      exclude: { operationIds: [deleteAssignment] }\n`,
      async (call) => {
        const found = await call('assignments_search_operations', { query: 'assignment' });
        const ids = (found.structuredContent!.operations as { operationId: string }[]).map(
          (o) => o.operationId,
        );
        expect(ids).not.toContain('getAssignment');
        // A misspelt id: the closest operation is one the caller may not invoke, so none is named.
        const misspelt = await call('assignments_invoke_operation', {
          operationId: 'getAssignmnt',
          arguments: {},
        });
        expect(misspelt._meta?.['conduit/error']).toEqual({ code: 'OPENAPI_UNKNOWN_OPERATION' });
        expect(misspelt.content[0]!.text).not.toContain('getAssignment');
        // Left out and hidden: unknown, as a name no operation has, not why it is left out.
        const hidden = await call('assignments_invoke_operation', {
          operationId: 'deleteAssignment',
          arguments: { id: 'a1' },
        });
        expect(hidden._meta?.['conduit/error']).toEqual({ code: 'OPENAPI_UNKNOWN_OPERATION' });
        expect(hidden.content[0]!.text).toMatch(/has no operation "deleteAssignment"/);
        expect(hidden.content[0]!.text).not.toMatch(/not selected/);
        // What the caller may invoke is still suggested.
        const near = await call('assignments_invoke_operation', {
          operationId: 'listAssignmnts',
          arguments: {},
        });
        expect(near.content[0]!.text).toContain('did you mean "listAssignments"');
      },
      {},
      noopLogger,
      policy,
    );
  });
});

/**
 * A document with operations tools mode cannot serve: a cookie parameter, a text/plain body, a cache
 * key override naming a non-argument; and one left out by `exclude`.
 */
function partlyServedDocument(): string {
  const id = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
  return JSON.stringify({
    openapi: '3.0.3',
    info: { title: 'Assignments', version: '1' },
    paths: {
      '/assignments': {
        get: { operationId: 'listAssignments', responses: { '200': { description: 'ok' } } },
        post: {
          operationId: 'createAssignment',
          requestBody: { content: { 'text/plain': { schema: { type: 'string' } } } },
          responses: { '201': { description: 'created' } },
        },
      },
      '/assignments/{id}': {
        get: {
          operationId: 'getAssignment',
          parameters: [id, { name: 'session', in: 'cookie', schema: { type: 'string' } }],
          responses: { '200': { description: 'ok' } },
        },
        patch: {
          operationId: 'updateAssignment',
          parameters: [id],
          responses: { '200': { description: 'ok' } },
        },
        delete: {
          operationId: 'deleteAssignment',
          parameters: [id],
          responses: { '204': { description: 'gone' } },
        },
      },
    },
  });
}

describe('tools mode: a call to the tool of an operation that is not served', () => {
  const spec = join(dir, 'partly-served.openapi.json');
  const section =
    `      document: ${spec}\n      skipUnsupported: true\n` +
    '      exclude: { operationIds: [deleteAssignment] }\n' +
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the config's own ${ENV} syntax
    '      overrides:\n        updateAssignment: { invalidates: { keys: ["${TENANT_KEY}:{nope}"] } }\n';
  const env = { TENANT_KEY: 'tenant-7f3a9c-private' };

  it('answers a typed tool error naming the operation, why it is left out and how to fix it', async () => {
    writeFileSync(spec, partlyServedDocument());
    await serveSection(
      section,
      async (call, tools) => {
        // Left out of tools/list all the same.
        expect(tools).toEqual(['listAssignments']);
        upstream.resetStats();
        const cookie = await call('getAssignment', { id: 'a1' });
        expect(cookie.isError).toBe(true);
        expect(cookie._meta?.['conduit/error']).toEqual({ code: 'OPENAPI_UNKNOWN_OPERATION' });
        expect(cookie.content[0]!.text).toMatch(/does not serve operation "getAssignment"/);
        expect(cookie.content[0]!.text).toMatch(/parameter "session" \(in cookie\)/);
        expect(cookie.content[0]!.text).toMatch(/openapi\.overrides\.getAssignment\.ignoreParameters/);

        const body = await call('createAssignment', {});
        expect(body._meta?.['conduit/error']).toEqual({ code: 'OPENAPI_UNKNOWN_OPERATION' });
        expect(body.content[0]!.text).toMatch(
          /createAssignment \(POST \/assignments\): request body is text\/plain/,
        );

        const excluded = await call('deleteAssignment', { id: 'a1' });
        expect(excluded._meta?.['conduit/error']).toEqual({ code: 'OPENAPI_UNKNOWN_OPERATION' });
        expect(excluded.content[0]!.text).toMatch(
          /does not serve operation "deleteAssignment": it is not selected by upstreams\.assignments\.openapi\.include\/exclude/,
        );
        expect(upstream.stats().byRoute).toEqual({});
      },
      env,
    );
  });

  it('never repeats a value from the environment in the reason (nor compact mode, nor the start-up log)', async () => {
    writeFileSync(spec, partlyServedDocument());
    const logger = createRecordingLogger();
    await serveSection(
      section,
      async (call) => {
        const left = await call('updateAssignment', { id: 'a1' });
        expect(left._meta?.['conduit/error']).toEqual({ code: 'OPENAPI_UNKNOWN_OPERATION' });
        expect(left.content[0]!.text).toMatch(/uses \{nope\}, which is not an argument of the tool/);
        expect(left.content[0]!.text).not.toContain(env.TENANT_KEY);
      },
      env,
      logger,
    );
    const logged = logger.records.filter((r) => r.msg === 'openapi operation left out');
    expect(logged.map((r) => r.operation)).toContain('updateAssignment (PATCH /assignments/{id})');
    expect(JSON.stringify(logged)).not.toContain(env.TENANT_KEY);
    await serveSection(
      `${section}      mode: compact\n`,
      async (call) => {
        const left = await call('assignments_invoke_operation', {
          operationId: 'updateAssignment',
          arguments: { id: 'a1' },
        });
        expect(left._meta?.['conduit/error']).toEqual({ code: 'OPENAPI_UNKNOWN_OPERATION' });
        expect(left.content[0]!.text).toMatch(/uses \{nope\}, which is not an argument of the tool/);
        expect(left.content[0]!.text).not.toContain(env.TENANT_KEY);
      },
      env,
    );
  });

  it('still answers "not found" for a name no operation has, with the closest tool', async () => {
    writeFileSync(spec, partlyServedDocument());
    await serveSection(
      section,
      async (call) => {
        await expect(call('listAssignmnts', {})).rejects.toThrow(
          /Tool listAssignmnts not found \(did you mean "listAssignments"\?\)/,
        );
        await expect(call('frobnicate', {})).rejects.toThrow(/Tool frobnicate not found/);
      },
      env,
    );
  });

  it('answers "not found", naming no tool, where the policy does not let the caller call it', async () => {
    writeFileSync(spec, partlyServedDocument());
    const policy =
      'policy:\n  default: allow\n  rules:\n    - { tools: [getAssignment, listAssignments], effect: deny }\n';
    await serveSection(
      section,
      async (call, tools) => {
        expect(tools).toEqual([]);
        await expect(call('getAssignment', { id: 'a1' })).rejects.toThrow(/^Tool getAssignment not found$/);
        await expect(call('listAssignmnts', {})).rejects.toThrow(/^Tool listAssignmnts not found$/);
        // What the policy lets through is still told why.
        const body = await call('createAssignment', {});
        expect(body._meta?.['conduit/error']).toEqual({ code: 'OPENAPI_UNKNOWN_OPERATION' });
      },
      env,
      noopLogger,
      policy,
    );
  });
});
