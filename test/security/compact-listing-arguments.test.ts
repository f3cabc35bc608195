import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, parseConfig } from '../../src/config/index.js';
import { startGateway } from '../../src/mcp/index.js';
import { connectV1, connectV2, textOf } from '../mcp/helpers/clients.js';
import { startWireUpstream, type WireUpstream } from '../mcp/helpers/wire-upstream.js';

// Compact listing (the default) leaves `additionalProperties: false` out of tools/list. A client that
// reads the listed schema as open sends what it likes: every such argument must still be refused,
// with nothing sent upstream, on every path an argument takes to the wire.

interface Result {
  isError?: boolean;
  content: { type: string; text?: string }[];
}
type Call = (name: string, args: Record<string, unknown>) => Promise<Result>;

const dir = mkdtempSync(join(tmpdir(), 'conduit-compact-args-'));
let upstream: WireUpstream;
beforeAll(async () => {
  upstream = await startWireUpstream();
});
afterAll(async () => {
  await upstream?.close();
  rmSync(dir, { recursive: true, force: true });
});

const SPEC = `openapi: 3.1.0
info: { title: Bodies, version: "1" }
paths:
  /forms:
    post:
      operationId: sendForm
      requestBody:
        content:
          application/x-www-form-urlencoded:
            schema: { type: object, properties: { name: { type: string } }, additionalProperties: true }
      responses: { "200": { description: ok } }
  /uploads:
    post:
      operationId: upload
      requestBody:
        content:
          multipart/form-data:
            schema:
              type: object
              properties: { title: { type: string }, file: { type: string, format: binary } }
              additionalProperties: true
      responses: { "200": { description: ok } }
  /json:
    post:
      operationId: sendJson
      requestBody:
        content:
          application/json:
            schema: { type: object, properties: { name: { type: string } }, additionalProperties: true }
      responses: { "200": { description: ok } }
`;

function configFile(mode: 'tools' | 'compact'): string {
  const doc = join(dir, 'bodies.openapi.yaml');
  writeFileSync(doc, SPEC);
  const file = join(dir, `${mode}.yaml`);
  writeFileSync(
    file,
    `upstreams:
  api:
    baseUrl: ${upstream.url}
    openapi: { document: ${doc}, mode: ${mode} }
`,
  );
  return file;
}

const configured = () =>
  parseConfig(`
upstreams:
  api: { baseUrl: ${upstream.url} }
tools:
  - name: paged
    upstream: api
    path: /pages
    input: { type: object, properties: { q: { type: string } } }
    pagination: { style: cursor, cursorParam: after, nextCursor: next }
  - name: delete_item
    upstream: api
    method: DELETE
    path: /items/{id}
    input: { type: object, properties: { id: { type: string } }, required: [id] }
    confirm: true
  - name: pinned
    upstream: api
    path: /pinned
    input: { type: object, properties: { q: { type: string }, tenant: { type: string } } }
    fixed: { tenant: acme }
`);

const connects = [
  ['v2 client, 2026-07-28', (url: string) => connectV2(url, 'modern')],
  ['v2 client, 2025 handshake', (url: string) => connectV2(url, 'legacy')],
  ['v1 client', (url: string) => connectV1(url)],
] as const;

async function withEachClient(config: unknown, fn: (call: Call, era: string) => Promise<void>) {
  const running = await startGateway(config as never, { transport: 'http', port: 0 });
  try {
    for (const [era, connect] of connects) {
      const client = await connect(running.url!);
      try {
        await fn((name, args) => client.callTool({ name, arguments: args }) as Promise<Result>, era);
      } finally {
        await client.close();
      }
    }
  } finally {
    await running.close();
  }
}

async function refused(call: Call, name: string, args: Record<string, unknown>, field: string) {
  const before = upstream.seen.length;
  const r = await call(name, args);
  expect(r.isError, `${name} ${JSON.stringify(args)}`).toBe(true);
  expect(textOf(r)).toContain(`"${field}" is not allowed`);
  expect(upstream.seen.length, `${name} reached the upstream`).toBe(before);
}

describe('compact listing: the listed schema is open, the enforced one is not', () => {
  it('configured tools: an unlisted argument beside cursor, confirm or a fixed parameter is refused', async () => {
    const config = configured();
    expect(config.server.toolListing).toBe('compact');
    await withEachClient(config, async (call) => {
      await refused(call, 'paged', { q: 'x', cursor: undefined, after: 'forged' }, 'after');
      await refused(call, 'delete_item', { id: '1', confirm: true, _method: 'GET' }, '_method');
      // A fixed parameter is not listed, so setting it is an unlisted argument.
      await refused(call, 'pinned', { q: 'x', tenant: 'evil' }, 'tenant');
    });
  });

  it('OpenAPI tools mode: form, multipart and JSON bodies that allow extra fields refuse them', async () => {
    const config = await loadConfig(configFile('tools'));
    await withEachClient(config, async (call) => {
      await refused(call, 'sendForm', { name: 'eve', role: 'admin' }, 'role');
      await refused(call, 'upload', { title: 't', owner_id: '1' }, 'owner_id');
      await refused(call, 'sendJson', { name: 'eve', role: 'admin' }, 'role');
    });
  });

  it("OpenAPI compact mode: invoke's nested arguments and invoke itself refuse unlisted ones", async () => {
    const config = await loadConfig(configFile('compact'));
    await withEachClient(config, async (call) => {
      for (const operationId of ['sendForm', 'sendJson'])
        await refused(
          call,
          'api_invoke_operation',
          { operationId, arguments: { name: 'eve', role: 'admin' } },
          'role',
        );
      await refused(
        call,
        'api_invoke_operation',
        { operationId: 'upload', arguments: { title: 't', owner_id: '1' } },
        'owner_id',
      );
      await refused(call, 'api_invoke_operation', { operationId: 'sendJson', role: 'admin' }, 'role');
      await refused(call, 'api_search_operations', { query: 'x', admin: true }, 'admin');
    });
  });
});
