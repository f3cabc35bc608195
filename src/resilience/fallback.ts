import {
  type ComposablePolicy,
  type ExecContext,
  type ExecuteOptions,
  executeRoot,
  type Operation,
  type PolicyContext,
  RUN,
} from './context.js';

/** Options of `fallback`: a fixed `value`, or `fn` computing one from the error. */
export type FallbackOptions<F> = (
  | { value: F; fn?: never }
  | { fn: (error: unknown, ctx: PolicyContext) => F | PromiseLike<F>; value?: never }
) & {
  /** Which errors fall back. Default: every error. */
  when?: (error: unknown) => boolean;
};

/** A fallback policy; `execute` resolves to the operation's value or the fallback's. */
export interface FallbackPolicy<F = unknown> {
  execute<T>(fn: Operation<T>, options?: ExecuteOptions): Promise<T | F>;
  /** @internal */
  [RUN]<T>(ctx: ExecContext, fn: Operation<T>): Promise<T | F>;
}

/** Replaces chosen errors with a value (or the result of `fn(error)`). */
export function fallback<F>(options: FallbackOptions<F>): FallbackPolicy<F> {
  const when = options.when;
  const hasFn = typeof options.fn === 'function';
  const fn = options.fn;
  const value = options.value as F;

  async function run<T>(ctx: ExecContext, op: Operation<T>): Promise<T | F> {
    try {
      return await op(ctx);
    } catch (error) {
      if (when && !when(error)) throw error;
      return hasFn ? await fn!(error, ctx) : value;
    }
  }

  const policy = {
    [RUN]: run,
    execute<T>(op: Operation<T>, opts?: ExecuteOptions): Promise<T | F> {
      return executeRoot(policy as unknown as ComposablePolicy, op, opts) as Promise<T | F>;
    },
  };
  return policy as unknown as FallbackPolicy<F>;
}
