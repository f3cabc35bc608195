import { ConduitError } from '../core/index.js';

/** Thrown when a cache call is made after `close()`. */
export class CacheClosedError extends ConduitError {
  constructor() {
    super(
      'CACHE_CLOSED',
      'The cache was closed; create a new cache with createCache() instead of reusing it',
    );
  }
}

/** Thrown by `set`/`getOrSet` when a value cannot be stored (not JSON-serializable). */
export class CacheValueError extends ConduitError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('CACHE_VALUE_INVALID', message, options);
  }
}

/** Thrown by `getOrSet` when the factory did not settle within `timeoutMs` and no stale value could be served. */
export class CacheFactoryTimeoutError extends ConduitError {
  readonly timeoutMs: number;
  constructor(timeoutMs: number) {
    super(
      'CACHE_FACTORY_TIMEOUT',
      `The cache factory did not settle within ${timeoutMs} ms; raise getOrSet's timeoutMs or make the factory faster`,
    );
    this.timeoutMs = timeoutMs;
  }
}
