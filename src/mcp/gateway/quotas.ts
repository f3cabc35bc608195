import { QuotaExceededError } from '../../auth/index.js';
import { type Clock, encodeKeyPart, type Logger, type Principal, principalValue } from '../../core/index.js';
import type { GatewayConfig, LimitConfig } from '../../config/index.js';
import { openRedisDriver } from '../../redis/index.js';
import { MemoryQuotaStore, type QuotaStore, RedisQuotaStore } from './quota-store.js';

interface CompiledLimit {
  index: number;
  tool: RegExp;
  /** Literal pieces and holes of the key template. */
  parts: ({ literal: string } | { auth: string[] } | { tool: true })[];
  perMinute: number | undefined;
  concurrent: number | undefined;
}

/**
 * A call admitted by every limit; `release` ends its concurrency holds and settles once the slots
 * are free, so a caller told the call ended is not refused by its own finished call.
 */
export interface QuotaLease {
  release(): Promise<void> | void;
}

const NOTHING_HELD: QuotaLease = { release() {} };

function globRegExp(glob: string): RegExp {
  return new RegExp(
    `^${glob
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replaceAll('*', '.*')
      .replaceAll('?', '.')}$`,
  );
}

function compile(limit: LimitConfig, index: number): CompiledLimit {
  const parts: CompiledLimit['parts'] = [];
  let last = 0;
  for (const m of limit.key.matchAll(/\{([^{}]+)\}/g)) {
    parts.push({ literal: limit.key.slice(last, m.index) });
    const hole = m[1]!.trim();
    parts.push(hole === 'tool' ? { tool: true } : { auth: hole.split('.').slice(1) });
    last = m.index + m[0].length;
  }
  parts.push({ literal: limit.key.slice(last) });
  return {
    index,
    tool: globRegExp(limit.match.tool),
    parts,
    perMinute: limit.perMinute,
    concurrent: limit.concurrent,
  };
}

/**
 * The `limits` quotas: per matching rule and rendered key, a token bucket of `perMinute` calls and a
 * cap of `concurrent` calls at once, both in Redis when `cache.redis` is set (so instances share
 * them). A refused call is a `QUOTA_EXCEEDED` tool error with `retryAfterMs`.
 */
/** `1 call`, `5 calls`. */
function calls(n: number): string {
  return `${n} call${n === 1 ? '' : 's'}`;
}

export class Quotas {
  private readonly limits: CompiledLimit[];

  constructor(
    limits: readonly LimitConfig[],
    private readonly store: QuotaStore,
  ) {
    this.limits = limits.map(compile);
  }

  get empty(): boolean {
    return this.limits.length === 0;
  }

  /** Whether the shared (Redis) counters are reachable now; undefined when counted in memory. */
  connected(): boolean | undefined {
    return this.store.connected?.();
  }

  /** Admits the call or throws `QuotaExceededError`; the lease must be released when it ends. */
  async acquire(who: Principal, tool: string): Promise<QuotaLease> {
    const held: (() => Promise<void> | void)[] = [];
    const taken: (() => Promise<void> | void)[] = [];
    const release = (): Promise<void> | void => {
      const pending: Promise<void>[] = [];
      for (const free of held.splice(0)) {
        const freeing = free();
        if (freeing) pending.push(freeing);
      }
      if (pending.length > 0) return Promise.all(pending).then(() => undefined);
    };
    try {
      for (const limit of this.limits) {
        if (!limit.tool.test(tool)) continue;
        const key = `${limit.index}:${this.render(limit, who, tool)}${addressPart(who)}`;
        if (limit.concurrent !== undefined) {
          const hold = await this.store.hold(key, limit.concurrent);
          if (!hold.ok)
            throw new QuotaExceededError(
              `${who.sub ?? who.id} already has ${calls(hold.running)} of ${tool} running (the limit is ${limit.concurrent} at once)`,
              1000,
            );
          held.push(hold.release);
        }
        if (limit.perMinute !== undefined) {
          const take = await this.store.take(key, limit.perMinute);
          if (!take.ok)
            throw new QuotaExceededError(
              `${who.sub ?? who.id} used up the quota of ${calls(limit.perMinute)} a minute for ${tool}`,
              take.retryAfterMs,
            );
          taken.push(take.refund);
        }
      }
    } catch (err) {
      // A call a later limit refused does not count against the earlier ones: their tokens go back.
      await Promise.all([release(), ...taken.map((refund) => refund())]);
      throw err;
    }
    return held.length === 0 ? NOTHING_HELD : { release };
  }

  close(): Promise<void> {
    return this.store.close();
  }

  private render(limit: CompiledLimit, who: Principal, tool: string): string {
    let out = '';
    for (const p of limit.parts) {
      if ('literal' in p) out += p.literal;
      else if ('tool' in p) out += encodeKeyPart(tool);
      else {
        const v = principalValue(who, p.auth);
        out +=
          v === undefined || v === null ? '%-' : encodeKeyPart(Array.isArray(v) ? v.join(',') : String(v));
      }
    }
    return out;
  }
}

/**
 * Callers without a credential are all one principal, so whatever the key template reads of them
 * (`{auth.id}`, `{auth.sub}`) is the same for all: their buckets are also per client address group,
 * or one client would use up every anonymous caller's quota.
 */
function addressPart(who: Principal): string {
  return who.kind === 'anonymous' ? `@${encodeKeyPart(who.address ?? 'unknown')}` : '';
}

/** The quotas of a config: buckets in Redis when `cache.redis` is set, else in memory. */
export function quotasFor(config: GatewayConfig, clock: Clock, logger: Logger): Quotas | undefined {
  const limits = config.limits ?? [];
  if (limits.length === 0) return undefined;
  const redis = config.cache?.redis;
  const prefix = `${config.cache?.prefix ?? 'conduit'}:quota:`;
  const store: QuotaStore =
    redis?.url || redis?.cluster?.length
      ? new RedisQuotaStore(
          openRedisDriver({
            ...(redis.url ? { url: redis.url } : {}),
            ...(redis.cluster?.length ? { cluster: redis.cluster } : {}),
          }),
          prefix,
          clock,
          logger,
        )
      : new MemoryQuotaStore(clock);
  return new Quotas(limits, store);
}
