import {
  type Clock,
  ConfigError,
  type Logger,
  noopLogger,
  coarseSystemClock,
  nonNegative,
  positive,
} from '../../core/index.js';
import type { L1Options } from '../tiers/l1.js';
import type { CacheOptions, LockOptions } from './types.js';

/** `CacheOptions` checked once, with every default filled in. */
export interface CacheSettings {
  readonly prefix: string;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly ttlMs: number;
  readonly l1: L1Options | undefined;
  readonly l1TtlMs: number | undefined;
  readonly jitter: number;
  readonly swrMs: number;
  readonly sieMs: number;
  readonly throttleMs: number;
  readonly negativeTtlMs: number | undefined;
  /** The distributed lock's settings; undefined when off (the cache also needs an L2 for it). */
  readonly lock: Required<LockOptions> | undefined;
  readonly bus: boolean;
  readonly tagVersionTtlMs: number;
  readonly maxTagVersions: number;
}

/** Validates `options` (a `ConfigError` names the bad field) and fills in defaults. */
export function resolveSettings(options: CacheOptions): CacheSettings {
  const jitter = options.jitter ?? 0;
  if (!(jitter >= 0 && jitter < 1)) throw new ConfigError(`jitter must be in [0, 1); got ${jitter}`);
  const lock = options.lock;
  return {
    prefix: options.prefix ?? 'conduit',
    clock: options.clock ?? coarseSystemClock,
    logger: options.logger ?? noopLogger,
    ttlMs: positive('ttlMs', options.ttlMs ?? options.l2?.ttlMs ?? 60_000),
    l1: options.l1,
    l1TtlMs: options.l1?.ttlMs === undefined ? undefined : positive('l1.ttlMs', options.l1.ttlMs),
    jitter,
    swrMs: nonNegative('staleWhileRevalidateMs', options.staleWhileRevalidateMs ?? 0),
    sieMs: nonNegative('staleIfErrorMs', options.staleIfErrorMs ?? 0),
    throttleMs: nonNegative('staleIfErrorThrottleMs', options.staleIfErrorThrottleMs ?? 5000),
    negativeTtlMs:
      options.negativeTtlMs === undefined ? undefined : positive('negativeTtlMs', options.negativeTtlMs),
    lock:
      lock && options.l2
        ? {
            ttlMs: (lock !== true && lock.ttlMs) || 10_000,
            waitMs: (lock !== true && lock.waitMs) || 3000,
            pollMs: (lock !== true && lock.pollMs) || 20,
          }
        : undefined,
    bus: options.bus ?? true,
    tagVersionTtlMs: nonNegative('tagVersionTtlMs', options.tagVersionTtlMs ?? 1000),
    maxTagVersions: options.maxTagVersions ?? 10_000,
  };
}
