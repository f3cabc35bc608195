import type { Attributes, Link, SpanContext } from '@opentelemetry/api';
import type { RecordedEvent, RecordedSpan } from './recorded-span.js';
import { unixNanoOf } from './time.js';

/**
 * OTLP/HTTP JSON (the `ExportTraceServiceRequest` of opentelemetry-proto, in its JSON mapping, as the
 * SDK's JSON exporter writes it), written straight into one string: the SDK first builds an object
 * per span, attribute and value, then stringifies it, which costs a traced call more than its spans.
 * Text is escaped by `JSON.stringify`; ids are already lowercase hex (generated, or checked by
 * `isSpanContextValid` / the `traceparent` parser) except those of links, which are escaped too.
 */

/** A resource's and scope's opening, written once per tracer: `{"resourceSpans":[{…,"spans":[`. */
export function batchPrefix(
  resource: Attributes,
  scope: { readonly name: string; readonly version?: string },
): string {
  const version = scope.version !== undefined ? `,"version":${JSON.stringify(scope.version)}` : '';
  return (
    `{"resourceSpans":[{"resource":{"attributes":${attributesJson(resource)},"droppedAttributesCount":0},` +
    `"scopeSpans":[{"scope":{"name":${JSON.stringify(scope.name)}${version}},"spans":[`
  );
}

/** What closes a batch that `batchPrefix` opened. */
export const BATCH_SUFFIX = ']}]}]}';

/** One export request's body: every span under the one resource and scope of `prefix`. */
export function encodeBatch(prefix: string, spans: readonly RecordedSpan[]): string {
  let out = prefix;
  for (let i = 0; i < spans.length; i++) out += (i === 0 ? '' : ',') + spanJson(spans[i]!);
  return out + BATCH_SUFFIX;
}

/** The OTLP `flags` of a span or link: its W3C trace flags, with whether its parent is remote. */
function flagsOf(traceFlags: number, isRemote: boolean | undefined): number {
  return (traceFlags & 0xff) | 0x100 | (isRemote === true ? 0x200 : 0);
}

/** One span as an element of a batch's `spans` array. */
export function spanJson(span: RecordedSpan): string {
  const sc = span.spanContext();
  const parent = span.parentSpanContext;
  let out = `{"traceId":"${sc.traceId}","spanId":"${sc.spanId}"`;
  if (parent !== undefined) out += `,"parentSpanId":"${parent.spanId}"`;
  if (sc.traceState !== undefined) out += `,"traceState":${JSON.stringify(sc.traceState.serialize())}`;
  out +=
    `,"name":${JSON.stringify(span.name)},"kind":${span.kind + 1}` +
    `,"startTimeUnixNano":"${unixNanoOf(span.startMs)}","endTimeUnixNano":"${unixNanoOf(span.endMs)}"` +
    `,"attributes":${attributesJson(span.attributes)},"droppedAttributesCount":${span.droppedAttributesCount}` +
    `,"events":${eventsJson(span.events)},"droppedEventsCount":${span.droppedEventsCount}`;
  const status = span.status;
  out +=
    status.message !== undefined
      ? `,"status":{"code":${status.code},"message":${JSON.stringify(status.message)}}`
      : `,"status":{"code":${status.code}}`;
  return (
    out +
    `,"links":${linksJson(span.links)},"droppedLinksCount":${span.droppedLinksCount}` +
    `,"flags":${flagsOf(sc.traceFlags, parent?.isRemote)}}`
  );
}

function eventsJson(events: readonly RecordedEvent[]): string {
  if (events.length === 0) return '[]';
  let out = '[';
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    out +=
      `${i === 0 ? '' : ','}{"attributes":${attributesJson(e.attributes)},"name":${JSON.stringify(e.name)}` +
      `,"timeUnixNano":"${unixNanoOf(e.timeMs)}","droppedAttributesCount":${e.droppedAttributesCount}}`;
  }
  return `${out}]`;
}

function linksJson(links: readonly Link[]): string {
  if (links.length === 0) return '[]';
  let out = '[';
  for (let i = 0; i < links.length; i++) {
    const l = links[i]!;
    const c: SpanContext = l.context;
    const state =
      c.traceState !== undefined ? `,"traceState":${JSON.stringify(c.traceState.serialize())}` : '';
    out +=
      `${i === 0 ? '' : ','}{"attributes":${attributesJson(l.attributes ?? {})}` +
      `,"spanId":${JSON.stringify(c.spanId)},"traceId":${JSON.stringify(c.traceId)}${state}` +
      `,"droppedAttributesCount":${l.droppedAttributesCount ?? 0},"flags":${flagsOf(c.traceFlags, c.isRemote)}}`;
  }
  return `${out}]`;
}

function attributesJson(attributes: Attributes): string {
  let out = '[';
  let first = true;
  for (const key in attributes) {
    const v = attributes[key];
    if (v === undefined) continue;
    out += `${first ? '' : ','}{"key":${JSON.stringify(key)},"value":${anyValueJson(v)}}`;
    first = false;
  }
  return `${out}]`;
}

/** An `AnyValue`: safe integers as `intValue`, other numbers as `doubleValue` (non-finite ones as proto3 JSON spells them). */
function anyValueJson(v: unknown): string {
  switch (typeof v) {
    case 'string':
      return `{"stringValue":${JSON.stringify(v)}}`;
    case 'boolean':
      return v ? '{"boolValue":true}' : '{"boolValue":false}';
    case 'number':
      if (Number.isSafeInteger(v)) return `{"intValue":${v}}`;
      return Number.isFinite(v) ? `{"doubleValue":${v}}` : `{"doubleValue":"${v}"}`;
    default:
      if (Array.isArray(v)) {
        let out = '{"arrayValue":{"values":[';
        for (let i = 0; i < v.length; i++) out += (i === 0 ? '' : ',') + anyValueJson(v[i]);
        return `${out}]}}`;
      }
      return '{}';
  }
}
