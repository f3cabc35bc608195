import type {
  Attributes,
  AttributeValue,
  Exception,
  HrTime,
  Link,
  Span,
  SpanContext,
  SpanKind,
  SpanStatus,
  TimeInput,
} from '@opentelemetry/api';
import { clip } from '../clip.js';
import { hrTimeOf, msOf } from './time.js';

/** Where a recorded span goes when it ends, and what every span of its tracer shares. */
export interface SpanSink {
  /** The resource of every span (`service.name`, …), as SDK exporters read it. */
  readonly resource: { readonly attributes: Attributes };
  /** The instrumentation scope of every span. */
  readonly instrumentationScope: { readonly name: string; readonly version?: string };
  /** Epoch milliseconds (fractional) now. */
  now(): number;
  onEnd(span: RecordedSpan): void;
}

/** An event as exporters read it (the SDK's `TimedEvent` shape). */
export interface RecordedEvent {
  name: string;
  attributes: Attributes;
  time: HrTime;
  /** Epoch milliseconds (fractional) of `time`, for the OTLP encoder. */
  timeMs: number;
  droppedAttributesCount: number;
}

/**
 * Longest string attribute value kept, in UTF-16 units (each string of an array alike); longer ones
 * are cut with an ellipsis. The SDK has no default (`attributeValueLengthLimit` is unset), but here a
 * client's text reaches attributes (a tool argument rendered into `conduit.cache.tags`, a query in
 * `url.full`): whole, one call could make its span megabytes, held until it is exported. 4096 keeps
 * any URL or tag a person reads whole.
 */
const MAX_VALUE_LENGTH = 4096;

/**
 * Limits per span, as the SDK's span limits name them: attributes per span, event and link (the
 * SDK's default, 128), events and links per span (128), and the longest string value kept.
 */
export const LIMITS = { attributes: 128, events: 128, links: 128, valueLength: MAX_VALUE_LENGTH } as const;

const UNSET: SpanStatus = Object.freeze({ code: 0 });
const NONE: readonly never[] = Object.freeze([]);

/**
 * A key an attribute may have: not empty, and not `__proto__`, whose assignment would replace the
 * attributes object's prototype (its inherited keys would then be exported), as the SDK drops it too.
 */
function isAttributeKey(key: string): boolean {
  return key.length > 0 && key !== '__proto__';
}

/** An attribute value the API allows: a primitive, or an array of one primitive type (nulls allowed). */
function isAttributeValue(v: unknown): v is AttributeValue {
  const t = typeof v;
  if (t === 'string' || t === 'number' || t === 'boolean') return true;
  if (!Array.isArray(v)) return false;
  let kind: string | undefined;
  for (const x of v) {
    if (x == null) continue;
    const tx = typeof x;
    if (tx !== 'string' && tx !== 'number' && tx !== 'boolean') return false;
    if (kind === undefined) kind = tx;
    else if (kind !== tx) return false;
  }
  return true;
}

/** An array value as kept: copied (its caller may change it later), each string of it cut. */
function keptArray(v: readonly unknown[]): AttributeValue {
  const copy = v.slice();
  for (let i = 0; i < copy.length; i++) {
    const x = copy[i];
    if (typeof x === 'string' && x.length > MAX_VALUE_LENGTH) copy[i] = clip(x, MAX_VALUE_LENGTH);
  }
  return copy as AttributeValue;
}

/**
 * `v` as kept: a string cut to the value limit, an array as `keptArray` keeps it. A short string
 * costs one length check.
 */
function kept(v: AttributeValue): AttributeValue {
  if (typeof v === 'string') return v.length > MAX_VALUE_LENGTH ? clip(v, MAX_VALUE_LENGTH) : v;
  return Array.isArray(v) ? keptArray(v) : v;
}

/**
 * Copies what `from` holds that the API allows into `into` (empty), as kept, up to the attribute
 * limit; returns how many were dropped past it (an event's or link's `droppedAttributesCount`).
 */
function copyAttributes(from: Attributes, into: Attributes): number {
  let count = 0;
  let dropped = 0;
  for (const key in from) {
    const v = from[key];
    if (v == null || !isAttributeKey(key) || !isAttributeValue(v)) continue;
    if (count >= LIMITS.attributes) dropped++;
    else {
      into[key] = kept(v);
      count++;
    }
  }
  return dropped;
}

/**
 * One sampled span, recorded in as few objects as it takes: times are epoch milliseconds until an
 * exporter asks for `HrTime`, events and links share one empty array until the first is added. It has
 * the fields the SDK's `ReadableSpan` has, so SDK exporters (the in-memory one of the tests) take it.
 */
export class RecordedSpan implements Span {
  readonly attributes: Attributes = {};
  events: RecordedEvent[] = NONE as never;
  links: Link[] = NONE as never;
  status: SpanStatus = UNSET;
  droppedAttributesCount = 0;
  droppedEventsCount = 0;
  droppedLinksCount = 0;
  /** Epoch milliseconds (fractional); `endMs` is -1 until the span ends. */
  readonly startMs: number;
  endMs = -1;
  private attributeCount = 0;
  name: string;

  // Names, kinds and statuses are normalised here, once, so the OTLP encoder can trust their types
  // (JavaScript callers of the public tracer may pass anything).
  constructor(
    private readonly sink: SpanSink,
    name: string,
    private readonly context: SpanContext,
    readonly kind: SpanKind,
    readonly parentSpanContext: SpanContext | undefined,
    attributes: Attributes | undefined,
    links: Link[] | undefined,
    startTime: TimeInput | undefined,
  ) {
    this.name = String(name);
    this.startMs = startTime === undefined ? sink.now() : msOf(startTime);
    if (attributes !== undefined) this.setAttributes(attributes);
    if (links !== undefined && links.length > 0) this.addLinks(links);
  }

  spanContext(): SpanContext {
    return this.context;
  }

  /** Undefined values are dropped, as the SDK drops them; so are values the API does not allow. */
  setAttribute(key: string, value: AttributeValue | undefined): this {
    if (this.endMs >= 0 || value == null || !isAttributeKey(key) || !isAttributeValue(value)) return this;
    if (!Object.hasOwn(this.attributes, key)) {
      if (this.attributeCount >= LIMITS.attributes) {
        this.droppedAttributesCount++;
        return this;
      }
      this.attributeCount++;
    }
    // `kept`, written out: the common short string costs one length check more than storing it, and
    // a number or boolean nothing more.
    this.attributes[key] =
      typeof value === 'string'
        ? value.length > MAX_VALUE_LENGTH
          ? clip(value, MAX_VALUE_LENGTH)
          : value
        : Array.isArray(value)
          ? keptArray(value)
          : value;
    return this;
  }

  setAttributes(attributes: Attributes): this {
    for (const key in attributes) this.setAttribute(key, attributes[key]);
    return this;
  }

  addEvent(name: string, attributesOrTime?: Attributes | TimeInput, time?: TimeInput): this {
    if (this.endMs >= 0) return this;
    if (this.events.length >= LIMITS.events) {
      this.droppedEventsCount++;
      return this;
    }
    const isTime =
      attributesOrTime instanceof Date ||
      typeof attributesOrTime === 'number' ||
      Array.isArray(attributesOrTime);
    const at = isTime ? (attributesOrTime as TimeInput) : time;
    const timeMs = at === undefined ? this.sink.now() : msOf(at);
    const attributes: Attributes = {};
    const dropped =
      !isTime && attributesOrTime !== undefined
        ? copyAttributes(attributesOrTime as Attributes, attributes)
        : 0;
    if (this.events === (NONE as never)) this.events = [];
    this.events.push({
      name: String(name),
      attributes,
      timeMs,
      get time() {
        return hrTimeOf(timeMs);
      },
      droppedAttributesCount: dropped,
    });
    return this;
  }

  addLink(link: Link): this {
    if (this.endMs >= 0) return this;
    if (this.links.length >= LIMITS.links) {
      this.droppedLinksCount++;
      return this;
    }
    if (this.links === (NONE as never)) this.links = [];
    if (link.attributes === undefined) this.links.push(link);
    else {
      // Copied, as an event's are: limited, and safe from the caller's later changes.
      const attributes: Attributes = {};
      const dropped = copyAttributes(link.attributes, attributes);
      this.links.push({
        context: link.context,
        attributes,
        droppedAttributesCount: (link.droppedAttributesCount ?? 0) + dropped,
      });
    }
    return this;
  }

  addLinks(links: Link[]): this {
    for (const link of links) this.addLink(link);
    return this;
  }

  setStatus(status: SpanStatus): this {
    if (this.endMs >= 0) return this;
    const code = status.code === 1 || status.code === 2 ? status.code : 0;
    this.status = status.message !== undefined ? { code, message: String(status.message) } : { code };
    return this;
  }

  updateName(name: string): this {
    if (this.endMs < 0) this.name = String(name);
    return this;
  }

  /** Ends the span once; an end before the start is clamped to the start (a zero duration). */
  end(endTime?: TimeInput): void {
    if (this.endMs >= 0) return;
    const end = endTime === undefined ? this.sink.now() : msOf(endTime);
    this.endMs = Math.max(end, this.startMs);
    this.sink.onEnd(this);
  }

  isRecording(): boolean {
    return this.endMs < 0;
  }

  /** An `exception` event per the semantic conventions (type, message, stack). */
  recordException(exception: Exception, time?: TimeInput): void {
    const attributes: Attributes = {};
    if (typeof exception === 'string') attributes['exception.message'] = exception;
    else if (exception !== null && typeof exception === 'object') {
      const e = exception as { name?: unknown; code?: unknown; message?: unknown; stack?: unknown };
      const type = e.code !== undefined ? String(e.code) : e.name;
      if (typeof type === 'string') attributes['exception.type'] = type;
      if (typeof e.message === 'string') attributes['exception.message'] = e.message;
      if (typeof e.stack === 'string') attributes['exception.stacktrace'] = e.stack;
    }
    this.addEvent('exception', attributes, time);
  }

  // The rest of the SDK's ReadableSpan, computed when an exporter reads it.
  get startTime(): HrTime {
    return hrTimeOf(this.startMs);
  }
  get endTime(): HrTime {
    return hrTimeOf(this.endMs < 0 ? this.startMs : this.endMs);
  }
  get duration(): HrTime {
    return hrTimeOf(this.endMs < 0 ? 0 : this.endMs - this.startMs);
  }
  get ended(): boolean {
    return this.endMs >= 0;
  }
  get resource(): SpanSink['resource'] {
    return this.sink.resource;
  }
  get instrumentationScope(): SpanSink['instrumentationScope'] {
    return this.sink.instrumentationScope;
  }
}
