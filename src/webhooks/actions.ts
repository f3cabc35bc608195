import type { Logger } from '../core/index.js';
import type { WebhookContext, WebhookEvent, WebhookHandlerFn } from './event.js';
import { MissingTemplateFieldError, PayloadTemplate, type TemplateEscape } from './template.js';

/** What the invalidate action needs from a cache (`conduit-mcp/cache`'s cache fits). */
export interface CacheInvalidator {
  delete(key: string): unknown;
  invalidateTags(tags: string[]): unknown;
  invalidatePattern(glob: string): unknown;
}

/** Where the publish action sends events (the gateway turns them into MCP resource-update notifications). */
export interface EventPublisher {
  publish(event: PublishedWebhookEvent): void | Promise<void>;
}

/** The event the publish action sends. No payload unless asked for: it may be large or sensitive. */
export interface PublishedWebhookEvent {
  source: 'webhook';
  endpoint: string;
  eventId: string;
  eventType: string;
  /** Rendered resource URIs (e.g. `todo://items/42`), for `notifications/resources/updated`. */
  uris: string[];
  receivedAt: number;
  payload?: unknown;
}

/** Options of `invalidate`. Every string is a template over the payload: `todo:{data.id}`. */
export interface InvalidateActionOptions {
  cache: CacheInvalidator;
  keys?: string[];
  tags?: string[];
  /** Redis-style globs; substituted payload values are glob-escaped so they cannot widen a pattern. */
  patterns?: string[];
  /**
   * `key`: substituted values are encoded as the gateway's cache key templates encode them
   * (`encodeKeyPart`), for keys, tags and patterns alike. Default `raw`: keys and tags take the value
   * as it is, patterns glob-escaped.
   */
  values?: 'raw' | 'key';
}

function renderAll(
  templates: readonly PayloadTemplate[],
  event: WebhookEvent,
  logger: Logger,
  escaping: TemplateEscape,
  pattern = false,
): string[] {
  const out: string[] = [];
  for (const t of templates) {
    try {
      out.push(t.render(event.payload, escaping, pattern));
    } catch (err) {
      if (!(err instanceof MissingTemplateFieldError)) throw err;
      // A retry would carry the same payload, so failing cannot help: skip this one and say so.
      logger.warn(
        { template: err.template, field: err.field, reason: err.reason },
        err.reason === 'empty'
          ? 'webhook action skipped a pattern: field empty next to "*"'
          : 'webhook action skipped a template: field missing in payload',
      );
    }
  }
  return out;
}

/**
 * Built-in action: deletes keys, invalidates tags and deletes patterns rendered from the payload. A
 * template whose field is missing is skipped and logged (warn); the others still run. A cache failure
 * throws, so the delivery is answered 500 and retried.
 */
export function invalidate(options: InvalidateActionOptions): WebhookHandlerFn {
  const keys = (options.keys ?? []).map((s) => new PayloadTemplate(s));
  const tags = (options.tags ?? []).map((s) => new PayloadTemplate(s));
  const patterns = (options.patterns ?? []).map((s) => new PayloadTemplate(s));
  const cache = options.cache;
  const encoded = options.values === 'key';
  const plain: TemplateEscape = encoded ? 'key' : false;
  const glob: TemplateEscape = encoded ? 'key' : 'glob';
  return async (event: WebhookEvent, ctx: WebhookContext) => {
    for (const key of renderAll(keys, event, ctx.logger, plain)) await cache.delete(key);
    const renderedTags = renderAll(tags, event, ctx.logger, plain);
    if (renderedTags.length > 0) await cache.invalidateTags(renderedTags);
    for (const pattern of renderAll(patterns, event, ctx.logger, glob, true))
      await cache.invalidatePattern(pattern);
  };
}

/** Options of `publish`. */
export interface PublishActionOptions {
  publisher: EventPublisher;
  /**
   * Resource URI templates, e.g. `todo://items/{data.id}`; values are percent-encoded (`a b` becomes
   * `a%20b`). Missing fields skip that URI (logged).
   */
  uris?: string[];
  /** Include the parsed payload in the event. Default false. */
  includePayload?: boolean;
}

/**
 * Longest resource URI a payload may render. Published URIs are kept (the change feed's recent
 * changes, on every instance) and sent to every subscriber: a signed body must not make them as large
 * as itself.
 */
const MAX_PUBLISHED_URI_LENGTH = 8192;

function boundedUris(rendered: string[], logger: Logger): string[] {
  return rendered.filter((uri) => {
    if (uri.length <= MAX_PUBLISHED_URI_LENGTH) return true;
    logger.warn(
      { length: uri.length, max: MAX_PUBLISHED_URI_LENGTH },
      'webhook action skipped a URI: too long',
    );
    return false;
  });
}

/**
 * Built-in action: publishes a `PublishedWebhookEvent`; a publisher failure answers 500 (retried). A
 * URI rendered longer than `MAX_PUBLISHED_URI_LENGTH` is skipped and logged, like a missing field.
 */
export function publish(options: PublishActionOptions): WebhookHandlerFn {
  const uris = (options.uris ?? []).map((s) => new PayloadTemplate(s));
  const { publisher, includePayload = false } = options;
  return async (event: WebhookEvent, ctx: WebhookContext) => {
    const published: PublishedWebhookEvent = {
      source: 'webhook',
      endpoint: event.endpoint,
      eventId: event.id,
      eventType: event.type,
      uris: boundedUris(renderAll(uris, event, ctx.logger, 'uri'), ctx.logger),
      receivedAt: event.receivedAt,
    };
    if (includePayload) published.payload = event.payload;
    await publisher.publish(published);
  };
}
