/**
 * `conduit-mcp/resilience`: retry, circuit breaker, timeout, bulkhead, fallback, token-bucket rate
 * limiter and retry budget, composable with `wrap(...)` behind one `execute(fn, { signal })`.
 *
 * Every policy takes an injectable `clock` (default `systemClock`) so tests can drive time by hand.
 * Awaited waits (retry backoff, `sleep`, rate-limit waits) hold the event loop until they end; guard
 * timers (deadlines) never keep the process alive.
 */
export type {
  PolicyContext,
  Policy,
  ExecuteOptions,
  Operation,
  ComposablePolicy,
} from './context.js';
export {
  CircuitOpenError,
  TimeoutError,
  BulkheadRejectedError,
  RetryBudgetExhaustedError,
  RateLimitExceededError,
} from './errors.js';
export { AbortedError, isAbortError } from '../core/index.js';
export { parseRetryAfter } from './retry-after.js';
export { sleep } from './sleep.js';
export { type Jitter, type BackoffOptions, backoffDelay } from './backoff.js';
export {
  retry,
  defaultGetRetryAfterMs,
  type RetryOptions,
  type RetryPolicy,
  type RetryEvent,
  type GiveUpEvent,
  type GiveUpReason,
} from './retry.js';
export {
  retryBudget,
  type RetryBudget,
  type RetryBudgetOptions,
  type RetryBudgetSnapshot,
} from './retry-budget.js';
export {
  circuitBreaker,
  type CircuitBreaker,
  type BreakerOptions,
  type BreakerSnapshot,
  type BreakerEvents,
  type StateChangeEvent,
} from './circuit-breaker.js';
export type { BreakerModel, WindowStats } from './failure-window.js';
export {
  MemoryBreakerStateStore,
  type BreakerState,
  type BreakerStateStore,
  type SharedBreakerState,
  supersedes,
} from './breaker-store.js';
export {
  RedisBreakerStateStore,
  type RedisBreakerStateStoreOptions,
  type BreakerRedisClient,
  type BreakerRedisSubscriber,
} from './redis-breaker-store.js';
export { timeout, type TimeoutOptions, type TimeoutPolicy } from './timeout.js';
/** Many deadlines behind one clock timer: the building block of `timeout`, shared with the cache's L2 calls. */
export { DeadlineQueue, type DeadlineEntry } from './deadline-queue.js';
export { bulkhead, type BulkheadOptions, type BulkheadPolicy } from './bulkhead.js';
export { fallback, type FallbackOptions, type FallbackPolicy } from './fallback.js';
export { wrap, type WrappedPolicy } from './wrap.js';
export { rateLimiter, type RateLimiter, type RateLimiterOptions } from './rate-limiter.js';
