import { type Attributes, createTraceState, ROOT_CONTEXT, type SpanContext, trace } from '@opentelemetry/api';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { startTracing } from '../../src/telemetry/index.js';
import type { RecordedSpan } from '../../src/telemetry/recorder/recorded-span.js';
import { rootSampler } from '../../src/telemetry/recorder/recording-tracer.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function recorder(sampling = 1) {
  const ended: RecordedSpan[] = [];
  const t = startTracing({
    sampling,
    exporter: {
      export: (s, done) => {
        ended.push(...(s as RecordedSpan[]));
        done({ code: 0 });
      },
      shutdown: async () => {},
    },
  });
  return { tracer: t.tracer, ended };
}

const remote = (traceFlags: number): SpanContext => ({
  traceId: '0af7651916cd43dd8448eb211c80319c',
  spanId: 'b7ad6b7169203331',
  traceFlags,
  isRemote: true,
  traceState: createTraceState('vendor=a1'),
});

describe("the recorder's spans and sampling", () => {
  it('a sampled remote parent is followed even at sampling 0; an unsampled one is not recorded even at 1', () => {
    const off = recorder(0);
    const kept = off.tracer.startSpan('kept', {}, trace.setSpanContext(ROOT_CONTEXT, remote(1)));
    kept.end();
    expect(off.ended.map((s) => s.name)).toEqual(['kept']);
    expect(off.ended[0]!.parentSpanContext?.spanId).toBe('b7ad6b7169203331');

    const on = recorder(1);
    const skipped = on.tracer.startSpan('skipped', {}, trace.setSpanContext(ROOT_CONTEXT, remote(0)));
    skipped.end();
    expect(on.ended).toEqual([]);
    expect(skipped.isRecording()).toBe(false);
    // It still carries the trace onward: same trace id and state, a span id of its own, not sampled.
    const sc = skipped.spanContext();
    expect(sc.traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(sc.spanId).not.toBe('b7ad6b7169203331');
    expect(sc.traceFlags).toBe(0);
    expect(sc.traceState?.get('vendor')).toBe('a1');
  });

  it('a root span at sampling 0 is not recorded; an invalid parent starts a new trace', () => {
    const off = recorder(0);
    off.tracer.startSpan('root', {}, ROOT_CONTEXT).end();
    expect(off.ended).toEqual([]);
    const on = recorder(1);
    const bad = { ...remote(1), traceId: '0'.repeat(32) };
    on.tracer.startSpan('fresh', {}, trace.setSpanContext(ROOT_CONTEXT, bad)).end();
    expect(on.ended[0]!.parentSpanContext).toBeUndefined();
    expect(on.ended[0]!.spanContext().traceId).not.toBe('0'.repeat(32));
  });

  it('a root is sampled by its trace id, so every process decides alike', () => {
    const half = rootSampler(0.5);
    expect(half('0af7651916cd43dd8448eb2100000000')).toBe(true);
    expect(half('0af7651916cd43dd8448eb21ffffffff')).toBe(false);
    expect(half('0af7651916cd43dd8448eb217fffffff')).toBe(true);
    expect(half('0af7651916cd43dd8448eb2180000000')).toBe(false);
  });

  it('children of a recorded span share its trace and name it as parent', () => {
    const r = recorder();
    const parent = r.tracer.startSpan('parent', {}, ROOT_CONTEXT);
    r.tracer.startSpan('child', {}, trace.setSpan(ROOT_CONTEXT, parent)).end();
    parent.end();
    const [child, p] = r.ended;
    expect(child!.spanContext().traceId).toBe(p!.spanContext().traceId);
    expect(child!.parentSpanContext?.spanId).toBe(p!.spanContext().spanId);
  });

  it('drops undefined and disallowed attribute values, caps attributes at 128 and counts the rest', () => {
    const r = recorder();
    const span = r.tracer.startSpan('s', { attributes: { a: 'x', gone: undefined } }, ROOT_CONTEXT);
    span.setAttribute('mixed', ['a', 1] as unknown as string[]);
    span.setAttribute('object', { no: 1 } as unknown as string);
    for (let i = 0; i < 200; i++) span.setAttribute(`k${i}`, i);
    span.end();
    const s = r.ended[0]!;
    expect(s.attributes.a).toBe('x');
    expect('gone' in s.attributes || 'mixed' in s.attributes || 'object' in s.attributes).toBe(false);
    expect(Object.keys(s.attributes)).toHaveLength(128);
    expect(s.droppedAttributesCount).toBe(73);
  });

  it('the 129th attribute is dropped and counted; one of the 128 can still be changed', () => {
    const r = recorder();
    const span = r.tracer.startSpan('s', {}, ROOT_CONTEXT);
    for (let i = 0; i < 129; i++) span.setAttribute(`k${i}`, i);
    span.setAttribute('k0', 'changed');
    span.end();
    const s = r.ended[0]!;
    expect(Object.keys(s.attributes)).toHaveLength(128);
    expect('k128' in s.attributes).toBe(false);
    expect(s.attributes.k0).toBe('changed');
    expect(s.droppedAttributesCount).toBe(1);
  });

  it('cuts a 1 MiB string attribute, and each long string of an array, to 4096 UTF-16 units with an ellipsis', () => {
    const r = recorder();
    const huge = 'x'.repeat(1 << 20);
    const span = r.tracer.startSpan('s', { attributes: { start: huge } }, ROOT_CONTEXT);
    span.setAttribute('set', huge);
    span.setAttributes({ many: huge });
    span.setAttribute('tags', ['short', huge]);
    span.setAttribute('small', 'kept whole');
    span.end();
    const a = r.ended[0]!.attributes;
    const cut = `${'x'.repeat(4095)}…`;
    // Compared as booleans: a failing comparison of megabyte strings would print them.
    expect([a.start === cut, a.set === cut, a.many === cut]).toEqual([true, true, true]);
    expect((a.tags as string[]).map((t) => t.length)).toEqual([5, 4096]);
    expect((a.tags as string[])[1] === cut).toBe(true);
    expect(a.small).toBe('kept whole');
  });

  it('a cut value holds none of the whole string: spans an exporter keeps hold 4096 units each, not a megabyte', () => {
    const r = recorder();
    gc();
    const before = process.memoryUsage().heapUsed;
    // A slice of a string may share the whole one's memory (V8 does so): 32 such values would keep 32 MiB.
    for (let i = 0; i < 32; i++) {
      const span = r.tracer.startSpan('s', {}, ROOT_CONTEXT);
      span.setAttribute('id', 'x'.repeat(1 << 20));
      span.end();
    }
    gc();
    const grown = process.memoryUsage().heapUsed - before;
    expect(r.ended).toHaveLength(32);
    expect(grown).toBeLessThan(8 * 1024 * 1024);
  });

  it('never cuts a value inside a surrogate pair', () => {
    const r = recorder();
    const span = r.tracer.startSpan('s', {}, ROOT_CONTEXT);
    // Pairs from unit 0: unit 4094 is the first half of one, which a cut after 4095 units would split.
    span.setAttribute('emoji', '😀'.repeat(5000));
    span.end();
    const v = r.ended[0]!.attributes.emoji as string;
    // 2047 whole pairs and the ellipsis: 4095 units, one short of the limit rather than half a pair.
    expect(v).toBe(`${'😀'.repeat(2047)}…`);
  });

  it('cuts event and link attribute values alike, leaving the caller’s link as it was', () => {
    const r = recorder();
    const huge = 'y'.repeat(1 << 20);
    const link = { context: remote(1), attributes: { note: huge } };
    const span = r.tracer.startSpan('s', { links: [link] }, ROOT_CONTEXT);
    span.addEvent('e', { reason: huge, tags: [huge] });
    span.end();
    const s = r.ended[0]!;
    const lengths = (a: Attributes | undefined) =>
      Object.fromEntries(
        Object.entries(a ?? {}).map(([k, v]) => [
          k,
          Array.isArray(v) ? v.map((x) => String(x).length) : String(v).length,
        ]),
      );
    expect(lengths(s.events[0]!.attributes)).toEqual({ reason: 4096, tags: [4096] });
    expect(lengths(s.links[0]!.attributes)).toEqual({ note: 4096 });
    expect(link.attributes.note.length).toBe(1 << 20);
  });

  it('an ended span takes no more changes and is exported once', () => {
    const r = recorder();
    const span = r.tracer.startSpan('once', {}, ROOT_CONTEXT);
    const tags = ['t1'];
    span.setAttribute('tags', tags);
    tags.push('later');
    span.end();
    span.setAttribute('late', 1);
    span.addEvent('late');
    span.updateName('renamed');
    span.end();
    expect(r.ended).toHaveLength(1);
    expect(r.ended[0]!.name).toBe('once');
    expect(r.ended[0]!.attributes).toEqual({ tags: ['t1'] });
    expect(r.ended[0]!.events).toEqual([]);
  });
});

describe('the recorder given what a JavaScript caller may pass', () => {
  it('still writes valid OTLP JSON: a number as name, an unknown kind, a status code and message of the wrong type', async () => {
    const { batchPrefix, encodeBatch } = await import('../../src/telemetry/recorder/otlp-json.js');
    const r = recorder();
    const span = r.tracer.startSpan(42 as unknown as string, { kind: 'server' as never }, ROOT_CONTEXT);
    span.setStatus({ code: 'bad' as never, message: 7 as unknown as string });
    span.addEvent(undefined as unknown as string);
    span.updateName(undefined as unknown as string);
    span.end();
    const s = r.ended[0]!;
    const json = JSON.parse(encodeBatch(batchPrefix({}, { name: 'conduit-mcp' }), [s]));
    const out = json.resourceSpans[0].scopeSpans[0].spans[0];
    expect(out).toMatchObject({ name: 'undefined', kind: 1, status: { code: 0, message: '7' } });
    expect(out.events[0].name).toBe('undefined');
  });
});
