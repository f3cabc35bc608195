import { type Context, context, type Span, trace } from '@opentelemetry/api';
import type { Tracer } from '../../telemetry/index.js';
import { ATTR, chainable, EVENT, errorTypeOf, failSpan } from '../../telemetry/index.js';
import type { CacheLookup, GatewayCache, GetOrSetOptions } from './cache-port.js';

type Fetch = <T>(
  cache: GatewayCache,
  key: string,
  factory: (background: boolean) => Promise<T>,
  options: GetOrSetOptions,
  signal: { readonly aborted: boolean },
) => Promise<CacheLookup<T>>;

/**
 * A cache lookup in a span of its own: which tier answered (`l1`, `l2`, or `factory` for a miss),
 * `hit` / `miss` / `stale`, the entry's tags (scrubbed by `redact`), a child of `parent` (the request's span; else the active
 * one). The upstream attempts of a miss are its children: `factory` gets the lookup's context. Two
 * events say what the result alone does not: `stampede_wait` (a miss answered by another caller's
 * upstream request) and `stale_if_error` (the upstream failed, a stale entry answered).
 */
export function tracedLookup<T>(
  tracer: Tracer,
  fetch: Fetch,
  cache: GatewayCache,
  key: string,
  factory: (lookup: Context, background: boolean) => Promise<T>,
  options: GetOrSetOptions,
  signal: { readonly aborted: boolean },
  parent: Context | undefined,
  redact: (text: string) => string,
): Promise<CacheLookup<T>> {
  const from = chainable(parent ?? context.active());
  const span = tracer.startSpan(
    'cache lookup',
    // A tag template may hold a `${ENV}` value: the span shows the tags scrubbed, the cache gets them as they are.
    options.tags ? { attributes: { 'conduit.cache.tags': options.tags.map(redact) } } : {},
    from,
  );
  const lookup = trace.setSpan(from, span);
  let called = false;
  let failure: unknown;
  // A `then` on the lookup, not an async wrapper: one promise more per call, not three. The closures
  // are arguments, not named constants: a build that keeps function names (tsx, esbuild) renames
  // each named one as it is made, per call.
  let pending: Promise<CacheLookup<T>>;
  try {
    pending = fetch(
      cache,
      key,
      (background) => {
        called = true;
        return factory(lookup, background).catch((err: unknown) => {
          failure = err;
          throw err;
        });
      },
      options,
      signal,
    );
  } catch (err) {
    pending = Promise.reject(err);
  }
  return pending.then(
    (hit) => {
      recordLookup(span, hit, called, failure, options);
      span.end();
      return hit;
    },
    (err: unknown) => {
      failSpan(span, err);
      span.end();
      throw err;
    },
  );
}

/** What a settled lookup says on its span: tier, result, and the events the result alone does not. */
function recordLookup(
  span: Span,
  hit: CacheLookup<unknown>,
  called: boolean,
  failure: unknown,
  options: GetOrSetOptions,
): void {
  span.setAttribute(ATTR.cacheTier, hit.source);
  span.setAttribute(ATTR.cacheResult, hit.source === 'factory' ? 'miss' : hit.stale ? 'stale' : 'hit');
  if (hit.source === 'factory' && !called) span.addEvent(EVENT.stampedeWait);
  if (hit.stale && failure !== undefined)
    span.addEvent(EVENT.staleIfError, { 'conduit.cache.stale_reason': errorTypeOf(failure) });
  else if (hit.stale && !called && options.staleWhileRevalidateMs === undefined)
    // Stale without a try and without stale-while-revalidate: the upstream failed moments ago, and
    // the cache holds it off for a few seconds instead of asking again.
    span.addEvent(EVENT.staleIfError, { 'conduit.cache.stale_reason': 'recent_failure' });
}
