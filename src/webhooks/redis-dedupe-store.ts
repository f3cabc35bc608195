import { createHash } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { createIoredisClient, type IoredisClient, type IoredisOptions } from '../redis/index.js';
import type { ClaimResult, DedupeStore } from './dedupe-store.js';
import { DedupeStoreError } from './errors.js';

/** Options of the Redis de-duplication store. */
export interface RedisDedupeStoreOptions {
  /** A client you own (not closed by `close()` unless `closeClient`); a Redis `Cluster` works too. */
  redis?: IoredisClient;
  /** Hand `redis` over to the store: `close()` closes it. Default false. */
  closeClient?: boolean;
  /** Or a URL; the store then creates and owns its client. */
  url?: string;
  /** Extra ioredis options for a client the store creates. */
  options?: IoredisOptions;
  /** Key prefix. Default `conduit:webhook:`. */
  prefix?: string;
}

const DONE = 'done';

// One round trip: SET NX PX to claim; if taken, say whether it is done or in flight.
const CLAIM = `if redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2], 'NX') then return 1 end
if redis.call('GET', KEYS[1]) == '${DONE}' then return 2 end
return 0`;
// Mark done only if this delivery still holds the key, or nobody does (the in-flight mark expired).
const COMPLETE = `local v = redis.call('GET', KEYS[1])
if v == false or v == ARGV[1] then redis.call('SET', KEYS[1], '${DONE}', 'PX', ARGV[2]) return 1 end
return 0`;
// Compare-and-delete: never drop another delivery's mark.
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

// Compare-and-extend: refresh the in-flight TTL only while this delivery still holds the key.
const EXTEND = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;

interface Script {
  source: string;
  sha: string;
}
const script = (source: string): Script => ({ source, sha: createHash('sha1').update(source).digest('hex') });
const SCRIPTS = {
  claim: script(CLAIM),
  complete: script(COMPLETE),
  release: script(RELEASE),
  extend: script(EXTEND),
};

/**
 * De-duplication shared by every instance through Redis: a claim is `SET key token PX <in-flight TTL> NX`,
 * completion rewrites it to `done` with a TTL of days, release is a compare-and-delete. Failures reject
 * with `DedupeStoreError` (the handler answers 503 so the sender retries).
 */
export class RedisDedupeStore implements DedupeStore {
  private readonly client: Redis | Cluster;
  private readonly owned: boolean;
  private readonly prefix: string;

  constructor(options: RedisDedupeStoreOptions) {
    this.prefix = options.prefix ?? 'conduit:webhook:';
    this.owned = !options.redis || options.closeClient === true;
    if (options.redis) this.client = options.redis as Redis | Cluster;
    // A bounded wait per command: the handler answers 503 and the sender retries.
    else
      this.client = createIoredisClient<Redis>(
        { url: options.url, options: { commandTimeout: 2_000, ...options.options } },
        'The Redis webhook de-duplication store',
      );
  }

  async claim(key: string, token: string, inFlightTtlMs: number): Promise<ClaimResult> {
    const r = await this.run('claim', key, token, String(Math.max(1, Math.ceil(inFlightTtlMs))));
    return r === 1 ? 'claimed' : r === 2 ? 'done' : 'in_flight';
  }

  async complete(key: string, token: string, ttlMs: number): Promise<void> {
    await this.run('complete', key, token, String(Math.max(1, Math.ceil(ttlMs))));
  }

  async extend(key: string, token: string, inFlightTtlMs: number): Promise<boolean> {
    return (await this.run('extend', key, token, String(Math.max(1, Math.ceil(inFlightTtlMs))))) === 1;
  }

  async release(key: string, token: string): Promise<void> {
    await this.run('release', key, token);
  }

  /** Whether the client is connected now (its own state, no round trip): for readiness probes. */
  connected(): boolean {
    return this.client.status === 'ready';
  }

  async close(): Promise<void> {
    if (!this.owned) return;
    try {
      await this.client.quit();
    } catch {
      this.client.disconnect();
    }
  }

  private async run(name: keyof typeof SCRIPTS, key: string, ...args: string[]): Promise<unknown> {
    const s = SCRIPTS[name];
    const k = this.prefix + key;
    try {
      try {
        return await this.client.evalsha(s.sha, 1, k, ...args);
      } catch (err) {
        if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
        return await this.client.eval(s.source, 1, k, ...args);
      }
    } catch (err) {
      throw new DedupeStoreError(name, { cause: err });
    }
  }
}
