import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway, type Gateway } from '../../src/mcp/index.js';
import { startUpstream, type Upstream } from './helpers/upstream.js';
import { connectStdio, resourcesConfig } from './resources-helpers.js';
import { testConfig } from '../helpers/gateway-config.js';

let upstream: Upstream;
let gateway: Gateway;

beforeAll(async () => {
  upstream = await startUpstream();
  gateway = createGateway(testConfig(resourcesConfig(upstream.url)), { progressIntervalMs: 0 });
});

afterAll(async () => {
  await gateway?.close();
  await upstream?.close();
});

describe('resource URIs with percent-encoded variables', () => {
  it('decodes a variable once: assignments://a%20b%2Fc reaches the upstream as /assignments/a%20b%2Fc', async () => {
    const c = await connectStdio(gateway, 'v2-legacy');
    try {
      const seen = upstream.nextRequest();
      // No such assignment: the read fails, but the request line is what this test is about.
      await expect(c.client!.readResource({ uri: 'assignments://a%20b%2Fc' })).rejects.toThrow();
      expect((await seen).url).toBe('/assignments/a%20b%2Fc');
    } finally {
      await c.close();
    }
  });

  it('an upstream 404 is "resource not found" (Invalid Params on the wire, as the spec asks)', async () => {
    for (const era of ['v2-legacy', 'v2-modern'] as const) {
      const c = await connectStdio(gateway, era);
      try {
        const err = await c.client!.readResource({ uri: 'assignments://404' }).then(
          () => undefined,
          (e: unknown) => e as { code?: unknown; message?: string },
        );
        expect(err?.code).toBe(-32602);
        expect(err?.message).toMatch(/assignments:\/\/404 was not found: tool get_assignment answered 404/);
      } finally {
        await c.close();
      }
    }
  });

  it('malformed percent-encoding is refused before any upstream call', async () => {
    const c = await connectStdio(gateway, 'v2-legacy');
    try {
      const before = upstream.count('/assignments');
      await expect(c.client!.readResource({ uri: 'assignments://%E0%A4%A' })).rejects.toThrow(
        /not valid percent-encoding/,
      );
      expect(upstream.count('/assignments')).toBe(before);
    } finally {
      await c.close();
    }
  });
});
