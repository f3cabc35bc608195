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
let compactGateway: RunningGateway;
let explicitGateway: RunningGateway;

const tool = (name: string, method: string) => ({
  name,
  upstream: 'assignments',
  method,
  path: '/assignments',
});

const withListing = (toolListing: 'compact' | 'explicit') => {
  const config = assignmentsConfig(upstream.url, [
    tool('a_head', 'HEAD'),
    tool('a_post', 'POST'),
    tool('a_patch', 'PATCH'),
    tool('a_delete', 'DELETE'),
  ] as never);
  return testConfig({ ...config, server: { ...config.server, toolListing } });
};

beforeAll(async () => {
  upstream = await startUpstream();
  compactGateway = await startGateway(withListing('compact'), { transport: 'http' });
  explicitGateway = await startGateway(withListing('explicit'), { transport: 'http' });
});

afterAll(async () => {
  await compactGateway?.close();
  await explicitGateway?.close();
  await upstream?.close();
});

/** Explicit: the three hints ChatGPT Apps require, always; idempotentHint where it means something. */
const explicit: Record<string, Record<string, boolean>> = {
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

/** Compact: only what differs from the spec's defaults (readOnly false, destructive true, openWorld true). */
const compactHints: Record<string, Record<string, boolean> | undefined> = {
  get_assignment: { readOnlyHint: true },
  a_head: { readOnlyHint: true },
  update_assignment: { destructiveHint: false, idempotentHint: true },
  a_delete: { idempotentHint: true },
  a_post: undefined,
  a_patch: undefined,
};

/** What a client reads of a tool's hints: each one listed, else the spec's default. */
const SPEC_DEFAULTS = {
  readOnlyHint: false,
  destructiveHint: true,
  idempotentHint: false,
  openWorldHint: true,
};
const read = (hints: Record<string, boolean> | undefined) => {
  const out = { ...SPEC_DEFAULTS, ...hints };
  // The spec gives destructive and idempotent no meaning on a read-only tool.
  return out.readOnlyHint ? { readOnlyHint: true, openWorldHint: out.openWorldHint } : out;
};

const clients: [string, () => Promise<{ listTools(): Promise<unknown>; close(): Promise<void> }>][] = [
  ['v2 client, 2026-07-28', () => connectV2(compactGateway.url!, 'modern')],
  ['v2 client, 2025 handshake', () => connectV2(compactGateway.url!, 'legacy')],
  ['v1 client', () => connectV1(compactGateway.url!)],
];

async function listed(url: string): Promise<Listed['tools']> {
  const client = await connectV2(url, 'modern');
  try {
    return ((await client.listTools()) as Listed).tools;
  } finally {
    await client.close();
  }
}

describe.each(clients)(
  'configured tools carry annotations derived from the HTTP method (%s)',
  (_, connect) => {
    it('lists each tool with the hints its method implies, leaving out the spec defaults', async () => {
      const client = await connect();
      try {
        const { tools } = (await client.listTools()) as Listed;
        for (const [name, hints] of Object.entries(compactHints)) {
          expect(tools.find((t) => t.name === name)?.annotations, name).toEqual(hints);
        }
      } finally {
        await client.close();
      }
    });
  },
);

describe('server.toolListing', () => {
  it('explicit lists readOnlyHint, destructiveHint and openWorldHint on every tool', async () => {
    const tools = await listed(explicitGateway.url!);
    for (const [name, hints] of Object.entries(explicit))
      expect(tools.find((t) => t.name === name)?.annotations, name).toEqual(hints);
  });

  it('compact and explicit tell a client the same hints', async () => {
    const [short, long] = [await listed(compactGateway.url!), await listed(explicitGateway.url!)];
    expect(short.map((t) => t.name)).toEqual(long.map((t) => t.name));
    for (const t of long)
      expect(read(short.find((s) => s.name === t.name)?.annotations as never), t.name).toEqual(
        read(t.annotations as never),
      );
  });
});

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
        // Method only: what differs from the spec's defaults.
        expect(byName('listItems')?.annotations).toEqual({ readOnlyHint: true });
        // The document over the method (a hint it sets is listed); its title too.
        expect(byName('createItem')?.annotations).toEqual({ destructiveHint: false });
        expect(byName('createItem')?.title).toBe('Create item (from the document)');
        // Config over the document over the method; a non-boolean hint in the document is ignored.
        // The document's idempotentHint: false over DELETE's true is set, so listed, default or not.
        expect(byName('deleteItem')?.annotations).toEqual({ destructiveHint: true, idempotentHint: false });
        expect(byName('deleteItem')?.title).toBe('Delete an item');
        expect(byName('archive_item')?.annotations).toEqual({
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
          openWorldHint: false,
        });
        // deleteItem stays destructive by config: the invoke tool that can run it is too, which is
        // every hint's default, so it lists none.
        expect(tools.find((t) => t.name === 'items_invoke_operation')?.annotations).toBeUndefined();
      } finally {
        await client.close();
      }
    },
  );
});
