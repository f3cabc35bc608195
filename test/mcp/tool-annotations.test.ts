import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningGateway, startGateway } from '../../src/mcp/index.js';
import { connectV1, connectV2 } from './helpers/clients.js';
import { assignmentsConfig } from './helpers/config.js';
import { startUpstream, type Upstream } from './helpers/upstream.js';
import { testConfig } from '../helpers/gateway-config.js';
import { serveFiles } from './helpers/serve-files.js';

interface Listed {
  tools: { name: string; annotations?: Record<string, unknown> }[];
}

let upstream: Upstream;
let gateway: RunningGateway;

const tool = (name: string, method: string) => ({
  name,
  upstream: 'assignments',
  method,
  path: '/assignments',
});

beforeAll(async () => {
  upstream = await startUpstream();
  gateway = await startGateway(
    testConfig(
      assignmentsConfig(upstream.url, [
        tool('a_head', 'HEAD'),
        tool('a_post', 'POST'),
        tool('a_patch', 'PATCH'),
        tool('a_delete', 'DELETE'),
      ] as never),
    ),
    { transport: 'http' },
  );
});

afterAll(async () => {
  await gateway?.close();
  await upstream?.close();
});

const expected: Record<string, Record<string, boolean>> = {
  // idempotentHint means something only on a tool that is not read-only, and only when true.
  get_assignment: { readOnlyHint: true, destructiveHint: false, openWorldHint: true },
  a_head: { readOnlyHint: true, destructiveHint: false, openWorldHint: true },
  update_assignment: {
    readOnlyHint: false,
    destructiveHint: false,
    idempotentHint: true,
    openWorldHint: true,
  },
  a_delete: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true },
  a_post: { readOnlyHint: false, destructiveHint: true, openWorldHint: true },
  a_patch: { readOnlyHint: false, destructiveHint: true, openWorldHint: true },
};

const clients: [string, () => Promise<{ listTools(): Promise<unknown>; close(): Promise<void> }>][] = [
  ['v2 client, 2026-07-28', () => connectV2(gateway.url!, 'modern')],
  ['v2 client, 2025 handshake', () => connectV2(gateway.url!, 'legacy')],
  ['v1 client', () => connectV1(gateway.url!)],
];

describe.each(clients)(
  'configured tools carry annotations derived from the HTTP method (%s)',
  (_, connect) => {
    it('lists each tool with the hints its method implies', async () => {
      const client = await connect();
      try {
        const { tools } = (await client.listTools()) as Listed;
        for (const [name, hints] of Object.entries(expected)) {
          expect(tools.find((t) => t.name === name)?.annotations, name).toEqual(hints);
        }
      } finally {
        await client.close();
      }
    });
  },
);

describe('annotations from config and the OpenAPI document, by precedence config > document > method', () => {
  const document = JSON.stringify({
    openapi: '3.0.3',
    info: { title: 'items', version: '1' },
    paths: {
      '/items': {
        get: { operationId: 'listItems', summary: 'List items', responses: { '200': { description: 'ok' } } },
        post: {
          operationId: 'createItem',
          summary: 'Create an item',
          description: 'Creates one item.',
          'x-mcp-annotations': { destructiveHint: false, title: 'Create item (from the document)' },
          responses: { '201': { description: 'created' } },
        },
      },
      '/items/{id}': {
        delete: {
          operationId: 'deleteItem',
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          'x-mcp-annotations': { destructiveHint: false, idempotentHint: false, readOnlyHint: 'yes' },
          responses: { '200': { description: 'ok' } },
        },
      },
    },
  });
  const config = (mode: string) => `
upstreams:
  items:
    baseUrl: ${upstream.url}
    openapi:
      document: ./items.json
      mode: ${mode}
      overrides:
        deleteItem: { annotations: { destructiveHint: true }, title: Delete an item }
tools:
  - name: archive_item
    upstream: items
    method: POST
    path: /items
    title: Archive an item
    annotations: { destructiveHint: false, idempotentHint: true, openWorldHint: false }
`;
  let served: Awaited<ReturnType<typeof serveFiles>>;
  let compact: Awaited<ReturnType<typeof serveFiles>>;
  beforeAll(async () => {
    served = await serveFiles({ 'items.json': document, 'conduit.yaml': config('tools') });
    compact = await serveFiles({ 'items.json': document, 'conduit.yaml': config('compact') });
  });
  afterAll(async () => {
    await served?.close();
    await compact?.close();
  });

  interface Tool {
    name: string;
    title?: string;
    annotations?: Record<string, unknown>;
  }
  const eras: [
    string,
    (url: string) => Promise<{ listTools(): Promise<unknown>; close(): Promise<void> }>,
  ][] = [
    ['v2 client, 2026-07-28', (url) => connectV2(url, 'modern')],
    ['v2 client, 2025 handshake', (url) => connectV2(url, 'legacy')],
    ['v1 client', (url) => connectV1(url)],
  ];

  it.each(eras)(
    'OpenAPI tools and configured tools list the merged hints and titles (%s)',
    async (_, connect) => {
      const client = await connect(served.gateway.url!);
      try {
        const { tools } = (await client.listTools()) as { tools: Tool[] };
        const byName = (n: string) => tools.find((t) => t.name === n);
        // Method only.
        expect(byName('listItems')?.annotations).toEqual({
          readOnlyHint: true,
          destructiveHint: false,
          openWorldHint: true,
        });
        // The document over the method; its title too (the summary would otherwise be the title).
        expect(byName('createItem')?.annotations).toEqual({
          readOnlyHint: false,
          destructiveHint: false,
          openWorldHint: true,
        });
        expect(byName('createItem')?.title).toBe('Create item (from the document)');
        // Config over the document over the method; a non-boolean hint in the document is ignored.
        // The document's idempotentHint: false over DELETE's true: false is the default, so not listed.
        expect(byName('deleteItem')?.annotations).toEqual({
          readOnlyHint: false,
          destructiveHint: true,
          openWorldHint: true,
        });
        expect(byName('deleteItem')?.title).toBe('Delete an item');
        expect(byName('archive_item')?.annotations).toEqual({
          readOnlyHint: false,
          destructiveHint: false,
          idempotentHint: true,
          openWorldHint: false,
        });
        expect(byName('archive_item')?.title).toBe('Archive an item');
      } finally {
        await client.close();
      }
    },
  );

  it.each(eras)(
    'compact mode: search is read-only and closed-world; invoke is as destructive as its catalog (%s)',
    async (_, connect) => {
      const client = await connect(compact.gateway.url!);
      try {
        const { tools } = (await client.listTools()) as { tools: Tool[] };
        expect(tools.find((t) => t.name === 'items_search_operations')?.annotations).toEqual({
          readOnlyHint: true,
          destructiveHint: false,
          openWorldHint: false,
        });
        // deleteItem stays destructive by config: the invoke tool that can run it is too.
        expect(tools.find((t) => t.name === 'items_invoke_operation')?.annotations).toEqual({
          readOnlyHint: false,
          destructiveHint: true,
          openWorldHint: true,
        });
      } finally {
        await client.close();
      }
    },
  );
});
