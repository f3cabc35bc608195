import {
  type ComposablePolicy,
  type ExecContext,
  type ExecuteOptions,
  executeRoot,
  type Operation,
  type Policy,
  type PolicyContext,
  RUN,
} from './context.js';
import type { FallbackPolicy } from './fallback.js';

/** A composed policy. */
export interface WrappedPolicy extends ComposablePolicy {
  readonly policies: readonly (Policy | FallbackPolicy<unknown>)[];
  /** Disposes every wrapped policy that has a `dispose()`: afterwards none of them has a timer scheduled. */
  dispose(): void;
}

// A policy from elsewhere (only `execute`): adapt it, forwarding our context's signal.
function adapt(p: Policy | FallbackPolicy<unknown>): ComposablePolicy {
  if (RUN in p) return p as ComposablePolicy;
  return {
    [RUN]: <T>(ctx: ExecContext, fn: Operation<T>) => p.execute(() => fn(ctx), { signal: ctx.signal }),
    execute: <T>(fn: Operation<T>, o?: ExecuteOptions) => p.execute(fn, o) as Promise<T>,
  };
}

/**
 * Composes policies, outermost first: `wrap(fallback, retry, breaker, timeout)` runs the fallback
 * around the retry, which retries calls through the breaker, each attempt limited by the timeout.
 * This is the recommended order: the timeout per attempt, the breaker counting each attempt, the
 * retry deciding about breaker rejections (honouring their `retryAfterMs`), and the fallback last.
 */
export function wrap(...policies: (Policy | FallbackPolicy<unknown>)[]): WrappedPolicy {
  const chain = policies.map(adapt);
  const n = chain.length;

  const step = <T>(i: number, ctx: ExecContext, fn: Operation<T>): Promise<T> =>
    i === n - 1
      ? chain[i]![RUN](ctx, fn)
      : chain[i]![RUN](ctx, (c: PolicyContext) => step(i + 1, c as ExecContext, fn));

  function run<T>(ctx: ExecContext, fn: Operation<T>): Promise<T> {
    if (n === 0) {
      try {
        return Promise.resolve(fn(ctx));
      } catch (err) {
        return Promise.reject(err);
      }
    }
    return step(0, ctx, fn);
  }

  const policy: WrappedPolicy = {
    policies,
    [RUN]: run,
    dispose() {
      for (const p of policies) (p as { dispose?: () => void }).dispose?.();
    },
    execute<T>(fn: Operation<T>, opts?: ExecuteOptions): Promise<T> {
      return executeRoot(policy, fn, opts);
    },
  };
  return policy;
}
