import {
  type Attributes,
  createTraceState,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import { JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { startTracing } from '../../src/telemetry/index.js';
import { batchPrefix, encodeBatch } from '../../src/telemetry/recorder/otlp-json.js';
import type { RecordedSpan } from '../../src/telemetry/recorder/recorded-span.js';
import { unixNanoOf } from '../../src/telemetry/recorder/time.js';

/** A tracer whose ended spans are collected as they are, with a clock the test sets. */
function recorder(serviceName = 'json-test') {
  const spans: RecordedSpan[] = [];
  let now = 1_764_000_000_123.456;
  const tracing = startTracing({
    serviceName,
    exporter: {
      export: (s, done) => {
        spans.push(...(s as RecordedSpan[]));
        done({ code: 0 });
      },
      shutdown: async () => {},
    },
    now: () => now,
  });
  return { tracer: tracing.tracer, spans, advance: (ms: number) => (now += ms) };
}

/** Both encodings of the same spans, parsed: Conduit's and the OpenTelemetry SDK's JSON serializer. */
function bothEncodings(spans: RecordedSpan[]) {
  const first = spans[0]!;
  const ours = JSON.parse(
    encodeBatch(batchPrefix(first.resource.attributes, first.instrumentationScope), spans),
  );
  const sdk = JSON.parse(new TextDecoder().decode(JsonTraceSerializer.serializeRequest(spans as never)));
  return { ours, sdk };
}

describe("the recorder's OTLP/HTTP JSON", () => {
  it('is what the SDK serializer writes for the same spans: parents, remote parents, trace state, links, events, status, every attribute type', () => {
    const r = recorder();
    const remote = trace.setSpanContext(ROOT_CONTEXT, {
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      traceFlags: 1,
      isRemote: true,
      traceState: createTraceState('vendor=a1,other=b2'),
    });
    const server = r.tracer.startSpan(
      'tools/call get_ünïcode "quoted"',
      {
        kind: SpanKind.SERVER,
        attributes: {
          s: 'text with "quotes", \\ and \u2028 and 🙂',
          i: 42,
          neg: -7,
          d: 2.5,
          b: true,
          f: false,
          strings: ['a', 'b'],
          numbers: [1, 2.5],
          bools: [true, false],
          holes: ['x', null as unknown as string, 'y'],
          skipped: undefined,
        },
        links: [
          {
            context: {
              traceId: 'ffffffffffffffffffffffffffffffff',
              spanId: '1111111111111111',
              traceFlags: 0,
            },
          },
          {
            context: {
              traceId: '0af7651916cd43dd8448eb211c80319c',
              spanId: '2222222222222222',
              traceFlags: 1,
              isRemote: true,
            },
            attributes: { why: 'transport' },
          },
        ],
      },
      remote,
    );
    r.advance(0.0007);
    server.addEvent('conduit.retry', { attempt: 1, delay_ms: 12.5, reason: 'HTTP 503' });
    server.addEvent('marker');
    server.setStatus({ code: SpanStatusCode.ERROR, message: 'Internal error' });
    const child = r.tracer.startSpan(
      'cache lookup',
      { attributes: { tags: ['assignment:1'] } },
      trace.setSpan(remote, server),
    );
    r.advance(1.2345);
    child.end();
    const root = r.tracer.startSpan('initialize', { kind: SpanKind.CLIENT }, ROOT_CONTEXT);
    root.end();
    r.advance(3);
    server.end();

    const { ours, sdk } = bothEncodings(r.spans);
    expect(ours).toEqual(sdk);
    // And the parts that matter are there (so an empty equality cannot pass).
    const [childJson, rootJson, serverJson] = ours.resourceSpans[0].scopeSpans[0].spans;
    expect(serverJson.parentSpanId).toBe('b7ad6b7169203331');
    expect(serverJson.traceState).toBe('vendor=a1,other=b2');
    expect(serverJson.flags).toBe(0x301);
    expect(childJson.parentSpanId).toBe(serverJson.spanId);
    expect(childJson.flags).toBe(0x101);
    expect(rootJson.parentSpanId).toBeUndefined();
    expect(serverJson.links).toHaveLength(2);
    expect(serverJson.events.map((e: { name: string }) => e.name)).toEqual(['conduit.retry', 'marker']);
    expect(ours.resourceSpans[0].resource.attributes).toContainEqual({
      key: 'service.name',
      value: { stringValue: 'json-test' },
    });
  });

  it('agrees with the SDK on any attribute values and times (property)', () => {
    const value = fc.oneof(
      fc.string({ unit: 'grapheme' }),
      fc.integer(),
      fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Number.isInteger(d)),
      fc.boolean(),
      fc.array(fc.string(), { maxLength: 4 }),
      fc.array(fc.integer(), { maxLength: 4 }),
    );
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }), value, { maxKeys: 8 }),
        fc.string({ maxLength: 40 }),
        fc.double({ min: 0, max: 10_000, noNaN: true }),
        (attributes, name, duration) => {
          const r = recorder();
          const span = r.tracer.startSpan(name, { attributes: attributes as Attributes }, ROOT_CONTEXT);
          r.advance(duration);
          span.end();
          const { ours, sdk } = bothEncodings(r.spans);
          expect(ours).toEqual(sdk);
        },
      ),
      // A `__proto__` key (found by this property) once replaced the attributes' prototype.
      { numRuns: 200, examples: [[JSON.parse('{"__proto__":[0],"a":1}'), '', 0]] },
    );
  });

  it('writes times as the decimal nanoseconds of the same instant, across second boundaries', () => {
    expect(unixNanoOf(1_764_000_000_123.456)).toBe('1764000000123456000');
    expect(unixNanoOf(1_764_000_000_000)).toBe('1764000000000000000');
    // 999.9996 ms past the second rounds up into the next one.
    expect(unixNanoOf(1_764_000_001_000 - 0.0004)).toBe('1764000001000000000');
    expect(unixNanoOf(0.5)).toBe('500000');
  });
});
