import { existsSync } from 'node:fs';
import { Cluster } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { type RedisClusterHandle, startRedisCluster } from './redis-cluster.js';

describe('startRedisCluster helper', () => {
  let cluster: RedisClusterHandle | undefined;
  afterAll(async () => {
    await cluster?.stop();
  });

  it('starts three joined masters on private ports that own every slot, and stops them all', async () => {
    cluster = await startRedisCluster();
    expect(new Set(cluster.ports).size).toBe(3);
    const client = new Cluster([...cluster.nodes]);
    try {
      const slots = (await client.cluster('SLOTS')) as [number, number, ...unknown[]][];
      expect(slots.reduce((n, [from, to]) => n + (to - from + 1), 0)).toBe(16384);
      expect(client.nodes('master')).toHaveLength(3);
      await client.set('{a}k', 'v');
      expect(await client.get('{a}k')).toBe('v');
    } finally {
      client.disconnect();
    }
    const pids = cluster.pids();
    await cluster.stop();
    for (const pid of pids) expect(() => process.kill(pid!, 0)).toThrow();
    expect(existsSync(cluster.dir)).toBe(false);
    await cluster.stop(); // twice is fine
  });
});
