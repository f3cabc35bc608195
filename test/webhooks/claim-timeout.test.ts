import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/index.js';
import {
  type ClaimResult,
  createWebhookHandler,
  type DedupeStore,
  MemoryDedupeStore,
  RedisDedupeStore,
  standardWebhooks,
  type WebhookResponse,
} from '../../src/webhooks/index.js';
import { type RedisHandle, startRedis } from '../helpers/redis-server.js';
import { NOW, SECRET, signStandard } from './helpers.js';

const body = Buffer.from(JSON.stringify({ type: 'item.updated', data: { id: '1' } }));
const json = (r: WebhookResponse) => JSON.parse(r.body) as Record<string, unknown>;

function receiver(dedupe: DedupeStore, clock = new ManualClock(NOW)) {
  let runs = 0;
  const handler = createWebhookHandler({
    endpoints: [
      {
        path: '/h',
        verifier: standardWebhooks({ secret: SECRET, toleranceMs: 3_600_000 }),
        on: { '*': () => void runs++ },
      },
    ],
    dedupe,
    clock,
  });
  const deliver = () =>
    handler.handle({
      path: '/h',
      headers: signStandard('evt-timeout', body),
      body,
    });
  return { handler, deliver, runs: () => runs };
}

/** A store whose first claim is applied but reported as failed (a command timeout after the write). */
class LateClaimStore extends MemoryDedupeStore {
  failNext = true;
  override async claim(key: string, token: string, ttlMs: number): Promise<ClaimResult> {
    const r = await super.claim(key, token, ttlMs);
    if (this.failNext) {
      this.failNext = false;
      throw new Error('Command timed out');
    }
    return r;
  }
}

describe('a claim that fails at the client but was applied by the store', () => {
  it('does not leave an orphan in-flight mark: the sender’s retry is processed', async () => {
    const { deliver, runs } = receiver(new LateClaimStore());
    const first = await deliver();
    expect(first.status).toBe(503);
    expect(json(first).error).toBe('dedupe_unavailable');
    // Before the fix the retry got 503 in_flight for the whole in-flight TTL (deadline + 30 s).
    const retry = await deliver();
    expect(retry.status).toBe(200);
    expect(json(retry)).toMatchObject({ ok: true, id: 'evt-timeout' });
    expect(runs()).toBe(1);
    expect((await deliver()).body).toContain('"duplicate":true');
    expect(runs()).toBe(1);
  });
});

/**
 * Connects and loads both scripts, on keys of its own. On a loaded machine the first commands can take
 * longer than the 300 ms command timeout: such an attempt is harmless (its key is never used again),
 * so it is simply tried again, a bounded number of times.
 */
async function warm(store: DedupeStore): Promise<void> {
  let last: unknown;
  for (let i = 0; i < 20; i++) {
    try {
      expect(await store.claim(`warm-${i}`, 't', 1000)).toBe('claimed');
      await store.release(`warm-${i}`, 't');
      return;
    } catch (err) {
      last = err;
    }
  }
  throw last;
}

/**
 * Delivers as a sender retries: a 503 `dedupe_unavailable` (a command that passed the 300 ms timeout on
 * a loaded machine) is tried again, up to 5 times. Any other answer is returned: an orphan in-flight mark
 * would show as 503 `in_flight`, which this never retries.
 */
async function retryWhileUnavailable(deliver: () => Promise<WebhookResponse>): Promise<WebhookResponse> {
  let r = await deliver();
  for (let i = 0; i < 5 && r.status === 503 && json(r).error === 'dedupe_unavailable'; i++)
    r = await deliver();
  return r;
}

describe('Redis frozen (SIGSTOP) past the store’s command timeout, then resumed', () => {
  let redis: RedisHandle;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    const pid = redis?.pid();
    if (pid !== undefined) process.kill(pid, 'SIGCONT');
    await redis?.stop();
  });

  const state = (pid: number) => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];

  /**
   * Stops redis-server and resolves once it is stopped. The kernel tells the parent (this process
   * spawned it) with SIGCHLD when the child stops; on a loaded machine that can be well after kill().
   */
  function freeze(pid: number): Promise<void> {
    const stopped = new Promise<void>((resolve) => {
      const check = () => {
        if (state(pid) !== 'T') return;
        process.off('SIGCHLD', check);
        resolve();
      };
      process.on('SIGCHLD', check);
    });
    process.kill(pid, 'SIGSTOP');
    return stopped;
  }

  it('answers 503 while frozen and processes the retry once Redis answers again', async () => {
    const store = new RedisDedupeStore({ url: redis.url, options: { commandTimeout: 300 } });
    const { deliver, runs, handler } = receiver(store);
    try {
      // Connected, and both scripts loaded: a first EVALSHA answered NOSCRIPT is re-sent as EVAL, which
      // would let the retry's claim overtake the release.
      await warm(store);
      const pid = redis.pid()!;
      await freeze(pid);
      const frozen = await deliver();
      expect(frozen.status).toBe(503);
      expect(json(frozen).error).toBe('dedupe_unavailable');
      process.kill(pid, 'SIGCONT');
      // Same connection: the late claim, then its release, then this retry's claim run in order.
      const retry = await retryWhileUnavailable(deliver);
      expect(json(retry)).toMatchObject({ ok: true });
      expect(json(retry).duplicate).toBeUndefined();
      expect(runs()).toBe(1);
    } finally {
      await handler.close();
      await store.close();
    }
  });
});
