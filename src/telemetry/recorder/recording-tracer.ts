import {
  type Context,
  context,
  isSpanContextValid,
  type Span,
  SpanKind,
  type SpanContext,
  type SpanOptions,
  type Tracer,
  TraceFlags,
  trace,
} from '@opentelemetry/api';
import type { PooledIdGenerator } from '../id-generator.js';
import { RecordedSpan, type SpanSink } from './recorded-span.js';

/**
 * Whether a new root trace is recorded, from its trace id's last 32 bits (random): the same trace id
 * gets the same answer in every process, as the SDK's ratio sampler does.
 */
export function rootSampler(ratio: number): (traceId: string) => boolean {
  if (ratio >= 1) return () => true;
  if (!(ratio > 0)) return () => false;
  const bound = Math.floor(ratio * 0x1_0000_0000);
  return (traceId) => Number.parseInt(traceId.slice(24), 16) < bound;
}

/** A span kind the API defines (INTERNAL for anything else a JavaScript caller passed). */
function kindOf(kind: unknown): SpanKind {
  return typeof kind === 'number' && Number.isInteger(kind) && kind >= 0 && kind <= 4
    ? (kind as SpanKind)
    : SpanKind.INTERNAL;
}

/** The span context `ctx` holds, if valid: a recorded span's own is (its ids were generated here). */
function parentOf(ctx: Context): SpanContext | undefined {
  const span = trace.getSpan(ctx);
  if (span === undefined) return undefined;
  const sc = span.spanContext();
  return span instanceof RecordedSpan || isSpanContextValid(sc) ? sc : undefined;
}

/**
 * A tracer whose sampled spans are `RecordedSpan`s handed to a sink when they end. Sampling is
 * parent-based: a span with a parent (remote or local) follows the parent's sampled flag, a root
 * span is sampled by `sampleRoot`. An unsampled span is the API's non-recording span: its context
 * still propagates (`traceparent` with flags `00`).
 */
export class RecordingTracer implements Tracer {
  constructor(
    private readonly sink: SpanSink,
    private readonly ids: Pick<PooledIdGenerator, 'generateTraceId' | 'generateSpanId'>,
    private readonly sampleRoot: (traceId: string) => boolean,
  ) {}

  startSpan(name: string, options?: SpanOptions, ctx: Context = context.active()): Span {
    const parent = options?.root === true ? undefined : parentOf(ctx);
    const traceId = parent !== undefined ? parent.traceId : this.ids.generateTraceId();
    const spanId = this.ids.generateSpanId();
    const sampled =
      parent !== undefined ? (parent.traceFlags & TraceFlags.SAMPLED) !== 0 : this.sampleRoot(traceId);
    const spanContext: SpanContext = {
      traceId,
      spanId,
      traceFlags: sampled ? TraceFlags.SAMPLED : TraceFlags.NONE,
    };
    if (parent?.traceState !== undefined) spanContext.traceState = parent.traceState;
    if (!sampled) return trace.wrapSpanContext(spanContext);
    return new RecordedSpan(
      this.sink,
      name,
      spanContext,
      kindOf(options?.kind),
      parent,
      options?.attributes,
      options?.links,
      options?.startTime,
    );
  }

  startActiveSpan<F extends (span: Span) => unknown>(name: string, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(
    name: string,
    options: SpanOptions,
    fn: F,
  ): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(
    name: string,
    options: SpanOptions,
    ctx: Context,
    fn: F,
  ): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(
    name: string,
    a: SpanOptions | F,
    b?: Context | F,
    c?: F,
  ): ReturnType<F> {
    const fn = (c ?? (typeof b === 'function' ? b : a)) as F;
    const options = typeof a === 'function' ? undefined : a;
    const parent = typeof b === 'object' ? b : context.active();
    const span = this.startSpan(name, options, parent);
    return context.with(trace.setSpan(parent, span), fn as (s: Span) => ReturnType<F>, undefined, span);
  }
}
