import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createCache, type TieredCache } from '../../src/cache/index.js';
import { type RedisHandle, startRedis } from '../helpers/redis-server.js';

let redis: RedisHandle;
let child: ChildProcess;
let local: TieredCache;
let reqId = 0;
const PREFIX = 'twoproc';
const childBus: string[] = [];
const busWaiters: { type: string; resolve: () => void }[] = [];

/** Sends one request to the child cache and resolves its reply. */
function ask(op: string, extra: Record<string, unknown> = {}): Promise<unknown> {
  const id = ++reqId;
  return new Promise((resolve, reject) => {
    const onMsg = (m: { id?: number; ok?: boolean; value?: unknown; error?: string }) => {
      if (m.id !== id) return;
      child.off('message', onMsg);
      if (m.ok) resolve(m.value);
      else reject(new Error(m.error));
    };
    child.on('message', onMsg);
    child.send({ id, op, ...extra });
  });
}

/** Resolves when the child reports a bus message of `type` from now on. */
function childHears(type: string): Promise<void> {
  return new Promise((resolve) => busWaiters.push({ type, resolve }));
}

beforeAll(async () => {
  redis = await startRedis();
  local = createCache({ prefix: PREFIX, l2: { url: redis.url, timeoutMs: 200 } });
  await local.ready();
  const script = fileURLToPath(new URL('./fixtures/cache-child.ts', import.meta.url));
  child = fork(script, [redis.url, PREFIX], { execArgv: ['--import', 'tsx'], stdio: 'inherit' });
  child.on('message', (m: { event?: string; type?: string }) => {
    if (m.event !== 'bus' || !m.type) return;
    childBus.push(m.type);
    for (const w of busWaiters.splice(0)) {
      if (w.type === m.type) w.resolve();
      else busWaiters.push(w);
    }
  });
  const [first] = (await once(child, 'message')) as [{ event?: string }];
  expect(first.event).toBe('ready');
});

afterAll(async () => {
  if (child?.connected) {
    const exited = once(child, 'exit');
    await ask('close');
    await exited;
  }
  await local?.close();
  await redis?.stop();
});

it('set in one process, delete in the other: the first process’s L1 copy is evicted', async () => {
  await ask('set', { key: 'k', value: { from: 'child' } });
  // The child now holds k in its L1; reading it again there comes from L1.
  expect(await ask('getWithMeta', { key: 'k' })).toEqual({
    value: { from: 'child' },
    source: 'l1',
    stale: false,
  });
  expect(await local.getOrSetWithMeta('k', () => 'x')).toMatchObject({
    value: { from: 'child' },
    source: 'l2',
  });

  const heard = childHears('del');
  await local.delete('k');
  await heard;
  // Evicted from the child's L1 and gone from L2: the child's factory runs.
  expect(await ask('getWithMeta', { key: 'k' })).toEqual({
    value: 'child-factory:k',
    source: 'factory',
    stale: false,
  });
});

it('tag invalidation in one process is seen by the other', async () => {
  await local.set('doc', 'v1', { tags: ['docs'] });
  expect(await ask('getWithMeta', { key: 'doc', tags: ['docs'] })).toMatchObject({
    value: 'v1',
    source: 'l2',
  });
  expect(await ask('getWithMeta', { key: 'doc', tags: ['docs'] })).toMatchObject({
    value: 'v1',
    source: 'l1',
  });
  const heard = childHears('tags');
  await local.invalidateTags(['docs']);
  await heard;
  expect(await ask('getWithMeta', { key: 'doc', tags: ['docs'] })).toEqual({
    value: 'child-factory:doc',
    source: 'factory',
    stale: false,
  });
  // ...and the other direction.
  expect(await local.get('doc')).toBe('child-factory:doc');
  const localHeard = new Promise<void>((resolve) => {
    const off = local.on('busMessage', (e) => {
      if (e.type === 'tags') {
        off();
        resolve();
      }
    });
  });
  await ask('invalidateTags', { tags: ['docs'] });
  await localHeard;
  expect(await local.get('doc')).toBeUndefined();
});
