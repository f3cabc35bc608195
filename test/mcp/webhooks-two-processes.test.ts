import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { Webhook } from 'standardwebhooks';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisHandle, startRedis } from '../helpers/redis-server.js';
import { connectV2 } from './helpers/clients.js';
import { serveCommand, writeConfig } from './helpers/spawn-gateway.js';
import { startUpstream, type Upstream } from './helpers/upstream.js';
import { resourcesConfig, UpdateInbox } from './resources-helpers.js';

const root = resolve(import.meta.dirname, '../..');
const KEY = Buffer.from('two-processes-webhook-key-012345');
const SECRET = `whsec_${KEY.toString('base64')}`;

type CallResult = { _meta?: Record<string, unknown> };
const source = (r: unknown) =>
  ((r as CallResult)._meta?.['conduit/cache'] as { source?: string; layer?: string } | undefined) ?? {};

interface Proc {
  child: ChildProcessWithoutNullStreams;
  url: string;
}

/** Spawns `conduit serve --transport http --port 0` and resolves with the MCP URL it logs on stderr. */
async function spawnServe(configPath: string): Promise<Proc> {
  const { command, args } = serveCommand(configPath);
  const child = spawn(command, [...args, '--transport', 'http', '--port', '0'], { cwd: root });
  let err = '';
  child.stderr.setEncoding('utf8');
  const url = await new Promise<string>((ok, fail) => {
    child.stderr.on('data', (chunk: string) => {
      err += chunk;
      const m = /"url":"(http:\/\/127\.0\.0\.1:\d+\/mcp)"/.exec(err);
      if (m) ok(m[1]!);
    });
    child.once('exit', (code) => fail(new Error(`conduit serve exited (${code}) before listening: ${err}`)));
  });
  return { child, url };
}

async function stop(p: Proc | undefined) {
  if (!p || p.child.exitCode !== null || p.child.signalCode !== null) return;
  const exit = once(p.child, 'exit');
  p.child.kill('SIGTERM');
  await exit;
}

describe('two `conduit serve` processes sharing one Redis', () => {
  let redis: RedisHandle;
  let upstream: Upstream;
  let a: Proc | undefined;
  let b: Proc | undefined;

  beforeAll(async () => {
    [redis, upstream] = await Promise.all([startRedis(), startUpstream()]);
    const config = resourcesConfig(upstream.url, { cache: { prefix: 'wh2p', redis: { url: redis.url } } });
    config.tools.find((t) => t.name === 'get_assignment')!.cache = { ttl: 60_000, key: 'assignment:{id}' };
    config.webhooks = {
      endpoints: [
        {
          path: '/webhooks/assignments',
          scheme: 'standard',
          secrets: [SECRET],
          events: {
            'assignment.updated': {
              invalidate: { keys: ['assignment:{data.id}'] },
              notify: ['assignments://{data.id}'],
            },
          },
        },
      ],
    };
    const path = writeConfig(config);
    [a, b] = await Promise.all([spawnServe(path), spawnServe(path)]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([stop(a), stop(b)]);
    await upstream?.close();
    await redis?.stop();
  });

  it('a webhook received by A notifies a client subscribed on B (both eras) and evicts both L1s', async () => {
    const onA = await connectV2(a!.url, 'legacy');
    const legacy = new Client({ name: 'legacy', version: '1.0.0' });
    const modern = new Client(
      { name: 'modern', version: '1.0.0' },
      { versionNegotiation: { mode: { pin: '2026-07-28' } } },
    );
    const legacyInbox = new UpdateInbox();
    const modernInbox = new UpdateInbox();
    legacy.setNotificationHandler('notifications/resources/updated', (n) => legacyInbox.push(n.params.uri));
    modern.setNotificationHandler('notifications/resources/updated', (n) => modernInbox.push(n.params.uri));
    await legacy.connect(new StreamableHTTPClientTransport(new URL(b!.url)));
    await modern.connect(new StreamableHTTPClientTransport(new URL(b!.url)));
    let listening: { close(): Promise<void> } | undefined;
    try {
      const get = (c: Client) => c.callTool({ name: 'get_assignment', arguments: { id: '1' } });
      // Warm: A fetches from upstream and fills Redis; B reads it into its own L1.
      expect(source(await get(onA)).source).toBe('upstream');
      expect(source(await get(legacy))).toMatchObject({ source: 'cache', layer: 'l2' });
      expect(source(await get(legacy))).toMatchObject({ source: 'cache', layer: 'l1' });
      expect(source(await get(onA))).toMatchObject({ source: 'cache', layer: 'l1' });
      expect(upstream.count('/assignments/1')).toBe(1);

      await legacy.subscribeResource({ uri: 'assignments://1' });
      listening = await modern.listen({ resourceSubscriptions: ['assignments://1'] });

      const base = a!.url.replace(/\/mcp$/, '');
      const body = JSON.stringify({ type: 'assignment.updated', data: { id: '1' } });
      const at = new Date();
      const signature = new Webhook(SECRET).sign('evt_two_proc', at, body);
      const res = await request(`${base}/webhooks/assignments`, {
        method: 'POST',
        body,
        headers: {
          'content-type': 'application/json',
          'webhook-id': 'evt_two_proc',
          'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
          'webhook-signature': signature,
        },
      });
      expect(res.statusCode).toBe(200);
      await res.body.text();

      await Promise.all([legacyInbox.next('assignments://1'), modernInbox.next('assignments://1')]);
      expect(legacyInbox.uris).toEqual(['assignments://1']);
      expect(modernInbox.uris).toEqual(['assignments://1']);

      // Both L1s evicted (and Redis): each process goes to the upstream once more.
      expect(source(await get(legacy)).source).toBe('upstream');
      expect(upstream.count('/assignments/1')).toBe(2);
      // A's L1 copy was evicted too: it reads B's fresh copy from Redis, not its stale L1.
      expect(source(await get(onA))).toMatchObject({ source: 'cache', layer: 'l2' });
      expect(upstream.count('/assignments/1')).toBe(2);
    } finally {
      await listening?.close();
      await Promise.all([onA.close(), legacy.close(), modern.close()]);
    }
  }, 60_000);
});
