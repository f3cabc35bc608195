import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningGateway, startGateway } from '../../src/mcp/index.js';
import { testConfig } from '../helpers/gateway-config.js';
import { connectV1, connectV2 } from './helpers/clients.js';
import { resourcesConfig } from './resources-helpers.js';
import { startUpstream, type Upstream } from './helpers/upstream.js';

interface Listed {
  tools: { name: string; annotations?: Record<string, unknown>; inputSchema: Record<string, unknown> }[];
}

let upstream: Upstream;
const gateways: Partial<Record<'compact' | 'explicit', RunningGateway>> = {};

beforeAll(async () => {
  upstream = await startUpstream();
  for (const toolListing of ['compact', 'explicit'] as const) {
    const config = resourcesConfig(upstream.url);
    gateways[toolListing] = await startGateway(
      testConfig({ ...config, server: { ...config.server, toolListing } }),
      { transport: 'http' },
    );
  }
});

afterAll(async () => {
  await gateways.compact?.close();
  await gateways.explicit?.close();
  await upstream?.close();
});

async function recentChanges(url: string, connect: typeof connectV1 | typeof connectV2) {
  const client = await (connect === connectV1 ? connectV1(url) : connectV2(url, 'modern'));
  try {
    const { tools } = (await client.listTools()) as Listed;
    return tools.find((t) => t.name === 'recent_changes')!;
  } finally {
    await client.close();
  }
}

// recent_changes reads the gateway's own change feed: read-only, closed-world, like compact search.
describe.each([
  ['v2 client', connectV2],
  ['v1 client', connectV1],
] as const)('recent_changes follows server.toolListing (%s)', (_, connect) => {
  it('explicit: the three hints ChatGPT Apps require, and the closed marker', async () => {
    const tool = await recentChanges(gateways.explicit!.url!, connect);
    expect(tool.annotations).toEqual({ readOnlyHint: true, destructiveHint: false, openWorldHint: false });
    expect(tool.inputSchema.additionalProperties).toBe(false);
  });

  it('compact: only the hints that differ from the spec defaults, no closed marker, still closed', async () => {
    const tool = await recentChanges(gateways.compact!.url!, connect);
    expect(tool.annotations).toEqual({ readOnlyHint: true, openWorldHint: false });
    expect(tool.inputSchema.additionalProperties).toBeUndefined();
    const client = await (connect === connectV1
      ? connectV1(gateways.compact!.url!)
      : connectV2(gateways.compact!.url!, 'modern'));
    try {
      const r = (await client.callTool({ name: 'recent_changes', arguments: { since: 'x' } })) as {
        isError?: boolean;
        content: { text?: string }[];
      };
      expect(r.isError).toBe(true);
      expect(r.content[0]?.text).toMatch(/"since" is not allowed/);
    } finally {
      await client.close();
    }
  });
});
