import { ConduitError, errorCodeOf } from '../core/index.js';

/** Thrown when a cache call is made after `close()`. */
export class CacheClosedError extends ConduitError {
  declare readonly code: 'CACHE_CLOSED';
  constructor() {
    super(
      'CACHE_CLOSED',
      'The cache was closed; create a new cache with createCache() instead of reusing it',
    );
  }
}

/** Thrown by `set`/`getOrSet` when a value cannot be stored (not JSON-serializable). */
export class CacheValueError extends ConduitError {
  declare readonly code: 'CACHE_VALUE_INVALID';
  constructor(message: string, options?: { cause?: unknown }) {
    super('CACHE_VALUE_INVALID', message, options);
  }
}

/** Thrown by `getOrSet` when the factory did not settle within `timeoutMs` and no stale value could be served. */
export class CacheFactoryTimeoutError extends ConduitError {
  declare readonly code: 'CACHE_FACTORY_TIMEOUT';
  readonly timeoutMs: number;
  constructor(timeoutMs: number) {
    super(
      'CACHE_FACTORY_TIMEOUT',
      `The cache factory did not settle within ${timeoutMs} ms; raise getOrSet's timeoutMs or make the factory faster`,
    );
    this.timeoutMs = timeoutMs;
  }
}

/**
 * A `strict` invalidation reached this instance only: Redis (the L2 delete, the tag bump or the bus
 * message) failed, so Redis or other instances may still serve the old value. Retry once Redis answers.
 */
export class CacheInvalidationError extends ConduitError {
  declare readonly code: 'CACHE_INVALIDATION_INCOMPLETE';
  readonly op: string;
  constructor(op: string, cause: unknown) {
    super(
      'CACHE_INVALIDATION_INCOMPLETE',
      `cache.${op} reached this instance only: Redis failed (${
        errorCodeOf(cause) ?? (cause instanceof Error ? cause.name : 'error')
      }); retry it once Redis answers`,
      { cause },
    );
    this.op = op;
  }
}
