import { AsyncLocalStorage } from 'node:async_hooks';
import { type Context, type ContextManager, context, ROOT_CONTEXT } from '@opentelemetry/api';

/**
 * The active OpenTelemetry context carried across awaits by `AsyncLocalStorage`, for applications
 * whose own code reads the active span. Conduit itself passes contexts explicitly and registers none:
 * on Node 20 an enabled AsyncLocalStorage costs every promise of the process. Kept here (a few lines)
 * so the API alone is enough; the SDK brings none of its own.
 */
class AsyncContextManager implements ContextManager {
  private readonly storage = new AsyncLocalStorage<Context>();

  active(): Context {
    return this.storage.getStore() ?? ROOT_CONTEXT;
  }

  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    ctx: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    return this.storage.run(ctx, fn.bind(thisArg as never) as never, ...args) as ReturnType<F>;
  }

  bind<T>(ctx: Context, target: T): T {
    if (typeof target !== 'function') return target;
    const fn = target as unknown as (...a: unknown[]) => unknown;
    const storage = this.storage;
    return function (this: unknown, ...a: unknown[]) {
      return storage.run(ctx, () => fn.apply(this, a));
    } as unknown as T;
  }

  enable(): this {
    return this;
  }

  disable(): this {
    this.storage.disable();
    return this;
  }
}

let installed = false;

/**
 * Makes `context.active()` follow async calls, once per process. An application that registered its
 * own context manager (an SDK's) keeps it: the API refuses a second one, and that one works as well.
 */
export function ensureContextManager(): void {
  if (installed) return;
  installed = true;
  context.setGlobalContextManager(new AsyncContextManager());
}
