import type { Tracer } from '@opentelemetry/api';
import type { Clock, Logger } from '../core/index.js';
import {
  type BreakerOptions,
  type BreakerSnapshot,
  type BreakerStateStore,
  bulkhead,
  type StateChangeEvent,
  type CircuitBreaker,
  circuitBreaker,
  type Policy,
  type RateLimiter,
  rateLimiter,
  type RetryOptions,
  type RetryPolicy,
  retry,
  wrap,
} from '../resilience/index.js';
import type { Call } from './call.js';
import type { BreakerTransitions } from './types.js';
import type { HttpResponse } from './response.js';
import { traceBreaker, traceRetry } from './tracing.js';
import {
  DEFAULT_RETRY_STATUSES,
  isBreakerFailure,
  isBreakerNeutral,
  isRetryableError,
} from './retry-rules.js';

/** Retry settings for HTTP: backoff from `conduit-mcp/resilience`, plus which statuses are retried. */
export interface HttpRetryOptions
  extends Omit<
    RetryOptions,
    'retryOn' | 'retryOnResult' | 'getRetryAfterMs' | 'maxElapsedMs' | 'clock' | 'logger'
  > {
  /** Statuses worth another attempt. Default 408, 425, 429, 500, 502, 503, 504. */
  statuses?: readonly number[];
}

/**
 * Breaker settings; failures are 5xx, 408, network errors, timeouts and a success that is not valid
 * JSON where JSON was expected (other 4xx are not; a 429 counts neither way).
 */
export type HttpBreakerOptions = Omit<
  BreakerOptions,
  'isFailure' | 'isNeutral' | 'isResultFailure' | 'clock' | 'fallback'
> & {
  /**
   * A success whose body is not the JSON the call expected (`expectJson`) counts as a failure.
   * Default true; false lets such answers through the breaker as successes (the call still fails
   * with `InvalidJsonError` when the body is read as JSON).
   */
  countInvalidJson?: boolean;
  /**
   * `'upstream'` (default): one breaker for every request of the client. `'route'`: one per method +
   * path template (`GET /items/{id}`), so a failing route, or one caller's bad input on it, leaves the
   * other routes served. At most 256 route breakers; further routes share one.
   */
  scope?: BreakerScope;
  /** The shared state store of one route breaker (`scope: 'route'`); `store` serves `'upstream'`. */
  storeFor?: (scope: string) => BreakerStateStore;
};

/** The resilience part of `HttpClientOptions`. */
export interface ResilienceOptions {
  /** Retry of safe calls (default 3 attempts, exponential backoff with full jitter); `false` disables. */
  retry?: false | HttpRetryOptions;
  /**
   * One circuit breaker for the upstream origin, shared by every request of this client (default:
   * open after 5 consecutive failures, probe after 30 s). Pass a `CircuitBreaker` to share one between
   * clients of the same origin; `false` disables.
   */
  breaker?: false | HttpBreakerOptions | CircuitBreaker;
  /** Concurrent calls to the upstream, beyond which calls queue or are rejected. Default: none. */
  bulkhead?: { maxConcurrent: number; maxQueue?: number };
  /**
   * Client-side token bucket per upstream, so the client stays under a published limit. A call waits
   * for a token up to `maxWaitMs` (default: the total timeout), else fails with `RateLimitedError`.
   */
  rateLimit?: { ratePerSec: number; burst?: number; maxWaitMs?: number } | RateLimiter;
  /**
   * After a 429 with Retry-After, calls to this upstream are not sent until that time: they fail at
   * once with `UpstreamRateLimitedError` (code `UPSTREAM_RATE_LIMITED`, `held: true`, `retryAfterMs` = the
   * time left), and the breaker counts none of it. `maxMs` caps how long one answer may hold (an
   * upstream's Retry-After is not trusted beyond it). Default `{ maxMs: 300_000 }`; `false` sends
   * every call regardless.
   */
  retryAfterHold?: false | { maxMs?: number };
}

/** The composed policies of one client, for the hot path. */
export interface HttpPipeline {
  execute(
    call: Call,
    attempt: (call: Call, attempt: number) => Promise<HttpResponse>,
    retryable: boolean,
    signal: AbortSignal | undefined,
    /** A second signal that aborts the call (`RequestOptions.stopSignal`). */
    stop?: AbortSignal | undefined,
  ): Promise<HttpResponse>;
  /** True when a policy can make a call wait in a queue (bulkhead queue, rate-limit wait). */
  readonly queues: boolean;
  breakerSnapshot(): BreakerSnapshot | undefined;
  /** Every breaker's snapshot by scope (`METHOD /route`, or `*` for the upstream's one). */
  breakerSnapshots(): Record<string, BreakerSnapshot>;
  /** The route breakers' state changes as one source (route scope only). */
  readonly transitions: BreakerTransitions | undefined;
  /** The one breaker instance of an upstream-scoped client (own or given), for observers such as metrics. */
  readonly breaker: CircuitBreaker | undefined;
  dispose(): void;
}

/** How far one breaker reaches. */
export type BreakerScope = 'route' | 'upstream';

/** Route breakers kept per client; calls on further routes share one `(other routes)` breaker. */
const MAX_ROUTE_BREAKERS = 256;

/** One breaker and the chains built around it, one per retry policy. */
interface Scope {
  readonly breaker: CircuitBreaker | undefined;
  readonly chains: Map<RetryPolicy | undefined, Policy | undefined>;
  /** The chain of the client's default deadline, resolved once. */
  defaultChain: Policy | undefined | null;
}

/**
 * Builds bulkhead → retry → rate limit → breaker around each attempt. Retry policies are cached per
 * total deadline (its `maxElapsedMs`), so a retry never waits past the deadline; calls that may not be
 * retried (POST/PATCH without Idempotency-Key) skip the retry layer entirely. With `breaker.scope:
 * 'route'` each method + path template gets a breaker of its own (made on its first call), so one
 * failing route, or one client's bad input on it, cannot open the breaker for the others.
 */
export function buildPipeline(
  options: ResilienceOptions,
  ctx: {
    upstream: string;
    clock: Clock;
    logger: Logger;
    totalMs: number;
    /** Set: retries and breaker transitions become events of the active span. */
    tracer?: Tracer | undefined;
  },
): HttpPipeline {
  const { clock, logger } = ctx;
  const traced = ctx.tracer !== undefined;
  const b = options.breaker;
  const given = b !== undefined && b !== false && typeof (b as CircuitBreaker).snapshot === 'function';
  const own = b === false || given ? undefined : ((b ?? {}) as HttpBreakerOptions);
  const routeScoped = own?.scope === 'route';
  const makeBreaker = (scope: string | undefined): CircuitBreaker => {
    const { countInvalidJson: _c, scope: _s, storeFor, ...rest } = own!;
    const store = scope !== undefined && storeFor !== undefined ? storeFor(scope) : rest.store;
    const made = circuitBreaker({
      name: scope === undefined ? ctx.upstream : `${ctx.upstream} ${scope}`,
      ...rest,
      ...(store !== undefined ? { store } : {}),
      isFailure: isBreakerFailure,
      isNeutral: isBreakerNeutral,
      clock,
      logger: rest.logger ?? logger,
    });
    return traced ? traceBreaker(made) : made;
  };
  const single: CircuitBreaker | undefined = given
    ? (b as CircuitBreaker)
    : own !== undefined && !routeScoped
      ? makeBreaker(undefined)
      : undefined;
  let limiter: RateLimiter | undefined;
  const rl = options.rateLimit;
  if (rl !== undefined) {
    limiter =
      typeof (rl as RateLimiter).tryTake === 'function'
        ? (rl as RateLimiter)
        : rateLimiter({
            ratePerSec: (rl as { ratePerSec: number }).ratePerSec,
            ...((rl as { burst?: number }).burst !== undefined
              ? { burst: (rl as { burst: number }).burst }
              : {}),
            maxWaitMs:
              (rl as { maxWaitMs?: number }).maxWaitMs ?? (ctx.totalMs > 0 ? ctx.totalMs : undefined),
            clock,
          });
  }
  const bh = options.bulkhead ? bulkhead({ ...options.bulkhead }) : undefined;

  const ro = options.retry === false ? undefined : (options.retry ?? {});
  const statuses = new Set(ro?.statuses ?? DEFAULT_RETRY_STATUSES);
  const retryOn = (err: unknown) => isRetryableError(err, statuses);
  const retries = new Map<number, RetryPolicy>();
  const retryFor = (totalMs: number): RetryPolicy => {
    let p = retries.get(totalMs);
    if (p === undefined) {
      const { statuses: _s, ...backoff } = ro!;
      p = retry({
        ...backoff,
        retryOn,
        // Only HttpStatusError carries retryAfterMs, and only for 429/503.
        getRetryAfterMs: (e) => (e as { retryAfterMs?: number }).retryAfterMs,
        ...(totalMs > 0 ? { maxElapsedMs: totalMs } : {}),
        ...(traced ? { onRetry: traceRetry } : {}),
        clock,
      });
      if (retries.size > 32) retries.clear();
      retries.set(totalMs, p);
    }
    return p;
  };

  // Composed chains, built once per (breaker, retry policy) and reused by every call.
  const chainFor = (scope: Scope, r: RetryPolicy | undefined): Policy | undefined => {
    if (scope.chains.has(r)) return scope.chains.get(r);
    const parts: Policy[] = [];
    if (bh) parts.push(bh);
    if (r) parts.push(r);
    if (limiter) parts.push(limiter);
    if (scope.breaker) parts.push(scope.breaker);
    const c = parts.length === 0 ? undefined : parts.length === 1 ? parts[0] : wrap(...parts);
    if (scope.chains.size > 33) scope.chains.clear();
    scope.chains.set(r, c);
    return c;
  };
  const newScope = (breaker: CircuitBreaker | undefined): Scope => ({
    breaker,
    chains: new Map(),
    defaultChain: null,
  });
  const upstreamScope = newScope(single);

  // Every route breaker's transitions, forwarded to the observers of `transitions`.
  const listeners = new Set<(e: StateChangeEvent) => void>();
  const watch = (breaker: CircuitBreaker): CircuitBreaker => {
    breaker.on('stateChange', (e) => {
      for (const l of listeners) l(e);
    });
    return breaker;
  };
  const transitions: BreakerTransitions | undefined = routeScoped
    ? {
        get state() {
          return worstSnapshot(ctx.upstream, allRouteScopes()).state;
        },
        on(_event, listener) {
          listeners.add(listener);
          return () => listeners.delete(listener);
        },
      }
    : undefined;

  // Route scopes by route, then method: no string is built per call.
  const routes = new Map<string, Map<string, Scope>>();
  let routeCount = 0;
  let otherScope: Scope | undefined;
  const scopeFor = (method: string, route: string): Scope => {
    let byMethod = routes.get(route);
    const found = byMethod?.get(method);
    if (found !== undefined) return found;
    if (routeCount >= MAX_ROUTE_BREAKERS) {
      // Expanded paths instead of templates: bounded, at the price of sharing one breaker.
      otherScope ??= newScope(watch(makeBreaker('(other routes)')));
      return otherScope;
    }
    const scope = newScope(watch(makeBreaker(`${method} ${route}`)));
    routeCount++;
    if (byMethod === undefined) {
      byMethod = new Map();
      routes.set(route, byMethod);
    }
    byMethod.set(method, scope);
    return scope;
  };
  const allRouteScopes = (): Scope[] => {
    const out: Scope[] = [];
    for (const m of routes.values()) for (const sc of m.values()) out.push(sc);
    if (otherScope) out.push(otherScope);
    return out;
  };

  const defaultRetry = ro !== undefined ? retryFor(ctx.totalMs) : undefined;
  return {
    queues: (bh !== undefined && (options.bulkhead?.maxQueue ?? 0) > 0) || limiter !== undefined,
    execute(call, attempt, retryable, signal, stop) {
      const scope = routeScoped ? scopeFor(call.method, call.route) : upstreamScope;
      let chain: Policy | undefined;
      if (!retryable) chain = chainFor(scope, undefined);
      else if (call.totalMs === ctx.totalMs) {
        if (scope.defaultChain === null) scope.defaultChain = chainFor(scope, defaultRetry);
        chain = scope.defaultChain;
      } else chain = chainFor(scope, ro !== undefined ? retryFor(call.totalMs) : undefined);
      if (chain === undefined) return attempt(call, 1);
      // The client's own abort listener ends the attempt (see Call.abortByCaller): no second race.
      return chain.execute(
        (pc) => attempt(call, pc.attempt),
        stop
          ? { signal, stopSignal: stop, operationSettlesOnAbort: true }
          : signal
            ? { signal, operationSettlesOnAbort: true }
            : undefined,
      );
    },
    breakerSnapshot: () => {
      if (!routeScoped) return single?.snapshot();
      return worstSnapshot(ctx.upstream, allRouteScopes());
    },
    breakerSnapshots: () => {
      const out: Record<string, BreakerSnapshot> = {};
      if (!routeScoped) {
        if (single) out['*'] = single.snapshot();
        return out;
      }
      for (const [route, m] of routes)
        for (const [method, sc] of m) out[`${method} ${route}`] = sc.breaker!.snapshot();
      if (otherScope) out['(other routes)'] = otherScope.breaker!.snapshot();
      return out;
    },
    breaker: single,
    transitions,
    dispose() {
      listeners.clear();
      if (own === undefined) return;
      single?.dispose();
      for (const sc of allRouteScopes()) sc.breaker?.dispose();
    },
  };
}

const SEVERITY: Record<BreakerSnapshot['state'], number> = {
  closed: 0,
  'half-open': 1,
  open: 2,
  isolated: 3,
};

/** The snapshot of the route breaker in the worst state (a closed, empty one when none exists yet). */
function worstSnapshot(upstream: string, scopes: readonly Scope[]): BreakerSnapshot {
  let worst: BreakerSnapshot | undefined;
  for (const sc of scopes) {
    const snap = sc.breaker!.snapshot();
    if (worst === undefined || SEVERITY[snap.state] > SEVERITY[worst.state]) worst = snap;
  }
  return (
    worst ?? {
      name: upstream,
      state: 'closed',
      calls: 0,
      failures: 0,
      slowCalls: 0,
      consecutiveFailures: 0,
      failureRate: 0,
      openedAt: undefined,
      nextAttemptAt: undefined,
      lastFailure: undefined,
      halfOpenInFlight: 0,
      halfOpenSuccesses: 0,
      reopenCount: 0,
    }
  );
}
