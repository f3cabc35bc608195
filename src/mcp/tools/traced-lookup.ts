import { type Context, type Span, SpanKind } from '@opentelemetry/api';
import type { Tracer } from '../../telemetry/index.js';
import { ATTR, EVENT, errorTypeOf, inSpan } from '../../telemetry/index.js';
import type { CacheLookup, GatewayCache, GetOrSetOptions } from './cache-port.js';

type Fetch = <T>(
  cache: GatewayCache,
  key: string,
  factory: () => Promise<T>,
  options: GetOrSetOptions,
  signal: { readonly aborted: boolean },
) => Promise<CacheLookup<T>>;

/**
 * A cache lookup in a span of its own: which tier answered (`l1`, `l2`, or `factory` for a miss),
 * `hit` / `miss` / `stale`, the entry's tags, a child of `parent` (the request's span; else the active
 * one). The upstream attempts of a miss are its children: `factory` gets the lookup's context. Two
 * events say what the result alone does not: `stampede_wait` (a miss answered by another caller's
 * upstream request) and `stale_if_error` (the upstream failed, a stale entry answered).
 */
export function tracedLookup<T>(
  tracer: Tracer,
  fetch: Fetch,
  cache: GatewayCache,
  key: string,
  factory: (lookup: Context) => Promise<T>,
  options: GetOrSetOptions,
  signal: { readonly aborted: boolean },
  parent: Context | undefined,
): Promise<CacheLookup<T>> {
  let called = false;
  let failure: unknown;
  let lookup: Context | undefined;
  const watched = () => {
    called = true;
    return factory(lookup!).catch((err: unknown) => {
      failure = err;
      throw err;
    });
  };
  const attributes = options.tags ? { [ATTR.cacheTags]: options.tags } : {};
  const run = async (span: Span, ctx: Context) => {
    lookup = ctx;
    const hit = await fetch(cache, key, watched, options, signal);
    span.setAttribute(ATTR.cacheTier, hit.source);
    span.setAttribute(ATTR.cacheResult, hit.source === 'factory' ? 'miss' : hit.stale ? 'stale' : 'hit');
    if (hit.source === 'factory' && !called) span.addEvent(EVENT.stampedeWait);
    if (hit.stale && failure !== undefined)
      span.addEvent(EVENT.staleIfError, { 'conduit.cache.stale_reason': errorTypeOf(failure) });
    else if (hit.stale && !called && options.staleWhileRevalidateMs === undefined)
      // Stale without a try and without stale-while-revalidate: the upstream failed moments ago, and
      // the cache holds it off for a few seconds instead of asking again.
      span.addEvent(EVENT.staleIfError, { 'conduit.cache.stale_reason': 'recent_failure' });
    return hit;
  };
  return parent !== undefined
    ? inSpan(tracer, 'cache lookup', attributes, run, SpanKind.INTERNAL, parent)
    : inSpan(tracer, 'cache lookup', attributes, run);
}
