import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningGateway, startGateway } from '../../src/mcp/index.js';
import { testConfig } from '../helpers/gateway-config.js';
import { connectV1, connectV2, textOf } from './helpers/clients.js';
import { type ListUpstream, makeItems, startListUpstream } from './helpers/list-upstream.js';
import { serveOpenApi } from './helpers/serve-files.js';

interface Client {
  listTools(): Promise<unknown>;
  callTool(p: unknown): Promise<unknown>;
  close(): Promise<void>;
}
interface Result {
  isError?: boolean;
  structuredContent?: unknown;
  content: { type: string; text?: string }[];
}
interface Listed {
  tools: { name: string; outputSchema?: Record<string, unknown> }[];
}

const itemSchema = {
  type: 'object',
  properties: { id: { type: 'integer' }, title: { type: 'string' } },
  required: ['id', 'title'],
};

let upstream: ListUpstream;
let gateway: RunningGateway;
let served: Awaited<ReturnType<typeof serveOpenApi>>;
beforeAll(async () => {
  upstream = await startListUpstream(makeItems(3));
  gateway = await startGateway(
    testConfig({
      upstreams: { list: { baseUrl: upstream.url } },
      tools: [
        { name: 'all_items', upstream: 'list', path: '/all' },
        {
          name: 'all_items_typed',
          upstream: 'list',
          path: '/all',
          output: { type: 'array', items: itemSchema },
        },
        { name: 'one_item', upstream: 'list', path: '/object' },
      ],
    }),
    { transport: 'http' },
  );
  served = await serveOpenApi(
    upstream.url,
    {
      '/all': {
        get: {
          operationId: 'listAll',
          responses: {
            '200': {
              description: 'ok',
              content: { 'application/json': { schema: { type: 'array', items: itemSchema } } },
            },
          },
        },
      },
    },
    { outputSchemas: true },
  );
});
afterAll(async () => {
  await gateway?.close();
  await served?.close();
  await upstream?.close();
});

const modern: [string, (url: string) => Promise<Client>][] = [
  ['v2 client, 2026-07-28', (url) => connectV2(url, 'modern') as Promise<Client>],
];
const older: [string, (url: string) => Promise<Client>][] = [
  ['v2 client, 2025 handshake', (url) => connectV2(url, 'legacy') as Promise<Client>],
  ['v1 client', (url) => connectV1(url) as Promise<Client>],
];

describe.each(modern)('a list answer on a 2026-07-28 connection (%s)', (_, connect) => {
  it('is sent as is, with or without a declared array output schema', async () => {
    const client = await connect(gateway.url!);
    try {
      const { tools } = (await client.listTools()) as Listed;
      expect(tools.find((t) => t.name === 'all_items_typed')!.outputSchema).toMatchObject({
        type: 'array',
        items: itemSchema,
      });
      for (const name of ['all_items', 'all_items_typed']) {
        const got = (await client.callTool({ name, arguments: {} })) as Result;
        expect(got.isError, textOf(got)).toBeFalsy();
        expect(Array.isArray(got.structuredContent), name).toBe(true);
        expect((got.structuredContent as { id: number }[]).map((i) => i.id)).toEqual([1, 2, 3]);
        expect(JSON.parse(textOf(got))).toEqual(got.structuredContent);
      }
      // An object answer is an object in every era.
      const one = (await client.callTool({ name: 'one_item', arguments: {} })) as Result;
      expect(one.structuredContent).toMatchObject({ id: 1 });
    } finally {
      await client.close();
    }
  });

  it('OpenAPI: an array response schema is declared as is and the answer matches it', async () => {
    const client = await connect(served.gateway.url!);
    try {
      const { tools } = (await client.listTools()) as Listed;
      expect(tools[0]!.outputSchema).toMatchObject({ type: 'array' });
      const got = (await client.callTool({ name: 'listAll', arguments: {} })) as Result;
      expect(got.isError, textOf(got)).toBeFalsy();
      expect(Array.isArray(got.structuredContent)).toBe(true);
    } finally {
      await client.close();
    }
  });
});

describe.each(older)('a list answer on an older connection (%s)', (_, connect) => {
  it('is wrapped as { result }, and so is the declared output schema', async () => {
    const client = await connect(gateway.url!);
    try {
      const { tools } = (await client.listTools()) as Listed;
      expect(tools.find((t) => t.name === 'all_items_typed')!.outputSchema).toMatchObject({
        type: 'object',
        properties: { result: { type: 'array' } },
        required: ['result'],
      });
      for (const name of ['all_items', 'all_items_typed']) {
        const got = (await client.callTool({ name, arguments: {} })) as Result;
        expect(got.isError, textOf(got)).toBeFalsy();
        const wrapped = got.structuredContent as { result: { id: number }[] };
        expect(wrapped.result.map((i) => i.id)).toEqual([1, 2, 3]);
      }
    } finally {
      await client.close();
    }
  });

  it('OpenAPI: the array response schema is published wrapped, and the answer with it', async () => {
    const client = await connect(served.gateway.url!);
    try {
      const { tools } = (await client.listTools()) as Listed;
      expect(tools[0]!.outputSchema).toMatchObject({
        type: 'object',
        properties: { result: { type: 'array' } },
      });
      const got = (await client.callTool({ name: 'listAll', arguments: {} })) as Result;
      expect(got.isError, textOf(got)).toBeFalsy();
      expect((got.structuredContent as { result: unknown[] }).result).toHaveLength(3);
    } finally {
      await client.close();
    }
  });
});
