import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningGateway, startGateway } from '../../src/mcp/index.js';
import type { ResourceChange } from '../../src/mcp/resources/change-feed.js';
import { assignmentUpdated } from '../helpers/standard-webhook.js';
import { connectV2 } from './helpers/clients.js';
import { assignmentsConfig } from './helpers/config.js';
import { serveCommand, writeConfig } from './helpers/spawn-gateway.js';
import { startUpstream, type Upstream } from './helpers/upstream.js';
import type { TestConfigInput } from '../helpers/gateway-config.js';
import { testConfig } from '../helpers/gateway-config.js';

const KEY = Buffer.from('webhook-test-key-0123456789abcdef');
const SECRET = `whsec_${KEY.toString('base64')}`;
const FORGED_KEY = Buffer.from('not-the-senders-key-0123456789ab');

/** A Standard Webhooks delivery of `assignment.updated` for `id`, signed with `key`. */
const delivery = (eventId: string, id: string, key = KEY) => assignmentUpdated(eventId, id, key);

async function post(url: string, d: ReturnType<typeof delivery>) {
  const res = await request(url, { method: 'POST', body: d.body, headers: d.headers });
  return { status: res.statusCode, body: (await res.body.json()) as Record<string, unknown> };
}

function webhookConfig(upstreamUrl: string): TestConfigInput {
  const config = assignmentsConfig(upstreamUrl);
  const get = config.tools.find((t) => t.name === 'get_assignment')!;
  get.cache = { ttl: 60_000, key: 'assignment:{id}' };
  config.webhooks = {
    endpoints: [
      {
        path: '/webhooks/assignments',
        name: 'assignments',
        scheme: 'standard',
        secrets: [SECRET],
        events: {
          'assignment.*': {
            invalidate: { keys: ['assignment:{data.id}'] },
            notify: ['assignments://{data.id}'],
          },
        },
      },
    ],
  };
  return config;
}

type CallResult = { _meta?: Record<string, unknown>; isError?: boolean };
const source = (r: CallResult) => (r._meta?.['conduit/cache'] as { source?: string } | undefined)?.source;

describe('webhooks on the HTTP transport', () => {
  let upstream: Upstream;
  let running: RunningGateway;
  let base: string;
  const changes: ResourceChange[] = [];

  beforeAll(async () => {
    upstream = await startUpstream();
    running = await startGateway(testConfig(webhookConfig(upstream.url)), { transport: 'http', port: 0 });
    base = running.url!.replace(/\/mcp$/, '');
    running.gateway.changes.subscribe((c) => changes.push(c));
  });
  afterAll(async () => {
    await running?.close();
    await upstream?.close();
  });

  it('a signed webhook evicts the cached entry and publishes the resource URI; a forged one is 401 and evicts nothing', async () => {
    const client = await connectV2(running.url!, 'legacy');
    try {
      const call = async () =>
        (await client.callTool({ name: 'get_assignment', arguments: { id: '1' } })) as CallResult;
      expect(source(await call())).toBe('upstream');
      expect(source(await call())).toBe('cache');
      expect(upstream.count('/assignments/1')).toBe(1);

      const forged = await post(`${base}/webhooks/assignments`, delivery('evt_forged', '1', FORGED_KEY));
      expect(forged.status).toBe(401);
      expect(forged.body.error).toBe('signature_mismatch');
      expect(source(await call())).toBe('cache');
      expect(changes).toEqual([]);

      // Changed behind the gateway's back, then announced by the upstream.
      upstream.assignments.get('1')!.title = 'Changed upstream';
      const signed = await post(`${base}/webhooks/assignments`, delivery('evt_1', '1'));
      expect(signed.status).toBe(200);
      expect(signed.body).toMatchObject({ ok: true, id: 'evt_1' });
      expect(changes).toMatchObject([
        { uri: 'assignments://1', event: 'assignment.updated', source: 'webhook' },
      ]);
      const fresh = await client.callTool({ name: 'get_assignment', arguments: { id: '1' } });
      expect(source(fresh as CallResult)).toBe('upstream');
      expect(fresh.structuredContent).toMatchObject({ title: 'Changed upstream' });
      expect(upstream.count('/assignments/1')).toBe(2);

      // The same event again is a duplicate: acknowledged, nothing evicted twice.
      const again = await post(`${base}/webhooks/assignments`, delivery('evt_1', '1'));
      expect(again.body).toMatchObject({ duplicate: true });
      expect(source(await call())).toBe('cache');
      expect(changes).toHaveLength(1);
      // conduit://health carries the same counts.
      expect(running.gateway.health.snapshot().webhooks).toEqual({
        assignments: { rejected: 1, accepted: 1, duplicate: 1 },
      });
    } finally {
      await client.close();
    }
  });

  it('webhook paths skip the MCP guards (any Host) but other paths stay 404', async () => {
    const res = await request(`${base}/webhooks/assignments`, {
      method: 'POST',
      body: '{}',
      headers: { 'content-type': 'application/json', host: 'hooks.example.com' },
    });
    expect(res.statusCode).toBe(401); // reached the receiver: refused for its missing signature
    await res.body.text();
    const other = await request(`${base}/elsewhere`);
    expect(other.statusCode).toBe(404);
    await other.body.text();
  });
});

describe("a webhook's key deletion and callers' private copies", () => {
  let upstream: Upstream;
  let running: RunningGateway;
  beforeAll(async () => {
    upstream = await startUpstream();
    const config = webhookConfig(upstream.url);
    const get = config.tools.find((t) => t.name === 'get_assignment')!;
    // Each caller's own copy under the same key, as behind a per-caller credential.
    get.cache = { ttl: 60_000, key: 'assignment:{id}', scope: 'private' };
    config.server = {
      ...config.server,
      http: {
        authTokens: [
          { token: 'alice-webhook-token-0123', sub: 'alice' },
          { token: 'bob-webhook-token-0123', sub: 'bob' },
        ],
      },
    };
    running = await startGateway(testConfig(config), { transport: 'http', port: 0 });
  });
  afterAll(async () => {
    await running?.close();
    await upstream?.close();
  });

  it("evicts every caller's copy of the key", async () => {
    const alice = await connectV2(running.url!, 'modern', {
      authorization: 'Bearer alice-webhook-token-0123',
    });
    const bob = await connectV2(running.url!, 'modern', { authorization: 'Bearer bob-webhook-token-0123' });
    try {
      const call = async (c: typeof alice) =>
        (await c.callTool({ name: 'get_assignment', arguments: { id: '1' } })) as CallResult;
      expect(source(await call(alice))).toBe('upstream');
      expect(source(await call(bob))).toBe('upstream'); // private: bob never gets alice's copy
      expect(source(await call(alice))).toBe('cache');
      expect(source(await call(bob))).toBe('cache');
      const base = running.url!.replace(/\/mcp$/, '');
      expect((await post(`${base}/webhooks/assignments`, delivery('evt_private', '1'))).status).toBe(200);
      expect(source(await call(alice))).toBe('upstream');
      expect(source(await call(bob))).toBe('upstream');
      expect(upstream.count('/assignments/1')).toBe(4);
    } finally {
      await alice.close();
      await bob.close();
    }
  });
});

describe('webhooks on the stdio side listener (spawned `conduit serve`)', () => {
  let upstream: Upstream;

  beforeAll(async () => {
    upstream = await startUpstream();
  });
  afterAll(async () => {
    await upstream?.close();
  });

  it('serves the webhook next to MCP on stdio and evicts the cached entry', async () => {
    const config = webhookConfig(upstream.url);
    config.server = { ...config.server, listener: { host: '127.0.0.1', port: 0 } };
    const transport = new StdioClientTransport({ ...serveCommand(writeConfig(config)), stderr: 'pipe' });
    let stderr = '';
    const listening = new Promise<string>((resolve) => {
      transport.stderr?.on('data', (chunk: Buffer) => {
        stderr += chunk.toString('utf8');
        const m = /"url":"(http:\/\/127\.0\.0\.1:\d+)"[^\n]*webhooks and metrics listening/.exec(stderr);
        if (m) resolve(m[1]!);
      });
    });
    const client = new Client({ name: 'stdio-webhooks', version: '1.0.0' });
    await client.connect(transport);
    try {
      const sideUrl = await listening;
      const call = async () =>
        (await client.callTool({ name: 'get_assignment', arguments: { id: '2' } })) as CallResult;
      expect(source(await call())).toBe('upstream');
      expect(source(await call())).toBe('cache');

      const forged = await post(`${sideUrl}/webhooks/assignments`, delivery('evt_s0', '2', FORGED_KEY));
      expect(forged.status).toBe(401);
      expect(source(await call())).toBe('cache');

      const signed = await post(`${sideUrl}/webhooks/assignments`, delivery('evt_s1', '2'));
      expect(signed.status).toBe(200);
      expect(source(await call())).toBe('upstream');
      expect(upstream.count('/assignments/2')).toBe(2);

      const scrape = await request(`${sideUrl}/metrics`);
      expect(scrape.statusCode).toBe(200);
      const text = await scrape.body.text();
      expect(text).toContain(
        'conduit_webhook_deliveries_total{endpoint="assignments",outcome="accepted",reason=""} 1',
      );
      expect(text).toContain(
        'conduit_webhook_deliveries_total{endpoint="assignments",outcome="rejected",reason="signature_mismatch"} 1',
      );
    } finally {
      await client.close();
    }
  });
});
