import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runInit } from '../../../src/cli/init-command.js';
import { loadConfig, parseConfig } from '../../../src/config/index.js';
import { loadOpenApiDocument, openApiTools } from '../../../src/config/openapi/index.js';
import { type AssignmentsUpstream, startAssignmentsUpstream } from '../../../src/demo/index.js';
import { type RunningGateway, startGateway } from '../../../src/mcp/index.js';
import { connectV2 } from '../../mcp/helpers/clients.js';
import { samplePath } from './helpers.js';

interface Result {
  isError?: boolean;
  structuredContent?: Record<string, unknown>;
  content: { type: string; text?: string }[];
  _meta?: Record<string, unknown>;
}

const dir = mkdtempSync(join(tmpdir(), 'conduit-openapi-gw-'));
let upstream: AssignmentsUpstream;
beforeAll(async () => {
  upstream = await startAssignmentsUpstream({ token: 'tok' });
});
afterAll(async () => {
  await upstream?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Serves a config over Streamable HTTP and hands a connected v2 client to `fn`. */
async function serve(
  config: Parameters<typeof startGateway>[0],
  fn: (call: (name: string, args: object) => Promise<Result>) => Promise<void>,
) {
  const gateway: RunningGateway = await startGateway(config, { transport: 'http', port: 0 });
  const client = await connectV2(gateway.url!, 'legacy');
  try {
    await fn(
      (name, args) =>
        client.callTool({ name, arguments: args as Record<string, unknown> }) as Promise<Result>,
    );
  } finally {
    await client.close();
    await gateway.close();
  }
}

describe('tools from the sample OpenAPI document, served by the gateway against the demo upstream', () => {
  it('query, path, header and body arguments reach the upstream; GETs cache; a PATCH invalidates', async () => {
    const set = openApiTools('assignments', { document: samplePath }, await loadOpenApiDocument(samplePath));
    const config = parseConfig(
      JSON.stringify({
        upstreams: { assignments: { baseUrl: upstream.url, auth: { type: 'bearer', token: 'tok' } } },
        tools: set.tools,
      }),
      { format: 'json', env: {} },
    );
    await serve(config, async (call) => {
      const page = await call('listAssignments', { page: 2, page_size: 3, status: 'todo' });
      expect(page.isError, JSON.stringify(page.content)).toBeFalsy();
      expect(page.structuredContent).toMatchObject({ page: 2, page_size: 3 });
      expect((page.structuredContent!.items as { status: string }[]).every((a) => a.status === 'todo')).toBe(
        true,
      );

      upstream.resetStats();
      const miss = await call('getAssignment', { id: 'a1' });
      expect(miss.structuredContent).toMatchObject({ id: 'a1', userId: 'u1' });
      const hit = await call('getAssignment', { id: 'a1' });
      expect(hit._meta?.['conduit/cache']).toMatchObject({ source: 'cache' });
      expect(upstream.stats().byRoute['GET /assignments/{id}']).toBe(1);

      const updated = await call('updateAssignment', { id: 'a1', title: 'From OpenAPI', status: 'done' });
      expect(updated.isError, JSON.stringify(updated.content)).toBeFalsy();
      expect(updated.structuredContent).toMatchObject({ id: 'a1', title: 'From OpenAPI', status: 'done' });
      const after = await call('getAssignment', { id: 'a1' });
      expect(after._meta?.['conduit/cache']).toMatchObject({ source: 'upstream' });
      expect(after.structuredContent).toMatchObject({ title: 'From OpenAPI' });

      const body = {
        userId: 'u2',
        title: 'Essay',
        dueDate: '2026-12-01',
      };
      const first = await call('createAssignment', { 'Idempotency-Key': 'k-1', ...body });
      expect(first.isError, JSON.stringify(first.content)).toBeFalsy();
      const again = await call('createAssignment', { 'Idempotency-Key': 'k-1', ...body });
      // The header reached the upstream: the replay returns the same assignment.
      expect(again.structuredContent?.id).toBe(first.structuredContent?.id);

      const mine = await call('createUserAssignment', { userId: 'u3', title: 'Map' });
      expect(mine.structuredContent).toMatchObject({ userId: 'u3', title: 'Map' });

      const invalid = await call('updateAssignment', { id: 'a1', status: 'later' });
      expect(invalid.isError).toBe(true);
    });
  });

  it('the config conduit init writes loads and serves', async () => {
    const out = join(dir, 'conduit.yaml');
    const quiet = { stdout: () => {}, stderr: () => {}, env: {} };
    expect(await runInit(['--openapi', samplePath, '--out', out, '--base-url', upstream.url], quiet)).toBe(0);
    const config = await loadConfig(out, { env: {} });
    config.upstreams.assignments!.auth = { type: 'bearer', token: 'tok' };
    await serve(config, async (call) => {
      upstream.resetStats();
      const a = await call('getAssignment', { id: 'a2' });
      expect(a.structuredContent).toMatchObject({ id: 'a2' });
      await call('getAssignment', { id: 'a2' });
      expect(upstream.stats().byRoute['GET /assignments/{id}']).toBe(1);
      const u = await call('updateAssignment', { id: 'a2', title: 'Renamed' });
      expect(u.isError, JSON.stringify(u.content)).toBeFalsy();
      const b = await call('getAssignment', { id: 'a2' });
      expect(b.structuredContent).toMatchObject({ title: 'Renamed' });
      expect(upstream.stats().byRoute['GET /assignments/{id}']).toBe(2);
    });
  });
});

describe("a document's path parameters, filled by tool arguments, stay one segment under the base path", () => {
  it('"../admin", "%2e%2e", "a/b?c#d" are encoded into their segment; ".." and "." are refused before any request', async () => {
    const seen: string[] = [];
    const server = createServer((req, res) => {
      seen.push(req.url ?? '');
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const file = join(dir, 'segments.openapi.json');
    writeFileSync(
      file,
      JSON.stringify({
        openapi: '3.1.0',
        info: { title: 'segments', version: '1' },
        paths: {
          '/items/{id}': { get: { operationId: 'getItem', responses: { '200': { description: 'ok' } } } },
          '/files/{dir}{name}': {
            get: { operationId: 'getFile', responses: { '200': { description: 'ok' } } },
          },
        },
      }),
    );
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;
    const config = await loadConfig(
      writeConfig({ api: { baseUrl: base, openapi: { document: file, cache: false } } }),
      {
        env: {},
      },
    );
    try {
      await serve(config, async (call) => {
        for (const id of ['../admin', '%2e%2e', 'a/b?c#d', '..%2F..'])
          expect((await call('getItem', { id })).isError, id).toBeFalsy();
        expect((await call('getFile', { dir: '.a', name: '/..' })).isError).toBeFalsy();
        for (const id of ['..', '.']) expect((await call('getItem', { id })).isError, id).toBe(true);
        expect((await call('getFile', { dir: '..', name: 'x' })).isError).toBe(true);
      });
    } finally {
      server.close();
    }
    expect(seen).toEqual([
      '/api/v1/items/..%2Fadmin',
      '/api/v1/items/%252e%252e',
      '/api/v1/items/a%2Fb%3Fc%23d',
      '/api/v1/items/..%252F..',
      '/api/v1/files/.a%2F..',
    ]);
  });
});

/** A config file in `dir` with these upstreams. */
function writeConfig(upstreams: Record<string, unknown>): string {
  const path = join(mkdtempSync(join(dir, 'config-')), 'conduit.json');
  writeFileSync(path, JSON.stringify({ upstreams }));
  return path;
}
