import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { InMemoryTransport } from '@modelcontextprotocol/server';
import { createGateway, type RunningGateway, serveGatewayStdio, startGateway } from '../../src/mcp/index.js';
import { noopLogger } from '../../src/core/index.js';
import { loadConfig, parseConfig } from '../../src/config/index.js';
import { type GatewayConfigInput, testConfig } from '../helpers/gateway-config.js';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as TransportV1 } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { connectV1, connectV2 } from './helpers/clients.js';
import { type HeldUpstream, startHeldUpstream } from './helpers/held-upstream.js';
import { deferred } from '../helpers/deferred.js';
import { startUpstream } from './helpers/upstream.js';
import { connectStdio, resourcesConfig } from './resources-helpers.js';

interface CallResult {
  isError?: boolean;
  structuredContent?: Record<string, unknown>;
  content: { type: string; text?: string }[];
}

type AnyClient = {
  callTool(params: { name: string; arguments?: Record<string, unknown> }): Promise<unknown>;
  listTools(): Promise<{ tools: { name: string; description?: string }[] }>;
  close(): Promise<void>;
};

/** One upstream `u` at `url` and the tools named, each a GET of `/who`. */
function whoConfig(
  url: string,
  tools: { name: string; description?: string }[] = [{ name: 'who' }],
  extra: Partial<GatewayConfigInput> = {},
) {
  return testConfig({
    ...extra,
    upstreams: { u: { baseUrl: url, retry: { maxAttempts: 1 } } },
    tools: tools.map((t) => ({
      name: t.name,
      upstream: 'u',
      method: 'GET' as const,
      path: '/who',
      ...(t.description ? { description: t.description } : {}),
      input: { type: 'object', properties: {} },
    })),
  });
}

/** Where an answer came from: the held upstream's label. */
function fromOf(result: unknown): string {
  const r = result as CallResult;
  if (r.isError) throw new Error(`the call failed: ${r.content.map((c) => c.text).join(' ')}`);
  const text = r.content.find((c) => c.type === 'text')?.text ?? '';
  return (JSON.parse(text) as { from: string }).from;
}

const upstreams: HeldUpstream[] = [];
let running: RunningGateway | undefined;
const clients: AnyClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) await c.close().catch(() => {});
  await running?.close();
  running = undefined;
  for (const u of upstreams.splice(0)) await u.close();
});

async function held(label: string): Promise<HeldUpstream> {
  const u = await startHeldUpstream(label);
  upstreams.push(u);
  return u;
}

describe('hot reload over Streamable HTTP', () => {
  it('calls in flight across several reloads all succeed: each is answered by the upstream in force when it started', async () => {
    const a = await held('A');
    const b = await held('B');
    running = await startGateway(whoConfig(a.url), { transport: 'http', port: 0 });
    const url = running.url!;
    clients.push(
      (await connectV2(url, 'legacy')) as AnyClient,
      (await connectV2(url, 'modern')) as AnyClient,
      (await connectV1(url)) as unknown as AnyClient,
    );
    const batch = () => clients.flatMap((c) => [0, 1].map(() => c.callTool({ name: 'who', arguments: {} })));

    const first = batch();
    await a.received(6);
    const toB = await running.gateway.reload(whoConfig(b.url));
    expect(toB.outcome).toBe('applied');
    expect(toB.upstreams?.changed).toEqual(['u']);

    const second = batch();
    await b.received(6);
    expect(a.count).toBe(6);
    const backToA = await running.gateway.reload(
      whoConfig(a.url, [{ name: 'who', description: 'Who answers' }]),
    );
    expect(backToA.outcome).toBe('applied');
    expect(backToA.tools.changed).toEqual(['who']);

    const third = batch();
    await a.received(12);
    expect(b.count).toBe(6);
    a.releaseAll();
    b.releaseAll();
    const answers = await Promise.all([first, second, third].map((calls) => Promise.all(calls)));
    expect(answers.map((calls) => calls.map(fromOf))).toEqual([
      Array(6).fill('A'),
      Array(6).fill('B'),
      Array(6).fill('A'),
    ]);
    // The client of B was retired by the second reload: closed once its calls were answered.
    await b.socketsClosed();
    expect(b.openSockets).toBe(0);
  });
});

/**
 * A fetch that resolves `open` once the 2025 session's standalone SSE stream (the GET) is answered:
 * from then on the server can push notifications outside a request.
 */
function watchedFetch() {
  let resolve!: () => void;
  const open = new Promise<void>((r) => {
    resolve = r;
  });
  const fetchFn = async (input: string | URL | Request, init?: RequestInit) => {
    const res = await fetch(input, init);
    if ((init?.method ?? 'GET') === 'GET' && res.ok) resolve();
    return res;
  };
  return { fetch: fetchFn, open };
}

/** 2025-era sessions of both SDKs whose notification stream is known to be open. */
async function connectLegacy(url: string, sdk: 'v2' | 'v1') {
  const watched = watchedFetch();
  if (sdk === 'v2') {
    const client = new Client({ name: 'reload-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(url), { fetch: watched.fetch }));
    await watched.open;
    return client;
  }
  const client = new ClientV1({ name: 'reload-test-v1', version: '1.0.0' });
  await client.connect(new TransportV1(new URL(url), { fetch: watched.fetch }));
  await watched.open;
  return client;
}

/** Resolves on the next notification pushed into it. */
class Inbox {
  count = 0;
  private waiters: (() => void)[] = [];
  push(): void {
    this.count++;
    for (const w of this.waiters.splice(0)) w();
  }
  next(): Promise<void> {
    const at = this.count;
    return new Promise((resolve) => {
      if (this.count > at) resolve();
      else this.waiters.push(resolve);
    });
  }
}

describe('a reload seen by connected clients', () => {
  it('2025 sessions (SDK v2 and v1) and a 2026-07-28 listen stream hear tools/list_changed; tools/list shows the new tool', async () => {
    const a = await held('A');
    running = await startGateway(whoConfig(a.url), { transport: 'http', port: 0 });
    const url = running.url!;
    const { ToolListChangedNotificationSchema } = await import('@modelcontextprotocol/sdk/types.js');
    const v2 = (await connectLegacy(url, 'v2')) as Client;
    const v1 = (await connectLegacy(url, 'v1')) as ClientV1;
    const modern = await connectV2(url, 'modern');
    clients.push(v2 as AnyClient, v1 as unknown as AnyClient, modern as AnyClient);
    const inboxes = { v2: new Inbox(), v1: new Inbox(), modern: new Inbox() };
    v2.setNotificationHandler('notifications/tools/list_changed', () => inboxes.v2.push());
    v1.setNotificationHandler(ToolListChangedNotificationSchema, () => inboxes.v1.push());
    modern.setNotificationHandler('notifications/tools/list_changed', () => inboxes.modern.push());
    const sub = await modern.listen({ toolsListChanged: true });
    const heard = [inboxes.v2.next(), inboxes.v1.next(), inboxes.modern.next()];

    const report = await running.gateway.reload(whoConfig(a.url, [{ name: 'who' }, { name: 'who_else' }]));
    expect(report.outcome).toBe('applied');
    expect(report.tools).toEqual({ added: ['who_else'], removed: [], changed: [] });
    await Promise.all(heard);
    for (const client of [v2, v1, modern] as AnyClient[]) {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name).sort()).toEqual(['who', 'who_else']);
    }
    const call = v1.callTool({ name: 'who_else', arguments: {} });
    await a.received(1);
    a.releaseAll();
    expect(fromOf(await call)).toBe('A');
    await sub.close();
  });

  it('a removed tool leaves the list of a connected session; an unchanged config changes nothing', async () => {
    const a = await held('A');
    running = await startGateway(whoConfig(a.url, [{ name: 'who' }, { name: 'gone' }]), {
      transport: 'http',
      port: 0,
    });
    const client = (await connectLegacy(running.url!, 'v2')) as Client;
    clients.push(client as AnyClient);
    const same = await running.gateway.reload(whoConfig(a.url, [{ name: 'who' }, { name: 'gone' }]));
    expect(same.outcome).toBe('unchanged');
    const inbox = new Inbox();
    client.setNotificationHandler('notifications/tools/list_changed', () => inbox.push());
    const heard = inbox.next();
    const report = await running.gateway.reload(whoConfig(a.url));
    expect(report.tools.removed).toEqual(['gone']);
    await heard;
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['who']);
    expect(running.gateway.toolNames).toEqual(['who']);
  });

  it('a reload to another server.toolListing changes every listed definition, and a connected session hears it', async () => {
    const a = await held('A');
    running = await startGateway(whoConfig(a.url), { transport: 'http', port: 0 });
    const client = (await connectLegacy(running.url!, 'v2')) as Client;
    clients.push(client as AnyClient);
    const before = (await client.listTools()).tools[0]!;
    expect(before.annotations).toEqual({ readOnlyHint: true });
    expect(before.inputSchema.additionalProperties).toBeUndefined();
    const inbox = new Inbox();
    client.setNotificationHandler('notifications/tools/list_changed', () => inbox.push());
    const heard = inbox.next();
    const next = whoConfig(a.url);
    next.server.toolListing = 'explicit';
    const report = await running.gateway.reload(next);
    expect(report.tools).toEqual({ added: [], removed: [], changed: ['who'] });
    await heard;
    const after = (await client.listTools()).tools[0]!;
    expect(after.annotations).toEqual({ readOnlyHint: true, destructiveHint: false, openWorldHint: true });
    expect(after.inputSchema.additionalProperties).toBe(false);
  });

  it('a restart-only key is refused, naming the key; the running tools keep answering', async () => {
    const a = await held('A');
    running = await startGateway(whoConfig(a.url), { transport: 'http', port: 0 });
    const next = whoConfig(a.url, [{ name: 'who' }, { name: 'other' }]);
    next.server.http.path = '/elsewhere';
    next.cache.prefix = 'other';
    const report = await running.gateway.reload(next);
    expect(report.outcome).toBe('refused');
    expect(report.problems.map((p) => p.path)).toEqual(['server.http.path', 'cache.prefix']);
    expect(report.problems[0]?.message).toMatch(/restart/);
    const client = await connectV2(running.url!, 'legacy');
    clients.push(client as AnyClient);
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['who']);
    const call = client.callTool({ name: 'who', arguments: {} });
    await a.received(1);
    a.releaseAll();
    expect(fromOf(await call)).toBe('A');
  });
});

describe('what a reload keeps', () => {
  it('an unchanged upstream keeps its breaker state and the cache keeps its entries', async () => {
    const hits = { item: 0, fail: 0 };
    const server = createServer((req, res) => {
      const item = req.url === '/item';
      if (item) hits.item++;
      else hits.fail++;
      res.writeHead(item ? 200 : 500, { 'content-type': 'application/json' });
      res.end(JSON.stringify(item ? { n: hits.item } : { error: 'down' }));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const config = (extra: string[]) =>
      testConfig({
        upstreams: {
          u: { baseUrl: url, retry: { maxAttempts: 1 }, breaker: { failureThreshold: 2, recovery: 600_000 } },
        },
        tools: [
          { name: 'item', upstream: 'u', method: 'GET', path: '/item', cache: { ttl: 600_000 } },
          { name: 'fail', upstream: 'u', method: 'GET', path: '/fail' },
          ...extra.map((name) => ({ name, upstream: 'u', method: 'GET' as const, path: '/item' })),
        ],
      });
    try {
      running = await startGateway(config([]), { transport: 'http', port: 0 });
      const client = await connectV2(running.url!, 'legacy');
      clients.push(client as AnyClient);
      const call = (name: string) =>
        client.callTool({ name, arguments: {} }) as Promise<
          CallResult & { _meta?: Record<string, { code?: string }> }
        >;
      expect(JSON.parse((await call('item')).content[0]!.text!)).toEqual({ n: 1 });
      await call('fail');
      await call('fail');
      expect(hits.fail).toBe(2);

      const report = await running.gateway.reload(config(['extra']));
      expect(report).toMatchObject({ outcome: 'applied', upstreams: { kept: ['u'] } });
      expect(report.tools.added).toEqual(['extra']);

      const refused = await call('fail');
      expect(refused._meta?.['conduit/error']?.code).toBe('CIRCUIT_OPEN');
      expect(hits.fail).toBe(2);
      expect(JSON.parse((await call('item')).content[0]!.text!)).toEqual({ n: 1 });
      expect(hits.item).toBe(1);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});

describe('what a reload keeps of an OpenAPI upstream', () => {
  it('an upstream whose openapi section alone changed keeps its client and breaker state; its tools are read anew', async () => {
    let failed = 0;
    const server = createServer((req, res) => {
      if (req.url !== '/item') failed++;
      res.writeHead(req.url === '/item' ? 200 : 500, { 'content-type': 'application/json' });
      res.end(JSON.stringify(req.url === '/item' ? { ok: true } : { error: 'down' }));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const dir = mkdtempSync(join(tmpdir(), 'conduit-reload-openapi-'));
    const operation = (operationId: string) => ({
      get: {
        operationId,
        summary: `Get ${operationId}`,
        description: `Reads the ${operationId}.`,
        responses: { '200': { description: 'ok' } },
      },
    });
    writeFileSync(
      join(dir, 'api.json'),
      JSON.stringify({
        openapi: '3.0.3',
        info: { title: 'Items', version: '1' },
        paths: { '/item': operation('getItem'), '/fail': operation('getFail') },
      }),
    );
    const load = async (titles: boolean) => {
      const file = join(dir, 'conduit.yaml');
      const baseUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
      const upstream = {
        baseUrl,
        retry: { maxAttempts: 1 },
        breaker: { failureThreshold: 2, recovery: 600_000 },
        openapi: { document: './api.json', titles },
      };
      writeFileSync(file, stringify({ upstreams: { u: upstream } }));
      return loadConfig(file, { env: {} });
    };
    try {
      running = await startGateway(await load(false), { transport: 'http', port: 0 });
      const client = await connectV2(running.url!, 'legacy');
      clients.push(client as AnyClient);
      const call = (name: string) =>
        client.callTool({ name, arguments: {} }) as Promise<
          CallResult & { _meta?: Record<string, { code?: string }> }
        >;
      const titleOf = async () => (await client.listTools()).tools.find((t) => t.name === 'getItem')?.title;
      expect(await titleOf()).toBeUndefined();
      await call('getFail');
      await call('getFail');
      expect(failed).toBe(2);

      const report = await running.gateway.reload(await load(true));
      expect(report).toMatchObject({ outcome: 'applied', upstreams: { kept: ['u'], changed: [] } });
      expect(await titleOf()).toBe('Get getItem');
      const refused = await call('getFail');
      expect(refused._meta?.['conduit/error']?.code).toBe('CIRCUIT_OPEN');
      expect(failed).toBe(2);
    } finally {
      server.closeAllConnections();
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a reloaded policy', () => {
  it('applies to the next call and the next tools/list of a connected session', async () => {
    const a = await held('A');
    const withPolicy = (allowed: string[]) => {
      return whoConfig(a.url, [{ name: 'who' }, { name: 'who_else' }], {
        server: { operator: { sub: 'alice', scopes: ['read'] } },
        policy: { default: 'deny', rules: [{ tools: allowed, when: { scopes: ['read'] } }] },
      });
    };
    const gw = createGateway(withPolicy(['who']));
    const [serverSide, clientSide] = InMemoryTransport.createLinkedPair();
    await gw.createServer().connect(serverSide);
    const client = new Client({ name: 'policy-test', version: '1' });
    await client.connect(clientSide);
    try {
      expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['who']);
      const refused = (await client.callTool({ name: 'who_else', arguments: {} })) as CallResult & {
        _meta?: Record<string, { code?: string }>;
      };
      expect(refused._meta?.['conduit/error']?.code).toBe('POLICY_DENIED');

      const report = await gw.reload(withPolicy(['who_else']));
      expect(report.outcome).toBe('applied');
      expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['who_else']);
      const call = client.callTool({ name: 'who_else', arguments: {} });
      await a.received(1);
      a.releaseAll();
      expect(fromOf(await call)).toBe('A');
    } finally {
      await client.close();
      await gw.close();
    }
  });
});

describe('resource reads after a reload', () => {
  it("a read checks its URI against the input of the template's tool in force, not the one the gateway started with", async () => {
    const upstream = await startUpstream();
    const gw = createGateway(testConfig(resourcesConfig(upstream.url)));
    const session = await connectStdio(gw, 'v2-legacy');
    try {
      const tightened = resourcesConfig(upstream.url);
      tightened.tools.find((t) => t.name === 'get_assignment')!.input = {
        type: 'object',
        properties: { id: { type: 'string', pattern: '^[0-9]+$' } },
        required: ['id'],
        additionalProperties: false,
      };
      expect((await gw.reload(testConfig(tightened))).outcome).toBe('applied');
      const before = upstream.count('/assignments/abc');
      const refused = await session
        .client!.readResource({ uri: 'assignments://abc' })
        .catch((e: unknown) => e);
      expect((refused as { code?: number }).code).toBe(-32602);
      expect(upstream.count('/assignments/abc')).toBe(before);
      const ok = await session.client!.readResource({ uri: 'assignments://1' });
      expect(ok.contents[0]?.uri).toBe('assignments://1');
    } finally {
      await session.close();
      await gw.close();
      await upstream.close();
    }
  });
});

describe('the metrics after a reload', () => {
  it('a removed upstream leaves conduit_breaker_state; a kept one stays in it and keeps moving', async () => {
    const failing = createServer((_req, res) => {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end('{"error":"down"}');
    });
    failing.listen(0, '127.0.0.1');
    await once(failing, 'listening');
    const url = `http://127.0.0.1:${(failing.address() as { port: number }).port}`;
    const upstream = (name: string, baseUrl = url) => ({
      baseUrl,
      retry: { maxAttempts: 1 },
      breaker: {
        scope: name.startsWith('r_') ? ('route' as const) : ('upstream' as const),
        failureThreshold: 1,
        recovery: 600_000,
      },
    });
    const config = (names: string[], changedUrl = url) =>
      testConfig({
        upstreams: Object.fromEntries(names.map((n) => [n, upstream(n, n === 'changed' ? changedUrl : url)])),
        tools: names.map((n) => ({ name: `t_${n}`, upstream: n, method: 'GET' as const, path: '/who' })),
      });
    const gw = createGateway(config(['kept', 'changed', 'gone', 'r_gone', 'r_kept']));
    const [serverSide, clientSide] = InMemoryTransport.createLinkedPair();
    await gw.createServer().connect(serverSide);
    const client = new Client({ name: 'metrics-test', version: '1' });
    await client.connect(clientSide);
    try {
      const states = async () =>
        Object.fromEntries(
          (await gw.metrics!.metrics())
            .split('\n')
            .filter((l) => l.startsWith('conduit_breaker_state{'))
            .map((l) => [/upstream="([^"]+)"/.exec(l)![1], Number(l.split(' ').at(-1))]),
        );
      expect(Object.keys(await states()).sort()).toEqual(['changed', 'gone', 'kept', 'r_gone', 'r_kept']);
      const report = await gw.reload(config(['kept', 'changed', 'r_kept'], `${url}/v2`));
      expect(report.upstreams).toMatchObject({
        kept: ['kept', 'r_kept'],
        changed: ['changed'],
        removed: ['gone', 'r_gone'],
      });
      await report.retired;
      expect(await states()).toEqual({ kept: 0, changed: 0, r_kept: 0 });
      await client.callTool({ name: 't_kept', arguments: {} });
      await client.callTool({ name: 't_changed', arguments: {} });
      expect(await states()).toEqual({ kept: 2, changed: 2, r_kept: 0 });
    } finally {
      await client.close();
      await gw.close();
      failing.closeAllConnections();
      failing.close();
    }
  });
});

describe('secrets after a reload', () => {
  it('a new value from the environment sent to a kept upstream is scrubbed, in every encoding it echoes, from tool errors, logs and metrics', async () => {
    const echoing = createServer((req, res) => {
      const key = new URL(req.url ?? '/', 'http://x').searchParams.get('tenant_key') ?? '';
      res.writeHead(500, { 'content-type': 'application/json' });
      // An upstream that quotes what it was sent, as some do in their errors.
      const body = JSON.stringify({
        raw: key,
        url: req.url,
        upper: key.toUpperCase(),
        base64: Buffer.from(key).toString('base64'),
        plus: encodeURIComponent(key).replace(/%20/g, '+'),
      });
      // Some serialisers write a slash as `\/`.
      res.end(`${body.slice(0, -1)},"escaped":${JSON.stringify(key).replace(/\//g, '\\/')}}`);
    });
    echoing.listen(0, '127.0.0.1');
    await once(echoing, 'listening');
    const url = `http://127.0.0.1:${(echoing.address() as { port: number }).port}`;
    const yaml = (tools: string[]) =>
      [
        'upstreams:',
        `  u: { baseUrl: "${url}", retry: { maxAttempts: 1 } }`,
        'tools:',
        ...tools.map(
          (t) =>
            `  - { name: ${t}, upstream: u, method: GET, path: /who, fixed: { tenant_key: "\${${t.toUpperCase()}_KEY}" } }`,
        ),
      ].join('\n');
    const OLD = 'tenant/old key 0001';
    const NEW = 'tenant/new key 0002';
    const ADDED = 'added/secret 0003';
    const { createRecordingLogger } = await import('../../src/core/index.js');
    const logger = createRecordingLogger();
    const gw = createGateway(parseConfig(yaml(['first']), { env: { FIRST_KEY: OLD } }), { logger });
    const [serverSide, clientSide] = InMemoryTransport.createLinkedPair();
    await gw.createServer().connect(serverSide);
    const client = new Client({ name: 'secrets-test', version: '1' });
    await client.connect(clientSide);
    try {
      const report = await gw.reload(
        parseConfig(yaml(['first', 'second']), { env: { FIRST_KEY: NEW, SECOND_KEY: ADDED } }),
      );
      expect(report).toMatchObject({ outcome: 'applied', upstreams: { kept: ['u'] } });
      const results = [
        await client.callTool({ name: 'first', arguments: {} }),
        await client.callTool({ name: 'second', arguments: {} }),
      ];
      expect(results.every((r) => (r as CallResult).isError)).toBe(true);
      const seen = JSON.stringify(results) + JSON.stringify(logger.records) + (await gw.metrics!.metrics());
      expect(seen).toContain('[REDACTED]');
      for (const secret of [OLD, NEW, ADDED]) {
        const forms = [
          secret,
          secret.toUpperCase(),
          encodeURIComponent(secret),
          encodeURIComponent(secret).replace(/%20/g, '+'),
          Buffer.from(secret).toString('base64'),
        ];
        for (const form of forms) expect(seen.toLowerCase()).not.toContain(form.toLowerCase());
        // The words of the secret, wherever the encoding splits them.
        expect(seen).not.toMatch(/key 000|key\+000|key%20000/i);
      }
    } finally {
      await client.close();
      await gw.close();
      echoing.closeAllConnections();
      echoing.close();
    }
  });
});

describe('a reload that cannot be built', () => {
  it('its problem and its log line quote no value from the environment (a TLS file under a directory from the environment)', async () => {
    const CERT_DIR = '/srv/reload-certs-8m3x';
    const { createRecordingLogger } = await import('../../src/core/index.js');
    const logger = createRecordingLogger();
    const a = await held('A');
    const yaml = (tls: string) =>
      `upstreams:\n  u: { baseUrl: "${a.url}"${tls} }\ntools:\n  - { name: who, upstream: u, path: /who }\n`;
    const gw = createGateway(parseConfig(yaml(''), { env: {} }), { logger });
    try {
      const report = await gw.reload(
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the config's own ${ENV} syntax
        parseConfig(yaml(', tls: { caFile: "${CERT_DIR}/ca.pem" }'), { env: { CERT_DIR } }),
      );
      expect(report.outcome).toBe('failed');
      expect(report.problems[0]?.message).toMatch(/tls\.caFile: cannot read/);
      const seen = JSON.stringify(report.problems) + JSON.stringify(logger.records);
      expect(seen).toContain('[REDACTED]');
      expect(seen.toLowerCase()).not.toContain(CERT_DIR.toLowerCase());
      expect(seen.toLowerCase()).not.toContain(encodeURIComponent(CERT_DIR).toLowerCase());
    } finally {
      await gw.close();
    }
  });
});

describe('shared-breaker connections across reloads', () => {
  it('adding, changing and removing shared-breaker upstreams reuses the two breaker connections; the last one removed closes them', async () => {
    const { startRedis } = await import('../helpers/redis-server.js');
    const { Redis } = await import('ioredis');
    const redis = await startRedis();
    const admin = new Redis(redis.url);
    const a = await held('A');
    const config = (shared: Record<string, string>) =>
      testConfig({
        cache: { prefix: 'rl', redis: { url: redis.url } },
        upstreams: {
          plain: { baseUrl: a.url },
          ...Object.fromEntries(
            Object.entries(shared).map(([name, path]) => [
              name,
              { baseUrl: `${a.url}${path}`, breaker: { shared: true, scope: 'upstream' as const } },
            ]),
          ),
        },
        tools: [{ name: 'who', upstream: 'plain', method: 'GET' as const, path: '/who' }],
      });
    // Connections of others than `admin`; the server drops a closed one on its next event loop turn,
    // so a count that should fall is read again until it does (each read is a round trip, no sleep).
    const count = async () => ((await admin.call('CLIENT', 'LIST')) as string).trim().split('\n').length - 1;
    const connections = async (expected: number) => {
      let n = await count();
      for (let i = 0; i < 50 && n !== expected; i++) n = await count();
      return n;
    };
    const gw = createGateway(config({ s1: '' }));
    try {
      await gw.ready();
      const base = await count();
      const steps: Record<string, string>[] = [
        { s1: '', s2: '' },
        { s1: '', s2: '/v2' },
        { s1: '/v2', s2: '/v2', s3: '' },
        { s1: '/v2' },
        { s1: '', s4: '' },
      ];
      for (const step of [...steps, ...steps]) {
        const report = await gw.reload(config(step));
        expect(report.outcome).toBe('applied');
        await report.retired;
        expect(await connections(base)).toBe(base);
      }
      const none = await gw.reload(config({}));
      await none.retired;
      expect(await connections(base - 2)).toBe(base - 2);
      const again = await gw.reload(config({ s5: '' }));
      await again.retired;
      expect(await connections(base)).toBe(base);
    } finally {
      await gw.close();
      admin.disconnect();
      await redis.stop();
    }
  });
});

describe('the in-flight cap across a reload', () => {
  it('calls running on the old config count against upstreams.<name>.inFlight of the new one: a call over the cap is refused and never reaches the upstream', async () => {
    const a = await held('A');
    const config = (description: string, max = 2) =>
      testConfig({
        upstreams: {
          u: { baseUrl: a.url, retry: { maxAttempts: 1 }, inFlight: { max, perTool: max, queuePerTool: 0 } },
        },
        tools: [{ name: 'who', description, upstream: 'u', method: 'GET' as const, path: '/who' }],
      });
    const gw = createGateway(config('first'));
    const [serverSide, clientSide] = InMemoryTransport.createLinkedPair();
    await gw.createServer().connect(serverSide);
    const client = new Client({ name: 'in-flight-test', version: '1' });
    await client.connect(clientSide);
    const call = () =>
      client.callTool({ name: 'who', arguments: {} }) as Promise<
        CallResult & { _meta?: Record<string, { code?: string }> }
      >;
    try {
      const running = [call(), call()];
      await a.received(2);
      const report = await gw.reload(config('second'));
      expect(report).toMatchObject({
        outcome: 'applied',
        upstreams: { kept: ['u'] },
        tools: { changed: ['who'] },
      });
      // Over the cap: refused at once, or (the defect) sent upstream, where it is held.
      const over = await Promise.race([call(), a.received(3).then(() => 'reached the upstream')]);
      expect(over).toMatchObject({
        isError: true,
        _meta: { 'conduit/error': { code: 'BULKHEAD_REJECTED' } },
      });
      // A lower cap counts the running calls too; a higher one admits at once.
      expect((await gw.reload(config('second', 1))).outcome).toBe('applied');
      const under = await Promise.race([call(), a.received(3).then(() => 'reached the upstream')]);
      expect(under).toMatchObject({ _meta: { 'conduit/error': { code: 'BULKHEAD_REJECTED' } } });
      expect((await gw.reload(config('second', 3))).outcome).toBe('applied');
      const admitted = call();
      await a.received(3);
      a.releaseAll();
      expect((await Promise.all([...running, admitted])).map(fromOf)).toEqual(['A', 'A', 'A']);
    } finally {
      await client.close();
      await gw.close();
    }
  });
});

describe('cached answers across a reload that changes a tool', () => {
  /** An upstream answering `{ path, n }`: which path was asked, and how many requests it has seen. */
  async function countingUpstream() {
    let n = 0;
    const server = createServer((req, res) => {
      n++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ path: req.url, n }));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    return {
      url,
      requests: () => n,
      close: () => {
        server.closeAllConnections();
        server.close();
      },
    };
  }
  const config = (url: string, itemPath: string, otherDescription: string) =>
    testConfig({
      upstreams: { u: { baseUrl: url, retry: { maxAttempts: 1 } } },
      tools: [
        { name: 'item', upstream: 'u', method: 'GET', path: itemPath, cache: { ttl: 600_000 } },
        {
          name: 'other',
          upstream: 'u',
          method: 'GET',
          path: '/other',
          description: otherDescription,
          cache: { ttl: 600_000 },
        },
      ],
    });
  const answer = (r: unknown) =>
    JSON.parse((r as CallResult).content[0]!.text!) as { path: string; n: number };

  it('a tool whose request changed answers from its new request, not the old one’s cached answer; a tool whose description changed keeps its entries', async () => {
    const upstream = await countingUpstream();
    try {
      running = await startGateway(config(upstream.url, '/v1/item', 'Other.'), {
        transport: 'http',
        port: 0,
      });
      const client = await connectV2(running.url!, 'legacy');
      clients.push(client as AnyClient);
      const call = (name: string) => client.callTool({ name, arguments: {} });
      expect(answer(await call('item'))).toEqual({ path: '/v1/item', n: 1 });
      expect(answer(await call('other'))).toEqual({ path: '/other', n: 2 });

      const report = await running.gateway.reload(
        config(upstream.url, '/v2/item', 'Other, described better.'),
      );
      expect(report).toMatchObject({ outcome: 'applied' });
      expect([...report.tools.changed].sort()).toEqual(['item', 'other']);

      expect(answer(await call('item'))).toEqual({ path: '/v2/item', n: 3 });
      expect(answer(await call('other'))).toEqual({ path: '/other', n: 2 });
      expect(upstream.requests()).toBe(3);
    } finally {
      upstream.close();
    }
  });
  it('a reload to another server.toolListing re-lists the tools and keeps their cached answers', async () => {
    const upstream = await countingUpstream();
    try {
      running = await startGateway(config(upstream.url, '/item', 'Other.'), { transport: 'http', port: 0 });
      const client = await connectV2(running.url!, 'legacy');
      clients.push(client as AnyClient);
      const call = (name: string) => client.callTool({ name, arguments: {} });
      expect(answer(await call('item'))).toEqual({ path: '/item', n: 1 });
      const next = config(upstream.url, '/item', 'Other.');
      next.server.toolListing = 'explicit';
      const report = await running.gateway.reload(next);
      expect(report).toMatchObject({ outcome: 'applied', upstreams: { kept: ['u'] } });
      expect([...report.tools.changed].sort()).toEqual(['item', 'other']);
      expect(answer(await call('item'))).toEqual({ path: '/item', n: 1 });
      expect(upstream.requests()).toBe(1);
    } finally {
      upstream.close();
    }
  });

  it('a reload that changes the user the upstream is called as answers from the upstream, not the other user’s cached answer', async () => {
    const upstream = await countingUpstream();
    const asUser = (username: string) =>
      testConfig({
        upstreams: {
          u: {
            baseUrl: upstream.url,
            auth: { type: 'basic', username, password: 'pw' },
            retry: { maxAttempts: 1 },
          },
        },
        tools: [{ name: 'item', upstream: 'u', method: 'GET', path: '/item', cache: { ttl: 600_000 } }],
      });
    try {
      running = await startGateway(asUser('alice'), { transport: 'http', port: 0 });
      const client = await connectV2(running.url!, 'legacy');
      clients.push(client as AnyClient);
      const call = () => client.callTool({ name: 'item', arguments: {} });
      expect(answer(await call()).n).toBe(1);
      expect(answer(await call()).n).toBe(1);

      expect(await running.gateway.reload(asUser('bob'))).toMatchObject({ outcome: 'applied' });
      expect(answer(await call()).n).toBe(2);
      expect(upstream.requests()).toBe(2);
    } finally {
      upstream.close();
    }
  });
});

describe('cached answers across instances on different configs (a rolling deploy)', () => {
  it('instances sharing Redis serve each definition its own answers; a rotated header secret from the environment keeps the entries and is not in any key', async () => {
    const { startRedis } = await import('../helpers/redis-server.js');
    const { Redis } = await import('ioredis');
    const redis = await startRedis();
    const admin = new Redis(redis.url);
    const seen: { path: string; key: string }[] = [];
    const server = createServer((req, res) => {
      seen.push({ path: req.url!, key: String(req.headers['x-api-key']) });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ path: req.url, n: seen.length }));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const yamlFor = (itemPath: string) => `
cache: { prefix: roll, redis: { url: "${redis.url}" } }
upstreams:
  u: { baseUrl: "${url}", headers: { x-api-key: "\${API_KEY}" }, retry: { maxAttempts: 1 } }
tools:
  - { name: item, upstream: u, method: GET, path: ${itemPath}, cache: { ttl: 10m } }
`;
    const gateways: RunningGateway[] = [];
    const start = async (itemPath: string, apiKey: string) => {
      const config = parseConfig(yamlFor(itemPath), { env: { API_KEY: apiKey } });
      const gw = await startGateway(config, { transport: 'http', port: 0 });
      gateways.push(gw);
      const client = await connectV2(gw.url!, 'legacy');
      clients.push(client as AnyClient);
      return () => client.callTool({ name: 'item', arguments: {} });
    };
    try {
      const oldOne = await start('/v1/item', 'key-old-4f1c9a');
      const newOne = await start('/v2/item', 'key-old-4f1c9a');
      const rotated = await start('/v1/item', 'key-new-77d02e');
      const body = (r: unknown) => JSON.parse((r as CallResult).content[0]!.text!) as { path: string };

      expect(body(await oldOne()).path).toBe('/v1/item');
      expect(body(await newOne()).path).toBe('/v2/item');
      expect(body(await rotated()).path).toBe('/v1/item');
      expect(body(await oldOne()).path).toBe('/v1/item');
      expect(body(await newOne()).path).toBe('/v2/item');
      expect(seen.map((s) => s.path)).toEqual(['/v1/item', '/v2/item']);

      const keys = (await admin.keys('*')).join('\n');
      expect(keys).toContain('item@');
      for (const secret of ['key-old-4f1c9a', 'key-new-77d02e'])
        for (const form of [secret, encodeURIComponent(secret), Buffer.from(secret).toString('base64')])
          expect(keys).not.toContain(form);
    } finally {
      for (const gw of gateways) await gw.close();
      await admin.quit();
      await redis.stop();
      server.closeAllConnections();
      server.close();
    }
  });
});

describe('reloads in a row while a call runs', () => {
  it('a client kept by one reload and retired by the next stays open for calls still running on the config before both', async () => {
    // `/who` answers 503 to the first request, once released, and 200 to every later one.
    const firstArrived = deferred<void>();
    const releaseFirst = deferred<void>();
    let requests = 0;
    const server = createServer((req, res) => {
      req.resume();
      const n = ++requests;
      const answer = (status: number) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ from: 'u', n }));
      };
      if (n > 1) return answer(200);
      firstArrived.resolve();
      void releaseFirst.promise.then(() => answer(503));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const config = (vHeader: string, uHeader: string) =>
      testConfig({
        upstreams: {
          u: { baseUrl: url, headers: { 'x-u': uHeader }, retry: { maxAttempts: 2, baseDelay: 1 } },
          v: { baseUrl: url, headers: { 'x-v': vHeader } },
        },
        tools: [{ name: 'who', upstream: 'u', method: 'GET' as const, path: '/who' }],
      });
    const gateway = createGateway(config('1', '1'));
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    serveGatewayStdio(gateway, { logger: noopLogger, transport: serverSide });
    const client = new Client({ name: 'reload-in-a-row', version: '1.0.0' });
    await client.connect(clientSide);
    try {
      const call = client.callTool({ name: 'who', arguments: {} });
      await firstArrived.promise;
      // Only v changes: u's client is kept. Then u changes: the next config gets a new client of u.
      const keepU = await gateway.reload(config('2', '1'));
      expect(keepU.upstreams).toMatchObject({ changed: ['v'], kept: ['u'] });
      const changeU = await gateway.reload(config('2', '2'));
      expect(changeU.upstreams).toMatchObject({ changed: ['u'] });
      releaseFirst.resolve();
      // The running call's retry goes out on the client it started on.
      const result = (await call) as CallResult;
      expect(result.isError).toBeFalsy();
      expect(requests).toBe(2);
    } finally {
      await client.close();
      await gateway.close();
      server.closeAllConnections();
      server.close();
    }
  });
});
