import { once } from 'node:events';
import { connect } from 'node:net';
import { Redis } from 'ioredis';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningGateway, startGateway } from '../../src/mcp/index.js';
import type { ResourceChange } from '../../src/mcp/resources/change-feed.js';
import { type RedisHandle, startRedis } from '../helpers/redis-server.js';
import { assignmentUpdated } from '../helpers/standard-webhook.js';
import { ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { connectV1, connectV2 } from '../mcp/helpers/clients.js';
import { assignmentsConfig } from '../mcp/helpers/config.js';
import { startUpstream, type Upstream } from '../mcp/helpers/upstream.js';
import { testConfig } from '../helpers/gateway-config.js';
import { resourcesConfig, UpdateInbox } from '../mcp/resources-helpers.js';
import { countedFeed, openSession, rawRequest, sessionHeaders } from './helpers.js';

/** A hostile (or merely repeating) webhook sender against whole gateways on real listeners. */

const KEY = Buffer.from('hostile-sender-webhook-key-01234');
const SECRET = `whsec_${KEY.toString('base64')}`;

type CallResult = { _meta?: Record<string, unknown> };
const source = (r: unknown) =>
  ((r as CallResult)._meta?.['conduit/cache'] as { source?: string } | undefined)?.source;

async function post(base: string, path: string, d: { body: string; headers: Record<string, string> }) {
  const r = await request(`${base}${path}`, { method: 'POST', body: d.body, headers: d.headers });
  return { status: r.statusCode, headers: r.headers, json: (await r.body.json()) as Record<string, unknown> };
}

let upstream: Upstream;
beforeAll(async () => {
  upstream = await startUpstream();
});
afterAll(async () => {
  await upstream?.close();
});

describe('one delivery racing itself at two gateways that share Redis', () => {
  let redis: RedisHandle;
  let admin: Redis;
  let a: RunningGateway;
  let b: RunningGateway;
  const heard: { a: ResourceChange[]; b: ResourceChange[] } = { a: [], b: [] };

  beforeAll(async () => {
    redis = await startRedis();
    admin = new Redis(redis.url);
    const config = assignmentsConfig(upstream.url);
    config.cache = { prefix: 'race', redis: { url: redis.url } };
    config.tools.find((t) => t.name === 'get_assignment')!.cache = { ttl: 60_000, key: 'assignment:{id}' };
    config.webhooks = {
      endpoints: [
        {
          path: '/webhooks/assignments',
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
    [a, b] = await Promise.all([
      startGateway(testConfig(config), { transport: 'http' }),
      startGateway(testConfig(config), { transport: 'http' }),
    ]);
    a.gateway.changes.subscribe((c) => void heard.a.push(c));
    b.gateway.changes.subscribe((c) => void heard.b.push(c));
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await admin?.quit();
    await redis?.stop();
  });

  /** Resolves once `n` de-dup claims (scripts) wait in Redis's pause, none applied yet. */
  async function pausedClaims(n: number): Promise<void> {
    for (;;) {
      const list = String(await admin.client('LIST'));
      const waiting = list.split('\n').filter((l) => /flags=\S*b/.test(l) && /cmd=eval(sha)?\b/.test(l));
      if (waiting.length >= n) return;
      await new Promise((r) => setImmediate(r));
    }
  }

  it('both claims queued at once in Redis: exactly one is processed, the other is 503 in_flight, the retry a duplicate', async () => {
    const base = (g: RunningGateway) => g.url!.replace(/\/mcp$/, '');
    const d = assignmentUpdated('evt_race', '1', KEY);
    // Hold every write in Redis, so that both gateways' claims (scripts that write) wait there side
    // by side; releasing them runs both claims before either delivery can complete.
    await admin.client('PAUSE', 60_000, 'WRITE');
    const racing = [post(base(a), '/webhooks/assignments', d), post(base(b), '/webhooks/assignments', d)];
    try {
      await pausedClaims(2);
    } finally {
      await admin.client('UNPAUSE');
    }
    const answers = await Promise.all(racing);
    const statuses = answers.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 503]);
    const lost = answers.find((r) => r.status === 503)!;
    expect(lost.json.error).toBe('in_flight');
    expect(lost.headers['retry-after']).toBe('10');
    expect(answers.find((r) => r.status === 200)!.json).toEqual({ ok: true, id: 'evt_race' });

    // The sender retries the 503 at either instance: a duplicate, nothing run again.
    for (const g of [a, b]) {
      const again = await post(base(g), '/webhooks/assignments', d);
      expect(again.json).toMatchObject({ duplicate: true });
    }
    // A later event marks where the race's changes end on each instance (one Redis channel, in order).
    const sentinel = assignmentUpdated('evt_after', '2', KEY);
    expect((await post(base(a), '/webhooks/assignments', sentinel)).status).toBe(200);
    const until = async (list: ResourceChange[]) => {
      while (!list.some((c) => c.uri === 'assignments://2')) await new Promise((r) => setImmediate(r));
      return list.map((c) => c.uri);
    };
    expect(await until(heard.a)).toEqual(['assignments://1', 'assignments://2']);
    expect(await until(heard.b)).toEqual(['assignments://1', 'assignments://2']);
  });
});

describe("a valid delivery cannot reach another upstream's cache entries", () => {
  let gw: RunningGateway;
  beforeAll(async () => {
    const config = assignmentsConfig(upstream.url, [
      {
        name: 'get_billing',
        upstream: 'billing',
        method: 'GET',
        path: '/assignments/{id}',
        input: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
        cache: { ttl: 60_000, key: 'billing:{id}', tags: ['billing', 'billing:{id}'] },
      },
      {
        name: 'get_default_key',
        upstream: 'billing',
        method: 'GET',
        path: '/assignments/{id}',
        input: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
        cache: { ttl: 60_000 },
      },
    ]);
    config.upstreams.billing = { baseUrl: upstream.url };
    config.tools.find((t) => t.name === 'get_assignment')!.cache = {
      ttl: 60_000,
      key: 'assignment:{id}',
      tags: ['assignment:{id}'],
    };
    config.webhooks = {
      endpoints: [
        {
          path: '/webhooks/assignments',
          scheme: 'standard',
          secrets: [SECRET],
          events: {
            'assignment.*': {
              invalidate: {
                // Every template has a literal part: the payload fills holes, never a whole key or tag.
                keys: ['assignment:{data.id}'],
                tags: ['assignment:{data.id}'],
                patterns: ['assignment:{data.id}*'],
              },
            },
          },
        },
      ],
    };
    gw = await startGateway(testConfig(config), { transport: 'http' });
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('ids naming the other keys, tags, globs or separators evict only assignment entries', async () => {
    const client = await connectV2(gw.url!, 'modern');
    const call = (name: string, id: string) => client.callTool({ name, arguments: { id } });
    try {
      for (const name of ['get_billing', 'get_default_key']) await call(name, '1');
      expect(source(await call('get_billing', '1'))).toBe('cache');
      expect(source(await call('get_default_key', '1'))).toBe('cache');
      const hostile = [
        'billing:1',
        'billing',
        '*',
        '1:*',
        'x*',
        '[b]*',
        '?illing:1',
        '../billing:1',
        'billing%3A1',
        '%2A',
        'get_default_key*',
        '',
      ];
      let n = 0;
      for (const id of hostile) {
        const d = assignmentUpdated(`evt_h_${++n}`, id, KEY);
        const r = await post(gw.url!.replace(/\/mcp$/, ''), '/webhooks/assignments', d);
        expect([id, r.status]).toEqual([id, 200]);
      }
      expect(source(await call('get_billing', '1'))).toBe('cache');
      expect(source(await call('get_default_key', '1'))).toBe('cache');
      // The same endpoint still evicts what it names.
      await call('get_assignment', '1');
      expect(source(await call('get_assignment', '1'))).toBe('cache');
      const own = assignmentUpdated('evt_own', '1', KEY);
      expect((await post(gw.url!.replace(/\/mcp$/, ''), '/webhooks/assignments', own)).status).toBe(200);
      expect(source(await call('get_assignment', '1'))).toBe('upstream');
    } finally {
      await client.close();
    }
  });
});

describe('the notification fan-out behind a delivery', () => {
  let gw: RunningGateway;
  beforeAll(async () => {
    const config = resourcesConfig(upstream.url);
    config.webhooks = {
      endpoints: [
        {
          path: '/webhooks/assignments',
          scheme: 'standard',
          secrets: [SECRET],
          events: { 'assignment.*': { notify: ['assignments://{data.id}'] } },
        },
      ],
    };
    gw = await startGateway(testConfig(config), { transport: 'http' });
  });
  afterAll(async () => {
    await gw?.close();
  });

  const subscribe = async (session: string, uri: string) => {
    const body = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'resources/subscribe', params: { uri } });
    const r = await rawRequest('POST', gw.url!, sessionHeaders(session), body);
    expect(r.status).toBe(200);
  };

  /** Opens the session's standalone stream on a socket of its own, read until its headers, then not read. */
  async function stalledStream(session: string) {
    const u = new URL(gw.url!);
    const socket = connect(Number(u.port), u.hostname);
    await once(socket, 'connect');
    socket.write(
      `GET ${u.pathname} HTTP/1.1\r\nHost: ${u.host}\r\nAccept: text/event-stream\r\nmcp-session-id: ${session}\r\nmcp-protocol-version: 2025-06-18\r\n\r\n`,
    );
    const [head] = (await once(socket, 'data')) as [Buffer];
    expect(head.toString('latin1')).toMatch(/^HTTP\/1\.1 200/);
    socket.pause();
    return socket;
  }

  it('a subscriber that stops reading is dropped once its backlog is large, not buffered for without limit; others still hear every change', async () => {
    const uri = `assignments://${'a'.repeat(8_000)}`;
    const stalled = await openSession(gw.url!);
    await subscribe(stalled, uri);
    const reader = await connectV1(gw.url!);
    const inbox = new UpdateInbox();
    reader.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => inbox.push(n.params.uri));
    await reader.subscribeResource({ uri });
    await reader.subscribeResource({ uri: 'assignments://1' });
    const socket = await stalledStream(stalled);
    try {
      // While the stalled stream is open, a second one for its session is refused.
      const second = () => rawRequest('GET', gw.url!, sessionHeaders(stalled), undefined, { stream: true });
      expect((await second()).status).toBe(409);
      let sent = 0;
      let status = 409;
      // 80 MB, far more than the socket buffers hold: the stalled stream must be dropped well before.
      for (; sent < 10_000 && status === 409; sent++) {
        await gw.gateway.changes.publish({ uri, source: 'test', at: 0 });
        // Lets the reading client (in this process too) read as a client of its own would.
        await new Promise((r) => setImmediate(r));
        if (sent % 500 === 499) status = (await second()).status;
      }
      expect(status).toBe(200);
      // The reading subscriber heard the same changes meanwhile, and hears the next delivery.
      const d = assignmentUpdated('evt_fanout', '1', KEY);
      expect((await post(gw.url!.replace(/\/mcp$/, ''), '/webhooks/assignments', d)).status).toBe(200);
      await inbox.next('assignments://1');
      expect(inbox.uris.filter((u) => u === uri).length).toBe(sent);
    } finally {
      socket.destroy();
      await reader.close();
    }
  });
});

describe('a 2026-07-28 listen stream whose client stops reading', () => {
  const feed = countedFeed();
  let gw: RunningGateway;
  beforeAll(async () => {
    gw = await startGateway(testConfig(resourcesConfig(upstream.url)), { transport: 'http', changes: feed });
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('is ended once its backlog is large, not queued for without limit; a reading one hears every change', async () => {
    const uri = `assignments://${'b'.repeat(8_000)}`;
    let base = feed.listeners();
    const u = new URL(gw.url!);
    const body = JSON.stringify({
      jsonrpc: '2.0',
      id: 'listen:0',
      method: 'subscriptions/listen',
      params: {
        _meta: {
          'io.modelcontextprotocol/protocolVersion': '2026-07-28',
          'io.modelcontextprotocol/clientInfo': { name: 'stalled', version: '1' },
          'io.modelcontextprotocol/clientCapabilities': {},
        },
        notifications: { resourceSubscriptions: [uri] },
      },
    });
    const socket = connect(Number(u.port), u.hostname);
    await once(socket, 'connect');
    socket.write(
      `POST ${u.pathname} HTTP/1.1\r\nHost: ${u.host}\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nmcp-protocol-version: 2026-07-28\r\nmcp-method: subscriptions/listen\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
    const [head] = (await once(socket, 'data')) as [Buffer];
    expect(head.toString('latin1')).toMatch(/^HTTP\/1\.1 200/);
    socket.pause();
    const reader = await connectV2(gw.url!, 'modern');
    const inbox = new UpdateInbox();
    reader.setNotificationHandler('notifications/resources/updated', (n) => inbox.push(n.params.uri));
    try {
      expect(feed.listeners()).toBe(base + 1);
      await reader.listen({ resourceSubscriptions: [uri, 'assignments://end'] });
      base++;
      let sent = 0;
      // 80 MB, far more than the socket buffers hold: the stream must be ended well before.
      for (; sent < 10_000 && feed.listeners() > base; sent++) {
        await gw.gateway.changes.publish({ uri, source: 'test', at: 0 });
        await new Promise((r) => setImmediate(r));
      }
      expect(feed.listeners()).toBe(base);
      expect(sent).toBeLessThan(10_000);
      // The reading client's stream was left alone and heard every change.
      await gw.gateway.changes.publish({ uri: 'assignments://end', source: 'test', at: 0 });
      await inbox.next('assignments://end');
      expect(inbox.uris.filter((u) => u === uri).length).toBe(sent);
    } finally {
      socket.destroy();
      await reader.close();
    }
  });
});
