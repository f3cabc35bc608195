import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.js';
import { createRecordingLogger } from '../../src/core/index.js';
import { type RunningGateway, startGateway } from '../../src/mcp/index.js';
import { memoryTracing } from '../telemetry/memory-tracing.js';
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

describe('a webhook path built from the environment (a capability URL)', () => {
  const HOOK_TOKEN = 'hook-Cap4bility-9x';
  const leaks = (text: string) => text.toLowerCase().includes(HOOK_TOKEN.toLowerCase());

  it('is served at its path but names the endpoint in no metric label, span or log line', async () => {
    const upstream = await startUpstream();
    const logger = createRecordingLogger();
    const mem = memoryTracing();
    const yaml = `
upstreams:
  u: { baseUrl: "${upstream.url}" }
tools:
  - { name: ping, upstream: u, path: /assignments/1 }
webhooks:
  endpoints:
    - path: "/hooks/\${HOOK_TOKEN}"
      scheme: standard
      secrets: ["${SECRET}"]
      events: { "assignment.*": { notify: ["assignments://{data.id}"] } }
    - path: "/other/\${HOOK_TOKEN}"
      scheme: standard
      secrets: ["${SECRET}"]
      events: { "assignment.*": { notify: ["assignments://{data.id}"] } }
`;
    const config = parseConfig(yaml, { env: { HOOK_TOKEN } });
    const running = await startGateway(config, {
      transport: 'http',
      port: 0,
      logger,
      tracer: mem.tracing.tracer,
    });
    const base = running.url!.replace(/\/mcp$/, '');
    try {
      expect((await post(`${base}/hooks/${HOOK_TOKEN}`, delivery('evt_c1', '1'))).status).toBe(200);
      expect((await post(`${base}/other/${HOOK_TOKEN}`, delivery('evt_c1', '1'))).status).toBe(200);
      const forged = await post(`${base}/hooks/${HOOK_TOKEN}`, delivery('evt_c2', '1', FORGED_KEY));
      expect(forged.status).toBe(401);
      expect(leaks(JSON.stringify(forged.body))).toBe(false);
      const metrics = await (await request(`${base}/metrics`)).body.text();
      expect(metrics).toContain('conduit_webhook_deliveries_total{');
      expect(leaks(metrics)).toBe(false);
      // Two endpoints whose paths differ only in the secret still count apart.
      expect(
        metrics.match(/conduit_webhook_deliveries_total\{[^}]*outcome="accepted"[^}]*\} 1/g),
      ).toHaveLength(2);
      // Named by the path with the secret redacted (here all of it: the whole string is one too), and its place in the list.
      await mem.exporter.waitFor('webhook [REDACTED] #1');
      await mem.exporter.waitFor('webhook [REDACTED] #2');
      expect(leaks(JSON.stringify(mem.spans().map((s) => [s.name, s.attributes, s.status, s.events])))).toBe(
        false,
      );
      expect(leaks(JSON.stringify(logger.records))).toBe(false);
    } finally {
      await running.close();
      await mem.tracing.close();
      await upstream.close();
    }
  });
});
