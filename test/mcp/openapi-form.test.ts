import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadConfig } from '../../src/config/index.js';
import { startGateway } from '../../src/mcp/index.js';
import { connectV2 } from './helpers/clients.js';

/** What the upstream received: method, path with query, content type, body text. */
interface Seen {
  method: string;
  url: string;
  type: string | undefined;
  body: string;
}

const dir = mkdtempSync(join(tmpdir(), 'conduit-openapi-form-'));
let server: Server;
let baseUrl: string;
const seen: Seen[] = [];
beforeAll(async () => {
  server = createServer(async (req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    seen.push({
      method: req.method!,
      url: req.url!,
      type: req.headers['content-type'],
      body: Buffer.concat(chunks).toString('utf8'),
    });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"ok":true}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

/** A Stripe-style document: form bodies with nested objects and `expand[]`, deepObject queries, empty form bodies on GET/DELETE. */
const emptyForm = {
  content: { 'application/x-www-form-urlencoded': { schema: { type: 'object', properties: {} } } },
};
const STRIPE_STYLE = {
  openapi: '3.0.0',
  info: { title: 'Payments', version: '1' },
  paths: {
    '/v1/customers': {
      get: {
        operationId: 'GetCustomers',
        parameters: [
          {
            name: 'created',
            in: 'query',
            style: 'deepObject',
            explode: true,
            schema: { type: 'object', properties: { gt: { type: 'integer' }, lte: { type: 'integer' } } },
          },
          {
            name: 'expand',
            in: 'query',
            style: 'deepObject',
            explode: true,
            schema: { type: 'array', items: { type: 'string' } },
          },
        ],
        requestBody: emptyForm,
        responses: { '200': { description: 'ok' } },
      },
      post: {
        operationId: 'PostCustomers',
        requestBody: {
          content: {
            'application/x-www-form-urlencoded': {
              schema: {
                type: 'object',
                properties: {
                  email: { type: 'string' },
                  metadata: { type: 'object', additionalProperties: { type: 'string' } },
                  expand: { type: 'array', items: { type: 'string' } },
                  address: {
                    type: 'object',
                    properties: { city: { type: 'string' }, line1: { type: 'string' } },
                  },
                  items: {
                    type: 'array',
                    items: { type: 'object', properties: { price: { type: 'string' } } },
                  },
                },
              },
            },
          },
        },
        responses: { '200': { description: 'ok' } },
      },
    },
    // Twilio style: the form body repeats a path parameter's name (AccountSid in both places).
    '/2010-04-01/Accounts/{AccountSid}/Numbers/{Sid}.json': {
      post: {
        operationId: 'UpdateNumber',
        parameters: [
          { name: 'AccountSid', in: 'path', required: true, schema: { type: 'string' } },
          { name: 'Sid', in: 'path', required: true, schema: { type: 'string' } },
        ],
        requestBody: {
          content: {
            'application/x-www-form-urlencoded': {
              schema: {
                type: 'object',
                properties: { AccountSid: { type: 'string' }, FriendlyName: { type: 'string' } },
              },
            },
          },
        },
        responses: { '200': { description: 'ok' } },
      },
    },
    '/v1/customers/{customer}': {
      delete: {
        operationId: 'DeleteCustomersCustomer',
        parameters: [{ name: 'customer', in: 'path', required: true, schema: { type: 'string' } }],
        requestBody: emptyForm,
        responses: { '200': { description: 'ok' } },
      },
    },
  },
};

async function serve(
  fn: (call: (name: string, args: object) => Promise<{ isError?: boolean }>) => Promise<void>,
) {
  writeFileSync(join(dir, 'payments.json'), JSON.stringify(STRIPE_STYLE));
  const file = join(dir, 'conduit.yaml');
  writeFileSync(
    file,
    stringify({ upstreams: { pay: { baseUrl, openapi: { document: './payments.json' } } } }),
  );
  const running = await startGateway(await loadConfig(file, { env: {} }), { transport: 'http', port: 0 });
  const client = await connectV2(running.url!, 'legacy');
  try {
    await fn((name, args) => client.callTool({ name, arguments: args as Record<string, unknown> }) as never);
  } finally {
    await client.close();
    await running.close();
  }
}

describe('form-encoded OpenAPI operations (Stripe style)', () => {
  it('serves every operation: form bodies, deepObject queries, GET and DELETE with empty form bodies', async () => {
    await serve(async (call) => {
      seen.length = 0;
      const post = await call('PostCustomers', {
        email: 'a b@example.com',
        metadata: { order: '6735', 'k[x]': 'v' },
        expand: ['sources', 'tax'],
        address: { city: 'Paris' },
        items: [{ price: 'p_1' }, { price: 'p_2' }],
      });
      expect(post.isError).toBeFalsy();
      const sent = seen.at(-1)!;
      expect(sent.method).toBe('POST');
      expect(sent.type).toBe('application/x-www-form-urlencoded');
      expect([...new URLSearchParams(sent.body)]).toEqual([
        ['email', 'a b@example.com'],
        ['metadata[order]', '6735'],
        ['metadata[k[x]]', 'v'],
        ['expand[]', 'sources'],
        ['expand[]', 'tax'],
        ['address[city]', 'Paris'],
        ['items[0][price]', 'p_1'],
        ['items[1][price]', 'p_2'],
      ]);

      const list = await call('GetCustomers', { created: { gt: 10, lte: 20 }, expand: ['data.sources'] });
      expect(list.isError).toBeFalsy();
      const query = new URL(seen.at(-1)!.url, baseUrl).searchParams;
      expect(seen.at(-1)!.method).toBe('GET');
      expect(query.get('created[gt]')).toBe('10');
      expect(query.get('created[lte]')).toBe('20');
      expect(query.getAll('expand[]')).toEqual(['data.sources']);
      expect(seen.at(-1)!.body).toBe('');

      const del = await call('DeleteCustomersCustomer', { customer: 'cus_1' });
      expect(del.isError).toBeFalsy();
      expect(seen.at(-1)).toMatchObject({ method: 'DELETE', url: '/v1/customers/cus_1' });

      // A form body whose fields share a name with a parameter is one `body` argument, sent as a form.
      const update = await call('UpdateNumber', {
        AccountSid: 'AC1',
        Sid: 'PN1',
        body: { AccountSid: 'AC2', FriendlyName: 'main line' },
      });
      expect(update.isError, JSON.stringify(update)).toBeFalsy();
      expect(seen.at(-1)).toMatchObject({
        method: 'POST',
        url: '/2010-04-01/Accounts/AC1/Numbers/PN1.json',
        type: 'application/x-www-form-urlencoded',
      });
      expect([...new URLSearchParams(seen.at(-1)!.body)]).toEqual([
        ['AccountSid', 'AC2'],
        ['FriendlyName', 'main line'],
      ]);
    });
  });
});
