import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectV2 } from '../mcp/helpers/clients.js';
import { startUpstream, type Upstream } from '../mcp/helpers/upstream.js';
import { type RedisHandle, startRedis } from '../helpers/redis-server.js';
import { closeInstance, clusterConfig, type Instance, startInstance } from './helpers/cluster.js';
import { type RoundRobinProxy, startRoundRobinProxy } from './helpers/proxy.js';

interface Result {
  isError?: boolean;
  structuredContent?: Record<string, unknown>;
  _meta?: Record<string, { source?: string; layer?: string }>;
}

let redis: RedisHandle;
let upstream: Upstream;
let instances: Instance[];
let proxy: RoundRobinProxy;

beforeAll(async () => {
  [redis, upstream] = await Promise.all([startRedis(), startUpstream()]);
  const config = clusterConfig(upstream.url, redis.url, 'scale');
  instances = [];
  for (let i = 0; i < 3; i++) instances.push(await startInstance(config));
  proxy = await startRoundRobinProxy(instances.map((i) => new URL(i.url).origin));
});

afterAll(async () => {
  await proxy?.close();
  await Promise.allSettled((instances ?? []).map(closeInstance));
  await upstream?.close();
  await redis?.stop();
});

const get = (client: Awaited<ReturnType<typeof connectV2>>, id: string) =>
  client.callTool({ name: 'get_assignment', arguments: { id } }) as Promise<Result>;

describe('three stateless gateway instances behind a round-robin proxy, one Redis', () => {
  it('a client through the proxy gets the same answer from every instance, and the upstream once', async () => {
    const client = await connectV2(`${proxy.url}/mcp`, 'legacy');
    try {
      const servedBefore = proxy.backends.map((b) => b.served);
      const before = upstream.count('/assignments/2');
      const answers: Result[] = [];
      for (let i = 0; i < 12; i++) answers.push(await get(client, '2'));
      for (const a of answers) {
        expect(a.isError).toBeFalsy();
        expect(a.structuredContent).toEqual(upstream.assignments.get('2'));
      }
      // One miss; every later read is a cache hit on some instance (L1 there, or L2 on a peer).
      expect(upstream.count('/assignments/2')).toBe(before + 1);
      const sources = answers.map((a) => a._meta?.['conduit/cache']?.layer ?? 'upstream');
      expect(sources.filter((s) => s === 'upstream')).toHaveLength(1);
      expect(sources).toContain('l2');
      for (const [i, b] of proxy.backends.entries()) expect(b.served).toBeGreaterThan(servedBefore[i]!);
    } finally {
      await client.close();
    }
  });

  it("an invalidating call on one instance evicts the others' L1: the next read anywhere is fresh", async () => {
    const direct = await Promise.all(instances.map((i) => connectV2(i.url, 'modern')));
    try {
      // Warm every instance's L1.
      for (const c of direct) await get(c, '1');
      for (const c of direct) expect((await get(c, '1'))._meta?.['conduit/cache']?.layer).toBe('l1');
      const upstreamBefore = upstream.count('/assignments/1');
      // The peers hear of the invalidation over the bus; wait for that event, not for time.
      const heard = [instances[1]!.busMessages(1), instances[2]!.busMessages(1)];
      const updated = (await direct[0]!.callTool({
        name: 'update_assignment',
        arguments: { id: '1', title: 'changed on instance 0' },
      })) as Result;
      expect(updated.isError).toBeFalsy();
      await Promise.all(heard);
      const onB = await get(direct[1]!, '1');
      expect(onB._meta?.['conduit/cache']?.source).toBe('upstream');
      expect(onB.structuredContent).toMatchObject({ title: 'changed on instance 0' });
      const onC = await get(direct[2]!, '1');
      expect(onC._meta?.['conduit/cache']?.layer).not.toBe('l1');
      expect(onC.structuredContent).toMatchObject({ title: 'changed on instance 0' });
      // The update's PUT plus one fresh GET: the second reader found the new value in L2.
      expect(upstream.count('/assignments/1')).toBe(upstreamBefore + 2);
    } finally {
      await Promise.allSettled(direct.map((c) => c.close()));
    }
  });

  it('an instance closed mid-run: the proxy routes around it and every call still succeeds', async () => {
    const client = await connectV2(`${proxy.url}/mcp`, 'modern');
    try {
      const first = await Promise.all(Array.from({ length: 9 }, () => get(client, '2')));
      expect(first.every((r) => !r.isError)).toBe(true);
      await closeInstance(instances[1]!);
      const after = await Promise.all(Array.from({ length: 30 }, () => get(client, '2')));
      for (const r of after) {
        expect(r.isError).toBeFalsy();
        expect(r.structuredContent).toEqual(upstream.assignments.get('2'));
      }
      expect(proxy.backends[1]!.down).toBe(true);
      expect(proxy.unrouted).toBe(0);
      // Writes through the survivors still invalidate each other: whichever survivor did not take the
      // update hears it on the bus (a publisher does not hear itself).
      const heard = Promise.race([instances[0]!.busMessages(1), instances[2]!.busMessages(1)]);
      await client.callTool({ name: 'update_assignment', arguments: { id: '2', title: 'after the loss' } });
      await heard;
      const fresh = await Promise.all([get(client, '2'), get(client, '2')]);
      for (const r of fresh) expect(r.structuredContent).toMatchObject({ title: 'after the loss' });
    } finally {
      await client.close();
    }
  });
});
