import { Client } from '@modelcontextprotocol/client';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport as InMemoryV1 } from '@modelcontextprotocol/sdk/inMemory.js';
import {
  McpServer as McpServerV1,
  type RegisteredTool as RegisteredToolV1,
} from '@modelcontextprotocol/sdk/server/mcp.js';
import { InMemoryTransport, McpServer, type RegisteredTool } from '@modelcontextprotocol/server';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createCache } from '../../src/cache/index.js';
import { registerResilientTool, type ToolServer } from '../../src/mcp/index.js';
import { retry } from '../../src/resilience/index.js';

interface CallResult {
  isError?: boolean;
  structuredContent?: unknown;
  content?: unknown;
  _meta?: Record<string, unknown>;
}
interface Session {
  listTools(): Promise<{ tools: Array<{ name: string; inputSchema: unknown }> }>;
  callTool(name: string, args?: Record<string, unknown>): Promise<CallResult>;
  close(): Promise<void>;
}

/** A server of one SDK with a client of the same SDK on a linked in-memory transport. */
const SDKS = {
  async v2(register: (server: McpServer) => void): Promise<Session> {
    const server = new McpServer({ name: 'v2', version: '1.0.0' });
    register(server);
    const [a, b] = InMemoryTransport.createLinkedPair();
    await server.connect(a);
    const client = new Client({ name: 'v2-client', version: '1.0.0' });
    await client.connect(b);
    return {
      listTools: () => client.listTools() as never,
      callTool: (name, args) => client.callTool({ name, arguments: args ?? {} }) as Promise<CallResult>,
      close: () => Promise.all([client.close(), server.close()]).then(() => {}),
    };
  },
  async v1(register: (server: McpServerV1) => void): Promise<Session> {
    const server = new McpServerV1({ name: 'v1', version: '1.0.0' });
    register(server);
    const [a, b] = InMemoryV1.createLinkedPair();
    await server.connect(a);
    const client = new ClientV1({ name: 'v1-client', version: '1.0.0' });
    await client.connect(b);
    return {
      listTools: () => client.listTools() as never,
      callTool: (name, args) => client.callTool({ name, arguments: args ?? {} }) as Promise<CallResult>,
      close: () => Promise.all([client.close(), server.close()]).then(() => {}),
    };
  },
} as const;

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
});

const INPUTS = {
  zod: z.object({ id: z.string() }),
  'a JSON Schema': { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
} as const;

describe.each(['v2', 'v1'] as const)('registerResilientTool on the %s SDK McpServer', (sdk) => {
  for (const [kind, input] of Object.entries(INPUTS)) {
    it(`serves a ${kind} input: validated, retried, cached, listed with its schema`, async () => {
      const cache = createCache();
      closers.push(() => cache.close());
      const calls: Array<{ id: string; attempt: number; aborted: boolean }> = [];
      const session = await SDKS[sdk]((server) => {
        registerResilientTool(
          server as ToolServer,
          'get_item',
          {
            input: input as Record<string, unknown>,
            policy: retry({ maxAttempts: 2, baseDelayMs: 1 }),
            cache: { store: cache, key: (a) => `item:${String(a.id)}`, ttlMs: 60_000 },
          },
          async (args, { attempt, signal }) => {
            calls.push({ id: String(args.id), attempt, aborted: signal.aborted });
            if (attempt === 1) throw Object.assign(new Error('upstream hiccup'), { status: 503 });
            return { id: args.id, name: 'widget' };
          },
        );
      });
      closers.push(() => session.close());

      const { tools } = await session.listTools();
      expect(tools.map((t) => t.name)).toEqual(['get_item']);
      expect(tools[0]?.inputSchema).toMatchObject({ type: 'object', properties: { id: { type: 'string' } } });

      const first = await session.callTool('get_item', { id: '7' });
      expect(first.isError).not.toBe(true);
      expect(first.structuredContent).toEqual({ id: '7', name: 'widget' });
      expect(first._meta?.['conduit/cache']).toMatchObject({ source: 'upstream' });
      expect(calls).toEqual([
        { id: '7', attempt: 1, aborted: false },
        { id: '7', attempt: 2, aborted: false },
      ]);

      const second = await session.callTool('get_item', { id: '7' });
      expect(second.structuredContent).toEqual({ id: '7', name: 'widget' });
      expect(second._meta?.['conduit/cache']).toMatchObject({ source: 'cache' });
      expect(calls).toHaveLength(2);

      const bad = await session.callTool('get_item', { id: 7 });
      expect(bad.isError).toBe(true);
      expect(JSON.stringify(bad.content)).toContain('id');
      expect(calls).toHaveLength(2);
    });
  }

  it('serves a tool without input, and turns a failure into a tool error', async () => {
    const session = await SDKS[sdk]((server) => {
      registerResilientTool(server as ToolServer, 'ping', {}, () => ({ pong: true }));
      registerResilientTool(server as ToolServer, 'broken', {}, () => {
        throw Object.assign(new Error('boom'), { status: 500 });
      });
    });
    closers.push(() => session.close());
    const ok = await session.callTool('ping');
    console.log(JSON.stringify(ok));
    expect(ok.isError).not.toBe(true);
    expect(ok.structuredContent).toEqual({ pong: true });
    const failed = await session.callTool('broken');
    expect(failed.isError).toBe(true);
    expect(JSON.stringify(failed.content)).toContain('broken');
  });
});

describe('registerResilientTool types', () => {
  it("accepts either SDK's McpServer and returns that SDK's RegisteredTool", () => {
    const v2: RegisteredTool = registerResilientTool(
      new McpServer({ name: 'a', version: '1' }),
      't',
      { input: z.object({ id: z.string() }) },
      ({ id }) => id.toUpperCase(), // args typed from the zod schema
    );
    const v1: RegisteredToolV1 = registerResilientTool(
      new McpServerV1({ name: 'b', version: '1' }),
      't',
      { input: z.object({ id: z.string() }) },
      ({ id }) => id.toUpperCase(),
    );
    expect(typeof v2.remove).toBe('function');
    expect(typeof v1.remove).toBe('function');
  });
});
