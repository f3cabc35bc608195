import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningGateway, startGateway } from '../../src/mcp/index.js';
import { connectV1, connectV2 } from './helpers/clients.js';
import { assignmentsConfig } from './helpers/config.js';
import { startUpstream, type Upstream } from './helpers/upstream.js';
import { testConfig } from '../helpers/gateway-config.js';

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
  get_assignment: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  a_head: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  update_assignment: {
    readOnlyHint: false,
    destructiveHint: false,
    idempotentHint: true,
    openWorldHint: true,
  },
  a_delete: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true },
  a_post: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
  a_patch: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
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
