import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
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
) {
  const file = join(dir, `conduit-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(
    file,
    `upstreams:\n  assignments:\n    baseUrl: ${upstream.url}\n    auth: { type: bearer, token: tok }\n    openapi:\n${openapi}`,
  );
  const config = await loadConfig(file, { env: {} });
  const gateway = await startGateway(config, { transport: 'http', port: 0 });
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
});
