import {
  type Context,
  createTraceState,
  isSpanContextValid,
  type SpanContext,
  trace,
  TraceFlags,
} from '@opentelemetry/api';

/** `00-<32 hex trace id>-<16 hex span id>-<2 hex flags>`: W3C Trace Context, version 00 (later versions parse as 00). */
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

/** Longest accepted `tracestate` (the W3C limit is 32 members of at most 256 characters each). */
const MAX_TRACESTATE = 512;

/**
 * The remote span context of a `traceparent` (and optional `tracestate`) value; undefined for anything
 * malformed (they come from clients and webhook senders: untrusted, never an error).
 */
export function parseTraceparent(value: unknown, state?: unknown): SpanContext | undefined {
  if (typeof value !== 'string' || value.length > 128) return undefined;
  const m = TRACEPARENT.exec(value.trim());
  if (!m) return undefined;
  const [, version, traceId, spanId, flags, rest] = m;
  // Version ff is invalid; version 00 has nothing after the flags.
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined;
  const sc: SpanContext = {
    traceId: traceId!,
    spanId: spanId!,
    traceFlags: Number.parseInt(flags!, 16) & TraceFlags.SAMPLED,
    isRemote: true,
  };
  if (!isSpanContextValid(sc)) return undefined;
  if (typeof state === 'string' && state.length > 0 && state.length <= MAX_TRACESTATE)
    sc.traceState = createTraceState(state);
  return sc;
}

/** The `traceparent` of a span context (`00-…-01` when sampled). */
export function formatTraceparent(sc: SpanContext): string {
  return `00-${sc.traceId}-${sc.spanId}-${(sc.traceFlags & TraceFlags.SAMPLED) === 1 ? '01' : '00'}`;
}

/** `ctx` with the remote parent of `traceparent`; `ctx` itself when the value is absent or malformed. */
export function contextWithRemoteParent(ctx: Context, traceparent: unknown, tracestate?: unknown): Context {
  const sc = parseTraceparent(traceparent, tracestate);
  return sc ? trace.setSpanContext(ctx, sc) : ctx;
}

/** The `traceparent` of the span active in `ctx`, for a message that carries it onward; undefined without one. */
export function traceparentOf(ctx: Context): string | undefined {
  const sc = trace.getSpanContext(ctx);
  return sc && isSpanContextValid(sc) ? formatTraceparent(sc) : undefined;
}
