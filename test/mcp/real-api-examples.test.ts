import { randomUUID } from 'node:crypto';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { sign } from '@octokit/webhooks-methods';
import Stripe from 'stripe';
import { afterEach, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/cli/exit-codes.js';
import { runCli } from '../../src/cli/run.js';
import { createRecordingLogger } from '../../src/core/index.js';
import { memoryIo, ROOT } from '../cli/helpers.js';
import { type SeenRequest, startServer, type TestServer } from '../http/server.js';

// examples/github.yaml and examples/stripe.yaml, validated and served as a user would (conduit
// serve --transport http), against recording 127.0.0.1 upstreams that answer the way GitHub and
// Stripe do and check what they are sent; the webhooks are signed with each sender's real scheme.
const GITHUB_SECRET = 'gh-webhook-secret-for-tests';
const STRIPE_SECRET = 'whsec_test_secret_for_conduit';
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function serve(config: string, env: Record<string, string>) {
  const checked = memoryIo(env);
  expect(
    await runCli(['validate', '--config', `${ROOT}examples/${config}`], checked.io),
    checked.stdout(),
  ).toBe(ExitCode.OK);
  const m = memoryIo(env);
  const exit = runCli(
    ['serve', '--config', `${ROOT}examples/${config}`, '--transport', 'http', '--port', '0'],
    m.io,
    {
      createLogger: () => createRecordingLogger(),
    },
  );
  const [, url] = await Promise.race([
    m.waitForStderr(/Conduit MCP server on (http:\/\/\S+)/),
    exit.then((code) => Promise.reject(new Error(`serve exited with ${code}: ${m.stderr()}`))),
  ]);
  const client = new Client({ name: 'examples', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url!)));
  cleanups.push(async () => {
    await client.close();
    m.stop('SIGTERM');
    expect(await exit).toBe(ExitCode.OK);
  });
  return { client, base: url!.replace(/\/mcp$/, '') };
}

async function upstream(answer: (s: SeenRequest) => [number, unknown]): Promise<TestServer> {
  const server = await startServer((_req, res, seen) => {
    const [status, body] = answer(seen);
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  });
  cleanups.push(() => server.close());
  return server;
}

describe('examples/github.yaml', () => {
  it('calls GitHub as GitHub expects, caches, and a signed issues webhook evicts the issue', async () => {
    const api = await upstream((s) => {
      if (s.method === 'GET' && s.url === '/repos/nodejs/undici/issues/42')
        return [200, { number: 42, title: 'Pool leaks', state: 'open' }];
      if (s.method === 'POST' && s.url === '/repos/nodejs/undici/issues/42/comments') return [201, { id: 1 }];
      if (s.method === 'GET' && s.url.startsWith('/repos/nodejs/undici/issues?')) return [200, []];
      return [404, { message: 'Not Found' }];
    });
    const { client, base } = await serve('github.yaml', {
      GITHUB_API_URL: api.url,
      GITHUB_TOKEN: 'ghp_test_token_value',
      GITHUB_WEBHOOK_SECRET: GITHUB_SECRET,
    });
    const get = { name: 'get_issue', arguments: { owner: 'nodejs', repo: 'undici', issue_number: 42 } };
    expect((await client.callTool(get)).structuredContent).toMatchObject({ number: 42, title: 'Pool leaks' });
    expect((await client.callTool(get)).structuredContent).toMatchObject({ number: 42 });
    expect(api.seen).toHaveLength(1); // the second answer came from the cache
    const headers = api.seen[0]!.headers;
    expect(headers.authorization).toBe('Bearer ghp_test_token_value');
    expect(headers.accept).toBe('application/vnd.github+json');
    expect(headers['x-github-api-version']).toBe('2022-11-28');
    expect(headers['user-agent']).toBe('conduit-mcp');

    await client.callTool({
      name: 'list_issues',
      arguments: { owner: 'nodejs', repo: 'undici', state: 'open', per_page: 5 },
    });
    expect(api.seen[1]?.url).toBe('/repos/nodejs/undici/issues?state=open&per_page=5');

    const comment = await client.callTool({
      name: 'comment_on_issue',
      arguments: { owner: 'nodejs', repo: 'undici', issue_number: 42, body: 'Fixed in #43' },
    });
    expect(comment.isError).not.toBe(true);
    expect(JSON.parse(api.seen[2]!.body)).toEqual({ body: 'Fixed in #43' });

    await client.callTool(get); // fetched again: the comment invalidated the issue
    expect(api.seen).toHaveLength(4);
    const before = api.seen.length;
    await client.callTool(get);
    expect(api.seen).toHaveLength(before);

    const payload = JSON.stringify({
      action: 'edited',
      issue: { number: 42 },
      repository: { name: 'undici', full_name: 'nodejs/undici', owner: { login: 'nodejs' } },
    });
    const deliver = (signature: string) =>
      fetch(`${base}/webhooks/github`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-github-event': 'issues',
          'x-github-delivery': randomUUID(),
          'x-hub-signature-256': signature,
        },
        body: payload,
      });
    expect((await deliver(await sign('not-the-secret', payload))).status).toBe(401);
    expect((await deliver(await sign(GITHUB_SECRET, payload))).status).toBeLessThan(300);
    await client.callTool(get);
    expect(api.seen).toHaveLength(before + 1); // evicted: fetched again
  });
});

describe('examples/stripe.yaml', () => {
  it('calls Stripe as Stripe expects, caches, and a signed customer.updated webhook evicts the customer', async () => {
    const api = await upstream((s) => {
      if (s.url === '/v1/customers/cus_123')
        return [200, { id: 'cus_123', object: 'customer', email: 'a@example.com' }];
      if (s.url.startsWith('/v1/invoices?')) return [200, { object: 'list', data: [], has_more: false }];
      return [404, { error: { type: 'invalid_request_error' } }];
    });
    const { client, base } = await serve('stripe.yaml', {
      STRIPE_API_URL: api.url,
      STRIPE_SECRET_KEY: 'rk_test_key_value',
      STRIPE_WEBHOOK_SECRET: STRIPE_SECRET,
    });
    const get = { name: 'get_customer', arguments: { id: 'cus_123' } };
    expect((await client.callTool(get)).structuredContent).toMatchObject({ id: 'cus_123' });
    await client.callTool(get);
    expect(api.seen).toHaveLength(1);
    expect(api.seen[0]?.headers.authorization).toBe('Bearer rk_test_key_value');
    expect(api.seen[0]?.headers['stripe-version']).toBe('2024-06-20');
    const refused = await client.callTool({ name: 'get_customer', arguments: { id: '../admin' } });
    expect(refused.isError).toBe(true);
    expect(api.seen).toHaveLength(1);

    await client.callTool({
      name: 'list_invoices',
      arguments: { customer: 'cus_123', status: 'paid', limit: 3 },
    });
    expect(api.seen[1]?.url).toBe('/v1/invoices?customer=cus_123&status=paid&limit=3');

    const payload = JSON.stringify({
      id: `evt_${randomUUID().replace(/-/g, '')}`,
      object: 'event',
      type: 'customer.updated',
      data: { object: { id: 'cus_123', object: 'customer' } },
    });
    const stripe = new Stripe('sk_test_unused');
    const deliver = (secret: string) =>
      fetch(`${base}/webhooks/stripe`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'stripe-signature': stripe.webhooks.generateTestHeaderString({ payload, secret }),
        },
        body: payload,
      });
    expect((await deliver('whsec_wrong')).status).toBe(401);
    expect((await deliver(STRIPE_SECRET)).status).toBeLessThan(300);
    await client.callTool(get);
    expect(api.seen).toHaveLength(3); // evicted: fetched again
  });
});
