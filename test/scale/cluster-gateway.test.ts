import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.js';
import type { ResourceChange } from '../../src/mcp/resources/change-feed.js';
import { type RunningGateway, startGateway } from '../../src/mcp/index.js';
import { type RedisClusterHandle, startRedisCluster } from '../helpers/redis-cluster.js';
import { assignmentUpdated } from '../helpers/standard-webhook.js';
import { connectV2, textOf } from '../mcp/helpers/clients.js';
import { startUpstream, type Upstream } from '../mcp/helpers/upstream.js';

// Two gateway instances whose whole Redis side comes from `cache.redis.cluster` in the config: the
// cache (L2 + bus), the change feed, webhook de-duplication and a shared breaker, on a real
// three-master Redis Cluster.

const KEY = Buffer.from('cluster-gateway-webhook-key-0123');

const signed = (eventId: string, id: string) => assignmentUpdated(eventId, id, KEY);

function yamlConfig(seeds: readonly string[], upstreamUrl: string): string {
  return `
server: { name: cluster-gateway, http: { stateless: true } }
cache:
  prefix: cg
  redis:
    cluster: [${seeds.map((s) => `"${s}"`).join(', ')}]
resources: { health: true }
upstreams:
  assignments:
    baseUrl: "${upstreamUrl}"
    retry: { maxAttempts: 1 }
    breaker: { failureThreshold: 2, recovery: 10m, shared: true }
tools:
  - name: get_assignment
    upstream: assignments
    path: /assignments/{id}
    input: { type: object, properties: { id: { type: string } }, required: [id] }
    cache: { ttl: 10m, key: "assignment:{id}" }
  - name: get_assignment_live
    upstream: assignments
    path: /assignments/{id}
    input: { type: object, properties: { id: { type: string } }, required: [id] }
  - name: update_assignment
    upstream: assignments
    method: PUT
    path: /assignments/{id}
    input: { type: object, properties: { id: { type: string }, title: { type: string } }, required: [id] }
    invalidates: { keys: ["assignment:{id}"] }
webhooks:
  endpoints:
    - path: /webhooks/assignments
      scheme: standard
      secrets: ["whsec_${KEY.toString('base64')}"]
      events:
        assignment.updated:
          invalidate: { keys: ["assignment:{data.id}"] }
          notify: ["assignments://{data.id}"]
`;
}

type Result = {
  isError?: boolean;
  structuredContent?: Record<string, unknown>;
  _meta?: Record<string, unknown>;
};
const layer = (r: Result) =>
  ((r._meta?.['conduit/cache'] as { layer?: string } | undefined)?.layer ?? 'upstream') as string;

let cluster: RedisClusterHandle;
let upstream: Upstream;
let a: RunningGateway;
let b: RunningGateway;
let onA: Awaited<ReturnType<typeof connectV2>>;
let onB: Awaited<ReturnType<typeof connectV2>>;

beforeAll(async () => {
  [cluster, upstream] = await Promise.all([startRedisCluster(), startUpstream()]);
  const config = parseConfig(yamlConfig(cluster.urls, upstream.url), { env: {} });
  [a, b] = await Promise.all([
    startGateway(config, { transport: 'http', port: 0 }),
    startGateway(config, { transport: 'http', port: 0 }),
  ]);
  [onA, onB] = await Promise.all([connectV2(a.url!, 'modern'), connectV2(b.url!, 'modern')]);
});

afterAll(async () => {
  await Promise.allSettled([onA?.close(), onB?.close()]);
  await Promise.allSettled([a?.close(), b?.close()]);
  await upstream?.close();
  await cluster?.stop();
});

const call = (c: typeof onA, name: string, args: Record<string, unknown>) =>
  c.callTool({ name, arguments: args }) as Promise<Result>;

/** Reads on B until its L1 copy is gone (the peer's invalidation travels over the bus), bounded. */
async function untilNotL1(id: string): Promise<Result> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const r = await call(onB, 'get_assignment', { id });
    if (layer(r) !== 'l1' || Date.now() > deadline) return r;
    await new Promise((res) => setTimeout(res, 20));
  }
}

describe('the gateway on cache.redis.cluster', () => {
  it('L2 shared across instances, and an invalidating write on A evicts B (the bus over the cluster)', async () => {
    const before = upstream.count('/assignments/1');
    expect(layer(await call(onA, 'get_assignment', { id: '1' }))).toBe('upstream');
    expect(layer(await call(onB, 'get_assignment', { id: '1' }))).toBe('l2');
    expect(layer(await call(onB, 'get_assignment', { id: '1' }))).toBe('l1');
    expect(upstream.count('/assignments/1')).toBe(before + 1);

    const updated = await call(onA, 'update_assignment', { id: '1', title: 'changed on A' });
    expect(updated.isError).toBeFalsy();
    const fresh = await untilNotL1('1');
    expect(layer(fresh)).toBe('upstream');
    expect(fresh.structuredContent).toMatchObject({ title: 'changed on A' });
  });

  it('a webhook to A reaches B through the change feed; the same delivery id at B is a duplicate', async () => {
    const heard = new Promise<ResourceChange>((resolve) => {
      const off = b.gateway.changes.subscribe((c) => {
        if (c.uri === 'assignments://2') {
          off();
          resolve(c);
        }
      });
    });
    const base = (g: RunningGateway) => g.url!.replace(/\/mcp$/, '');
    const first = await request(`${base(a)}/webhooks/assignments`, {
      method: 'POST',
      ...signed('evt_cluster', '2'),
    });
    expect(first.statusCode).toBe(200);
    expect(await first.body.json()).not.toMatchObject({ duplicate: true });
    expect(await heard).toMatchObject({ uri: 'assignments://2', source: 'webhook' });

    const again = await request(`${base(b)}/webhooks/assignments`, {
      method: 'POST',
      ...signed('evt_cluster', '2'),
    });
    expect(again.statusCode).toBe(200);
    expect(await again.body.json()).toMatchObject({ duplicate: true });
  });

  it("a shared breaker opened by A's failures makes B fail fast without calling the upstream", async () => {
    upstream.setFault({ kind: 'status', status: 500 });
    try {
      for (let n = 0; n < 2; n++)
        expect((await call(onA, 'get_assignment_live', { id: '3' })).isError).toBe(true);
      const deadline = Date.now() + 5000;
      let state = '';
      while (Date.now() < deadline) {
        const r = await onB.readResource({ uri: 'conduit://health' });
        state = JSON.parse((r.contents[0] as { text: string }).text).upstreams.assignments.breaker.state;
        if (state === 'open') break;
        await new Promise((res) => setTimeout(res, 20));
      }
      expect(state).toBe('open');
      const before = upstream.count('/assignments/3');
      const onBResult = await call(onB, 'get_assignment_live', { id: '3' });
      expect(textOf(onBResult)).toContain('circuit breaker is open, so the call was not attempted');
      expect(upstream.count('/assignments/3')).toBe(before);
    } finally {
      upstream.setFault({ kind: 'none' });
    }
  });
});
