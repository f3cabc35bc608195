import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createHttpClient, ResponseTooDeepError } from '../../src/http/index.js';
import { type RunningGateway, startGateway } from '../../src/mcp/index.js';
import { testConfig, type ToolInput } from '../helpers/gateway-config.js';
import { connectV1, connectV2, textOf } from '../mcp/helpers/clients.js';

interface Result {
  isError?: boolean;
  structuredContent?: unknown;
  content: { type: string; text?: string }[];
  _meta?: Record<string, Record<string, unknown>>;
}

const DEEP = 200_000;
/** `[[[…]]]`, `depth` arrays deep. */
const deepArrays = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
/** `{"a":{"a":…{}}}`, `depth` objects deep. */
const deepObjects = (depth: number) => '{"a":'.repeat(depth - 1) + '{}' + '}'.repeat(depth - 1);

/** An upstream answering deep JSON at `/arrays` and `/objects` (declared JSON, or undeclared at `/plain/…`). */
async function startDeepUpstream() {
  let requests = 0;
  const server: Server = createServer((req, res) => {
    requests++;
    const path = (req.url ?? '/').split('?')[0]!;
    const depth = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('depth') ?? DEEP);
    const body = path.endsWith('/objects') ? deepObjects(depth) : deepArrays(depth);
    res.writeHead(200, path.startsWith('/plain/') ? {} : { 'content-type': 'application/json' });
    res.end(body);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get requests() {
      return requests;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

let upstream: Awaited<ReturnType<typeof startDeepUpstream>>;
let gateway: RunningGateway;
beforeAll(async () => {
  upstream = await startDeepUpstream();
  const tools: ToolInput[] = [];
  for (const path of ['/arrays', '/objects', '/plain/arrays', '/plain/objects']) {
    const base = path.slice(1).replace('/', '_');
    tools.push(
      { name: `${base}`, upstream: 'deep', path },
      { name: `${base}_shaped`, upstream: 'deep', path, shape: { pick: ['a'], maxItems: 3 } },
      { name: `${base}_cached`, upstream: 'deep', path, cache: { ttl: '1m' } },
      { name: `${base}_output`, upstream: 'deep', path, output: { type: 'object' } },
    );
  }
  tools.push({
    name: 'shallow',
    upstream: 'deep',
    path: '/objects',
    input: { type: 'object', properties: { depth: { type: 'integer' } } },
  });
  tools.push({
    name: 'roomy',
    upstream: 'roomy',
    path: '/objects',
    input: { type: 'object', properties: { depth: { type: 'integer' } } },
  });
  gateway = await startGateway(
    testConfig({
      upstreams: {
        deep: { baseUrl: upstream.url },
        roomy: { baseUrl: upstream.url, maxResponseDepth: 400 },
      },
      cache: { l1: { maxEntries: 100 } },
      tools,
    }),
    { transport: 'http' },
  );
});
afterAll(async () => {
  await gateway?.close();
  await upstream?.close();
});

describe('deeply nested upstream answers', () => {
  it('fail the tool with RESPONSE_TOO_DEEP naming the upstream, the limit and the setting — plain, shaped, cached, with an output schema', async () => {
    const v2 = await connectV2(gateway.url!, 'modern');
    const v1 = await connectV1(gateway.url!);
    try {
      for (const client of [v2, v1]) {
        for (const base of ['arrays', 'objects', 'plain_arrays', 'plain_objects'])
          for (const name of [base, `${base}_shaped`, `${base}_cached`, `${base}_output`]) {
            const r = (await client.callTool({ name, arguments: {} })) as Result;
            expect(r.isError, name).toBe(true);
            expect(r._meta?.['conduit/error']?.code, `${name}: ${textOf(r)}`).toBe('RESPONSE_TOO_DEEP');
            expect(textOf(r)).not.toMatch(/call stack|internal error/i);
            expect(textOf(r)).toContain('"deep"');
            expect(textOf(r)).toContain('256 levels');
            expect(textOf(r)).toContain('upstreams.deep.maxResponseDepth');
          }
      }
      // Nothing deep was cached: a second call asks the upstream again (and fails the same way).
      const before = upstream.requests;
      const again = (await v2.callTool({ name: 'objects_cached', arguments: {} })) as Result;
      expect(again._meta?.['conduit/error']?.code).toBe('RESPONSE_TOO_DEEP');
      expect(upstream.requests).toBe(before + 1);
    } finally {
      await v1.close();
      await v2.close();
    }
  });

  it('at the limit still work, and an upstream configured for more accepts more', async () => {
    const client = await connectV2(gateway.url!, 'modern');
    try {
      const ok = (await client.callTool({ name: 'shallow', arguments: { depth: 256 } })) as Result;
      expect(ok.isError, textOf(ok)).toBeFalsy();
      let depth = 0;
      for (let v = ok.structuredContent as Record<string, unknown> | undefined; v; depth++)
        v = v.a as Record<string, unknown> | undefined;
      expect(depth).toBe(256);
      const over = (await client.callTool({ name: 'shallow', arguments: { depth: 257 } })) as Result;
      expect(over._meta?.['conduit/error']?.code).toBe('RESPONSE_TOO_DEEP');
      const roomy = (await client.callTool({ name: 'roomy', arguments: { depth: 400 } })) as Result;
      expect(roomy.isError, textOf(roomy)).toBeFalsy();
      const past = (await client.callTool({ name: 'roomy', arguments: { depth: 401 } })) as Result;
      expect(past._meta?.['conduit/error']?.code).toBe('RESPONSE_TOO_DEEP');
      expect(textOf(past)).toContain('400 levels');
    } finally {
      await client.close();
    }
  });
});

describe('the HTTP client and deeply nested answers', () => {
  it('getJson, res.json() and expectJson refuse them with ResponseTooDeepError; maxResponseDepth raises the bound', async () => {
    const client = createHttpClient({ baseUrl: upstream.url, retry: false, breaker: false });
    try {
      for (const path of ['/arrays', '/objects']) {
        const viaGetJson = await client.getJson(path, { schema: z.unknown() }).catch((e: unknown) => e);
        expect(viaGetJson).toBeInstanceOf(ResponseTooDeepError);
        expect((viaGetJson as ResponseTooDeepError).code).toBe('RESPONSE_TOO_DEEP');
        expect((viaGetJson as ResponseTooDeepError).limit).toBe(256);
        expect((viaGetJson as Error).message).toMatch(/maxResponseDepth/);
        const res = await client.get(`/plain${path}`);
        expect(() => res.json()).toThrow(ResponseTooDeepError);
      }
      const query = { depth: 300 };
      await expect(client.get('/objects', { query, expectJson: true })).rejects.toThrow(ResponseTooDeepError);
      const deeper = await client.get('/objects', { query, expectJson: true, maxResponseDepth: 300 });
      expect(deeper.json()).toBeTypeOf('object');
      expect(() => createHttpClient({ baseUrl: upstream.url, maxResponseDepth: 5000 })).toThrow(
        /maxResponseDepth must be a whole number from 1 to 1000/,
      );
    } finally {
      await client.close();
    }
  });
});
