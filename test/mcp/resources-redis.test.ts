import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { createRecordingLogger, type LogRecord } from '../../src/core/index.js';
import {
  createGateway,
  createRedisChangeFeed,
  type Gateway,
  type ResourceChange,
  type RunningGateway,
  startGateway,
} from '../../src/mcp/index.js';
import { type RedisHandle, startRedis } from '../helpers/redis-server.js';
import { connectV1 } from './helpers/clients.js';
import { startUpstream, type Upstream } from './helpers/upstream.js';
import { connectStdio, resourcesConfig, UpdateInbox } from './resources-helpers.js';
import { testConfig } from '../helpers/gateway-config.js';

let redis: RedisHandle;
let upstream: Upstream;

beforeAll(async () => {
  [redis, upstream] = await Promise.all([startRedis(), startUpstream()]);
});

afterAll(async () => {
  await upstream?.close();
  await redis?.stop();
});

const change = (uri: string, source = 'test'): ResourceChange => ({ uri, source, at: Date.now() });

/** Resolves with the changes a feed listener saw once `until` arrives. */
function collect(feed: { subscribe(l: (c: ResourceChange) => void): () => void }) {
  const seen: string[] = [];
  const waiters: { uri: string; resolve: () => void }[] = [];
  feed.subscribe((c) => {
    seen.push(c.uri);
    for (const w of waiters.filter((x) => x.uri === c.uri)) w.resolve();
  });
  return {
    seen,
    until: (uri: string) =>
      seen.includes(uri) ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ uri, resolve })),
  };
}

describe('two gateway instances on one Redis', () => {
  let a: Gateway;
  let b: RunningGateway;

  beforeAll(async () => {
    const config = resourcesConfig(upstream.url, { cache: { prefix: 'it', redis: { url: redis.url } } });
    a = createGateway(testConfig(config));
    b = await startGateway(testConfig(config), { transport: 'http' });
    await a.ready();
  });

  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  it('a change published on A notifies clients subscribed on B (legacy HTTP session and 2026-07-28 stdio)', async () => {
    const v1 = await connectV1(b.url!);
    const v1Inbox = new UpdateInbox();
    v1.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => v1Inbox.push(n.params.uri));
    const modern = await connectStdio(b.gateway, 'v2-modern');
    try {
      await v1.subscribeResource({ uri: 'assignments://1' });
      await modern.subscribe('assignments://1');
      await a.changes.publish(change('assignments://1', 'webhook'));
      await Promise.all([v1Inbox.next('assignments://1'), modern.inbox.next('assignments://1')]);
      expect(v1Inbox.uris).toEqual(['assignments://1']);
      expect(modern.inbox.uris).toEqual(['assignments://1']);
      // B also records it for recent_changes.
      expect(b.gateway.changes.since(undefined, 100).changes).toContainEqual(
        expect.objectContaining({ uri: 'assignments://1', source: 'webhook' }),
      );
    } finally {
      await v1.close();
      await modern.close();
    }
  });

  it('B’s listen-stream event bus hears A’s changes (what 2026-07-28 HTTP streams subscribe to)', async () => {
    const heard: string[] = [];
    const got = new Promise<void>((resolve) => {
      const off = b.gateway.serverEvents.subscribe((e) => {
        if (e.kind === 'resource_updated') heard.push(e.uri);
        if (e.kind === 'resource_updated' && e.uri === 'assignments://bus') {
          off();
          resolve();
        }
      });
    });
    await a.changes.publish(change('assignments://bus'));
    await got;
    expect(heard).toEqual(['assignments://bus']);
  });
});

describe('the Redis change feed', () => {
  it('delivers its own changes once, and other instances’ changes in order', async () => {
    const one = createRedisChangeFeed({ url: redis.url, prefix: 'order' });
    const two = createRedisChangeFeed({ url: redis.url, prefix: 'order' });
    try {
      await Promise.all([one.ready(), two.ready()]);
      const onOne = collect(one);
      const onTwo = collect(two);
      await one.publish(change('u://1'));
      // Redis delivers PUBLISHes in order: once u://3 (published after the others) has reached both,
      // any echo of an instance's own u://1 or u://2 would have arrived before it.
      await two.publish(change('u://2'));
      await onOne.until('u://2');
      await one.publish(change('u://3'));
      await Promise.all([onOne.until('u://3'), onTwo.until('u://3')]);
      expect(onOne.seen).toEqual(['u://1', 'u://2', 'u://3']);
      // two saw its own u://2 at publish time; one's u://1 may arrive before or after that.
      expect([...onTwo.seen].sort()).toEqual(['u://1', 'u://2', 'u://3']);
      expect(onTwo.seen.at(-1)).toBe('u://3');
    } finally {
      await one.close();
      await two.close();
    }
  });

  it('with Redis down, local delivery goes on and the outage is logged once; recovery is logged', async () => {
    const own = await startRedis();
    // A sink that tells when a record arrives, so the test waits on the event, not on time.
    let onRecord: (() => void) | undefined;
    const sink: LogRecord[] = [];
    const push = sink.push.bind(sink);
    sink.push = (...items: LogRecord[]) => {
      const n = push(...items);
      onRecord?.();
      return n;
    };
    const logger = createRecordingLogger({}, sink);
    const feed = createRedisChangeFeed({ url: own.url, prefix: 'down', logger });
    try {
      await feed.ready();
      const local = collect(feed);
      await own.kill();
      await feed.publish(change('u://a'));
      await feed.publish(change('u://b'));
      expect(local.seen).toEqual(['u://a', 'u://b']);
      const warns = () =>
        logger.records.filter((r) => r.level === 'warn' && /change bus down/.test(r.msg ?? ''));
      expect(warns()).toHaveLength(1);
      const recovered = new Promise<void>((resolve) => {
        onRecord = () => {
          if (logger.records.some((r) => r.level === 'info' && /connected/.test(r.msg ?? ''))) resolve();
        };
      });
      await own.restart();
      await recovered;
      expect(warns()).toHaveLength(1);
      expect(JSON.stringify(logger.records)).not.toContain(own.url);
    } finally {
      await feed.close();
      await own.stop();
    }
  });
});
