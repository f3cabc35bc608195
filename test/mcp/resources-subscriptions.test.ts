import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { toNodeHandler } from '@modelcontextprotocol/node';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import {
  type AuthInfo,
  createMcpHandler,
  InMemoryServerEventBus,
  type ServerEvent,
} from '@modelcontextprotocol/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ChangeFeed,
  createGateway,
  createMemoryChangeFeed,
  type Gateway,
  startGateway,
} from '../../src/mcp/index.js';
import { ListenCallers } from '../../src/mcp/transport/listen-callers.js';
import { startUpstream, type Upstream } from './helpers/upstream.js';
import { connectV1, connectV2 } from './helpers/clients.js';
import { connectStdio, resourcesConfig, UpdateInbox } from './resources-helpers.js';
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

const change = (uri: string) => ({ uri, event: 'assignment.updated', source: 'test', at: Date.now() });

describe('resource subscriptions over the stdio entry', () => {
  it('a 2026-07-28 client (listen) and a legacy v1 client (resources/subscribe) both get the update', async () => {
    const modern = await connectStdio(gateway, 'v2-modern');
    const legacy = await connectStdio(gateway, 'v1');
    try {
      await modern.subscribe('assignments://1');
      await legacy.subscribe('assignments://1');
      await gateway.changes.publish(change('assignments://1'));
      await Promise.all([modern.inbox.next('assignments://1'), legacy.inbox.next('assignments://1')]);
      expect(modern.inbox.uris).toEqual(['assignments://1']);
      expect(legacy.inbox.uris).toEqual(['assignments://1']);
    } finally {
      await modern.close();
      await legacy.close();
    }
  });

  it('clients subscribed to another URI, or to none, are not notified', async () => {
    const modernOther = await connectStdio(gateway, 'v2-modern');
    const legacyOther = await connectStdio(gateway, 'v2-legacy');
    const silent = await connectStdio(gateway, 'v1');
    try {
      await modernOther.subscribe('assignments://2');
      await legacyOther.subscribe('assignments://2');
      await gateway.changes.publish(change('assignments://1'));
      // Notifications travel the same ordered pipe: what was sent for #1 arrives before #2 or a pong.
      await gateway.changes.publish(change('assignments://2'));
      await Promise.all([
        modernOther.inbox.next('assignments://2'),
        legacyOther.inbox.next('assignments://2'),
      ]);
      await silent.ping();
      expect(modernOther.inbox.uris).toEqual(['assignments://2']);
      expect(legacyOther.inbox.uris).toEqual(['assignments://2']);
      expect(silent.inbox.uris).toEqual([]);
    } finally {
      await modernOther.close();
      await legacyOther.close();
      await silent.close();
    }
  });

  it('after unsubscribing (legacy) or closing the listen stream (modern), updates stop', async () => {
    const modern = await connectStdio(gateway, 'v2-modern');
    const legacy = await connectStdio(gateway, 'v2-legacy');
    try {
      await modern.subscribe('assignments://1');
      await legacy.subscribe('assignments://1');
      await modern.unsubscribe('assignments://1');
      await legacy.unsubscribe('assignments://1');
      await gateway.changes.publish(change('assignments://1'));
      await Promise.all([modern.ping(), legacy.ping()]);
      expect(modern.inbox.uris).toEqual([]);
      expect(legacy.inbox.uris).toEqual([]);
    } finally {
      await modern.close();
      await legacy.close();
    }
  });

  it('declares the resources.subscribe capability', async () => {
    const legacy = await connectStdio(gateway, 'v2-legacy');
    try {
      expect(legacy.client?.getServerCapabilities()?.resources?.subscribe).toBe(true);
    } finally {
      await legacy.close();
    }
  });
});

describe('2026-07-28 listen streams over Streamable HTTP', () => {
  it('an SDK handler given gateway.serverEvents as its bus notifies listening clients of feed changes', async () => {
    const handler = createMcpHandler(() => gateway.createServer(), {
      legacy: 'reject',
      bus: gateway.serverEvents,
    });
    const node = toNodeHandler(handler);
    const server = createServer((req, res) => void node(req, res));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    const client = await connectV2(`http://127.0.0.1:${port}/mcp`, 'modern');
    const inbox = new UpdateInbox();
    client.setNotificationHandler('notifications/resources/updated', (n) => inbox.push(n.params.uri));
    try {
      const sub = await client.listen({ resourceSubscriptions: ['assignments://2'] });
      await gateway.changes.publish(change('assignments://1'));
      await gateway.changes.publish(change('assignments://2'));
      await inbox.next('assignments://2');
      expect(inbox.uris).toEqual(['assignments://2']);
      await sub.close();
    } finally {
      await client.close();
      await handler.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe('2026-07-28 listen streams through startGateway (the real HTTP transport)', () => {
  it('a listening client is notified of a published change, and only for its URI', async () => {
    const changes: ChangeFeed = createMemoryChangeFeed();
    const running = await startGateway(testConfig(resourcesConfig(upstream.url)), {
      transport: 'http',
      port: 0,
      changes,
    });
    const client = await connectV2(running.url!, 'modern');
    const inbox = new UpdateInbox();
    client.setNotificationHandler('notifications/resources/updated', (n) => inbox.push(n.params.uri));
    try {
      const sub = await client.listen({ resourceSubscriptions: ['assignments://7'] });
      await changes.publish(change('assignments://8'));
      await changes.publish(change('assignments://7'));
      await inbox.next('assignments://7');
      expect(inbox.uris).toEqual(['assignments://7']);
      await sub.close();
    } finally {
      await client.close();
      await running.close();
    }
  });
});

describe('listen subscriptions know their caller', () => {
  const caller = (sub: string): AuthInfo => ({ token: '', clientId: '', scopes: [], extra: { sub } });

  it('a subscription made while serving a caller hears only the resource changes that caller may read; one made outside hears none, and list changes reach both', () => {
    const inner = new InMemoryServerEventBus();
    const listens = new ListenCallers(inner, (uri, who) => who.extra?.sub === 'ada' || uri === 'open://1');
    const heard = { ada: [] as string[], rita: [] as string[], nobody: [] as string[] };
    const record = (into: string[]) => (e: ServerEvent) =>
      into.push(e.kind === 'resource_updated' ? e.uri : e.kind);
    const offs = [
      listens.serve(caller('ada'), () => listens.bus.subscribe(record(heard.ada))),
      listens.serve(caller('rita'), () => listens.bus.subscribe(record(heard.rita))),
      listens.bus.subscribe(record(heard.nobody)),
    ];
    listens.bus.publish({ kind: 'resource_updated', uri: 'secret://1' });
    listens.bus.publish({ kind: 'resource_updated', uri: 'open://1' });
    listens.bus.publish({ kind: 'tools_list_changed' });
    expect(heard).toEqual({
      ada: ['secret://1', 'open://1', 'tools_list_changed'],
      rita: ['open://1', 'tools_list_changed'],
      nobody: ['tools_list_changed'],
    });
    for (const off of offs) off();
    expect(inner.listenerCount).toBe(0);
  });
});

describe('feed listeners follow connections', () => {
  it('a closed stdio connection or HTTP session no longer listens to the feed', async () => {
    const inner = createMemoryChangeFeed();
    let active = 0;
    let onIdle: (() => void) | undefined;
    const counted: ChangeFeed = {
      ...inner,
      subscribe(listener) {
        active++;
        const off = inner.subscribe(listener);
        let done = false;
        return () => {
          if (done) return;
          done = true;
          off();
          if (--active === 0) onIdle?.();
        };
      },
    };
    const running = await startGateway(testConfig(resourcesConfig(upstream.url)), {
      transport: 'http',
      changes: counted,
    });
    try {
      const stdio = await connectStdio(running.gateway, 'v1');
      const session = await connectV1(running.url!);
      await session.subscribeResource({ uri: 'assignments://1' });
      await stdio.subscribe('assignments://1');
      expect(active).toBeGreaterThanOrEqual(2);
      const idle = new Promise<void>((resolve) => {
        onIdle = resolve;
      });
      await stdio.close();
      // A 2025 session ends with DELETE (or the idle sweep), not when the client merely disconnects.
      await (session.transport as unknown as { terminateSession(): Promise<void> }).terminateSession();
      await session.close();
      await idle;
      expect(active).toBe(0);
    } finally {
      await running.close();
    }
  });
});

describe('a 2025 session cannot grow its subscriptions without bound', () => {
  it('a session holds at most 1000 subscribed URIs: the next one is refused, one already held is not, an unsubscribe makes room', async () => {
    const running = await startGateway(testConfig(resourcesConfig(upstream.url)), { transport: 'http' });
    const session = await connectV1(running.url!);
    try {
      // Each URI is kept for the session's life (up to 1 MiB each): unbounded, one client holds gigabytes.
      for (let i = 0; i < 1000; i++) await session.subscribeResource({ uri: `assignments://${i}` });
      await expect(session.subscribeResource({ uri: 'assignments://1000' })).rejects.toThrow(
        /subscriptions/i,
      );
      await session.subscribeResource({ uri: 'assignments://7' });
      await session.unsubscribeResource({ uri: 'assignments://7' });
      await session.subscribeResource({ uri: 'assignments://1000' });
    } finally {
      await session.close();
      await running.close();
    }
  });
});

describe('a 2025 session cannot hold subscribed URIs of unbounded total size', () => {
  it('past 256 KiB of subscribed URIs the next one is refused (-32600), one already held is not, an unsubscribe makes room', async () => {
    const running = await startGateway(testConfig(resourcesConfig(upstream.url)), { transport: 'http' });
    const session = await connectV1(running.url!);
    // Under the count cap, 1000 URIs of nearly a body (1 MiB) each would be a gigabyte per session.
    const big = (i: number) => `assignments://${i}${'x'.repeat(100_000)}`;
    try {
      await session.subscribeResource({ uri: big(1) });
      await session.subscribeResource({ uri: big(2) });
      const refused = await session.subscribeResource({ uri: big(3) }).catch((e: unknown) => e);
      expect((refused as { code?: number }).code).toBe(-32600);
      await session.subscribeResource({ uri: big(2) });
      await session.unsubscribeResource({ uri: big(1) });
      await session.subscribeResource({ uri: big(3) });
    } finally {
      await session.close();
      await running.close();
    }
  });
});

describe('a reload that narrows the policy stops the 2025 subscriptions it no longer allows', () => {
  const TOKENS = { reader: 'reader-token-0123456789', admin: 'admin-token-0123456789' };
  /** Both may read assignments and notes; narrowed, assignments are for admins only. */
  const policyConfig = (narrowed: boolean) => {
    const base = resourcesConfig(upstream.url, {
      server: {
        name: 'test-gateway',
        version: '1.0.0',
        // Over stdio the caller is the operator: a fixed one is held to the policy like the others.
        operator: { sub: 'olga', scopes: ['assignments.read'] },
        http: {
          authTokens: [
            { token: TOKENS.reader, sub: 'rita', scopes: ['assignments.read'] },
            { token: TOKENS.admin, sub: 'ada', claims: { groups: ['admin'] } },
          ],
        },
      },
      policy: {
        default: 'deny',
        rules: [
          { tools: ['get_*'], when: { scopes: ['assignments.read'] } },
          { tools: ['*'], when: { groups: ['admin'] } },
          ...(narrowed ? [{ resources: ['assignment'], when: { groups: ['admin'] } }] : []),
        ],
      },
    });
    const templates = [
      ...(base.resources?.templates ?? []),
      { uriTemplate: 'notes://{id}', name: 'note', tool: 'get_assignment' },
    ];
    return testConfig({ ...base, resources: { templates } });
  };

  /** A 2025 session whose standalone SSE stream (where its notifications go) is open on return. */
  async function legacySession(url: string, token: string) {
    let opened!: () => void;
    const streaming = new Promise<void>((resolve) => {
      opened = resolve;
    });
    const watching: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      if (init?.method === 'GET' && res.ok) opened();
      return res;
    };
    const client = new Client({ name: 'conduit-test', version: '1.0.0' });
    const inbox = new UpdateInbox();
    client.setNotificationHandler('notifications/resources/updated', (n) => inbox.push(n.params.uri));
    const headers = { authorization: `Bearer ${token}` };
    await client.connect(
      new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers }, fetch: watching }),
    );
    await streaming;
    return { client, inbox };
  }

  it('after the reload, a subscriber who may no longer read a URI (HTTP session or stdio) is not told of its change; one who may still is', async () => {
    const running = await startGateway(policyConfig(false), { transport: 'http' });
    const reader = await legacySession(running.url!, TOKENS.reader);
    const admin = await legacySession(running.url!, TOKENS.admin);
    const stdio = await connectStdio(running.gateway, 'v1');
    try {
      for (const uri of ['assignments://1', 'notes://1']) {
        await reader.client.subscribeResource({ uri });
        await admin.client.subscribeResource({ uri });
        await stdio.subscribe(uri);
      }
      expect((await running.gateway.reload(policyConfig(true))).outcome).toBe('applied');
      await running.gateway.changes.publish(change('assignments://1'));
      // One SSE stream per session, in order: once notes://1 arrived, anything sent before it has.
      await running.gateway.changes.publish(change('notes://1'));
      await Promise.all([
        reader.inbox.next('notes://1'),
        admin.inbox.next('notes://1'),
        stdio.inbox.next('notes://1'),
      ]);
      expect(reader.inbox.uris).toEqual(['notes://1']);
      expect(stdio.inbox.uris).toEqual(['notes://1']);
      expect(admin.inbox.uris).toEqual(['assignments://1', 'notes://1']);
    } finally {
      await Promise.all([reader.client.close(), admin.client.close(), stdio.close()]);
      await running.close();
    }
  });
});

describe('a 2025 subscription hears only what the credential the session now presents may read', () => {
  // One subject, two tokens: the client's credential was narrowed (a refreshed token without the
  // scope, consent taken back). The session is the subject's, so it goes on serving the new token.
  const TOKENS = { full: 'full-token-0123456789', narrow: 'narrow-token-0123456789' };
  const scopedConfig = () => {
    const base = resourcesConfig(upstream.url, {
      server: {
        name: 'test-gateway',
        version: '1.0.0',
        http: {
          authTokens: [
            { token: TOKENS.full, sub: 'alice', scopes: ['assignments.read'] },
            { token: TOKENS.narrow, sub: 'alice' },
          ],
        },
      },
      policy: {
        default: 'deny',
        rules: [
          { tools: ['get_*'] },
          { resources: ['assignment'], when: { scopes: ['assignments.read'] } },
          { resources: ['note'] },
        ],
      },
    });
    const templates = [
      ...(base.resources?.templates ?? []),
      { uriTemplate: 'notes://{id}', name: 'note', tool: 'get_assignment' },
    ];
    return testConfig({ ...base, resources: { templates } });
  };

  /** A 2025 session whose requests carry `token()` as it is at each request; its GET stream is open on return. */
  async function sessionAs(url: string, token: () => string) {
    let opened!: () => void;
    const streaming = new Promise<void>((resolve) => {
      opened = resolve;
    });
    const asCurrent: typeof fetch = async (input, init) => {
      const headers = new Headers(init?.headers);
      headers.set('authorization', `Bearer ${token()}`);
      const res = await fetch(input, { ...init, headers });
      if (init?.method === 'GET' && res.ok) opened();
      return res;
    };
    const client = new Client({ name: 'conduit-test', version: '1.0.0' });
    const inbox = new UpdateInbox();
    client.setNotificationHandler('notifications/resources/updated', (n) => inbox.push(n.params.uri));
    await client.connect(new StreamableHTTPClientTransport(new URL(url), { fetch: asCurrent }));
    await streaming;
    return { client, inbox };
  }

  it('subscribed with the scope, the session then presenting a token without it: no more updates of that URI, others still come; the scope back, they come again', async () => {
    const running = await startGateway(scopedConfig(), { transport: 'http' });
    let token = TOKENS.full;
    const { client, inbox } = await sessionAs(running.url!, () => token);
    try {
      for (const uri of ['assignments://1', 'notes://1', 'notes://2'])
        await client.subscribeResource({ uri });
      token = TOKENS.narrow;
      // Same subject: the session serves the narrowed token (a request of another subject gets 404).
      await client.ping();
      await running.gateway.changes.publish(change('assignments://1'));
      // One SSE stream per session, in order: once notes://1 arrived, anything sent before it has.
      await running.gateway.changes.publish(change('notes://1'));
      await inbox.next('notes://1');
      expect(inbox.uris).toEqual(['notes://1']);
      // The subscription is kept, and decided again at each change: a token with the scope hears it.
      token = TOKENS.full;
      await client.ping();
      await running.gateway.changes.publish(change('assignments://1'));
      await running.gateway.changes.publish(change('notes://2'));
      await inbox.next('notes://2');
      expect(inbox.uris).toEqual(['notes://1', 'assignments://1', 'notes://2']);
    } finally {
      await client.close();
      await running.close();
    }
  });
});
