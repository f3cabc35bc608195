import type { Context } from '@opentelemetry/api';

/**
 * A context that holds one value over its parent, for the contexts a traced request derives (its
 * remote parent, its span, its cache lookup's span). The API's own context copies its whole Map and
 * makes three closures per `setValue`; this one is a small object whose `getValue` walks a chain a
 * few links long, ending in the context it started from (so values an application's own context
 * manager set stay visible).
 */
class ChainedContext implements Context {
  constructor(
    private readonly parent: Context,
    private readonly key: symbol,
    private readonly value: unknown,
  ) {}

  getValue(key: symbol): unknown {
    let c: Context = this;
    while (c instanceof ChainedContext) {
      if (c.key === key) return c.value;
      c = c.parent;
    }
    return c.getValue(key);
  }

  setValue(key: symbol, value: unknown): Context {
    return new ChainedContext(this, key, value);
  }

  deleteValue(key: symbol): Context {
    // Undefined is what a missing key reads as.
    return new ChainedContext(this, key, undefined);
  }
}

/** A key nothing reads: the first link of a chain holds no value of its own. */
const START: unique symbol = Symbol('conduit.contextChain');

/**
 * `base` as a context whose `setValue` chains (see {@link ChainedContext}): `trace.setSpan` and
 * `trace.setSpanContext` on it, and on what they return, make one small object each.
 */
export function chainable(base: Context): Context {
  return base instanceof ChainedContext ? base : new ChainedContext(base, START, undefined);
}
