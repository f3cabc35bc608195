import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningGateway, startGateway } from '../../src/mcp/index.js';
import { connectV2, textOf } from './helpers/clients.js';
import { testConfig } from '../helpers/gateway-config.js';

interface Result {
  isError?: boolean;
  structuredContent?: Record<string, unknown>;
  content: { type: string; text?: string }[];
  _meta?: Record<string, unknown>;
}

const SECRET = 'sekret-query-value-777';
const ID_SCHEMA = { type: 'object' as const, properties: { id: { type: 'string' } }, required: ['id'] };

// An upstream whose items can be switched to answer with a redirect; it counts the requests it sees.
let server: Server;
let baseUrl: string;
const redirecting = new Set<string>();
const seen: string[] = [];
let gateway: RunningGateway;

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    const id = (req.url ?? '').split('?')[0]!.split('/')[2] ?? '';
    if (redirecting.has(id)) {
      // Echoes the request's query (credentials included) in Location and body, as some servers do.
      const query = (req.url ?? '').split('?')[1] ?? '';
      const status = req.method === 'GET' ? 302 : 303;
      res.writeHead(status, { location: `/moved/${id}?${query}`, 'content-type': 'text/plain' });
      res.end(`Found. Redirecting to /moved/${id}?${query}`);
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ id, method: req.method }));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  gateway = await startGateway(
    testConfig({
      server: { name: 'redirect-test', version: '1.0.0' },
      upstreams: {
        api: { baseUrl, auth: { type: 'query', name: 'api_key', value: SECRET }, timeouts: { total: 5000 } },
      },
      cache: {},
      tools: [
        {
          name: 'get_item',
          upstream: 'api',
          method: 'GET',
          path: '/items/{id}',
          input: ID_SCHEMA,
          cache: { ttl: 60_000, key: 'item:{id}', tags: ['item:{id}'] },
        },
        {
          name: 'update_item',
          upstream: 'api',
          method: 'POST',
          path: '/items/{id}',
          input: ID_SCHEMA,
          invalidates: { tags: ['item:{id}'] },
        },
      ],
    }),
    { transport: 'http' },
  );
});
afterAll(async () => {
  await gateway?.close();
  server?.closeAllConnections();
  server?.close();
});

describe('an upstream answering with a redirect', () => {
  it('is a tool error naming the status and target, never cached, never showing the credentials', async () => {
    const client = await connectV2(gateway.url!, 'legacy');
    try {
      redirecting.add('r1');
      const before = seen.length;
      const first = (await client.callTool({ name: 'get_item', arguments: { id: 'r1' } })) as Result;
      expect(first.isError).toBe(true);
      expect(first._meta?.['conduit/error']).toEqual({ code: 'HTTP_STATUS', status: 302 });
      expect(textOf(first)).toContain(`answered HTTP 302 to GET ${baseUrl}/items/r1`);
      expect(textOf(first)).toContain(`a redirect to ${baseUrl}/moved/r1.`);
      expect(textOf(first)).toMatch(/does not follow redirects/);
      expect(seen.at(-1)).toContain(`api_key=${SECRET}`); // the upstream got it and echoed it back…
      expect(JSON.stringify(first)).not.toContain(SECRET); // …but the client never sees it
      // Not cached: the next call asks the upstream again, and answers once the redirect is gone.
      redirecting.delete('r1');
      const second = (await client.callTool({ name: 'get_item', arguments: { id: 'r1' } })) as Result;
      expect(second.isError).toBeFalsy();
      expect(second.structuredContent).toEqual({ id: 'r1', method: 'GET' });
      expect(seen.length - before).toBe(2);
    } finally {
      await client.close();
    }
  });

  it('after a mutation, warns that the change may be applied and still clears what it invalidates', async () => {
    const client = await connectV2(gateway.url!, 'modern');
    try {
      const cached = (await client.callTool({ name: 'get_item', arguments: { id: 'r2' } })) as Result;
      expect(cached.isError).toBeFalsy();
      redirecting.add('r2');
      const update = (await client.callTool({ name: 'update_item', arguments: { id: 'r2' } })) as Result;
      expect(update.isError).toBe(true);
      expect(textOf(update)).toContain('answered HTTP 303 to POST');
      expect(textOf(update)).toMatch(/may have applied the change before redirecting: check before retrying/);
      redirecting.delete('r2');
      const before = seen.length;
      const after = (await client.callTool({ name: 'get_item', arguments: { id: 'r2' } })) as Result;
      expect(after._meta?.['conduit/cache']).toMatchObject({ source: 'upstream', stale: false });
      expect(seen.length - before).toBe(1);
    } finally {
      await client.close();
    }
  });
});
