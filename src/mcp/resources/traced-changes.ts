import { type Context, ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import { ATTR, parseTraceparent, traceparentOf, type Tracer } from '../../telemetry/index.js';
import type { ChangeFeed, ResourceChange } from './change-feed.js';

const METHOD = 'notifications/resources/updated';

/**
 * A span per resource change this instance hears (its own or another instance's, over Redis), named
 * for the notification it sends to subscribed clients, linked to the span that caused the change (a
 * webhook delivery, from the change's `traceparent`). Returns the unsubscribe function.
 */
export function traceChanges(changes: ChangeFeed, tracer: Tracer): () => void {
  return changes.subscribe((change) => {
    const cause = parseTraceparent(change.traceparent);
    const span = tracer.startSpan(
      METHOD,
      {
        kind: SpanKind.PRODUCER,
        attributes: {
          [ATTR.mcpMethod]: METHOD,
          [ATTR.mcpResourceUri]: change.uri,
          'conduit.change.source': change.source,
          ...(change.event !== undefined ? { 'conduit.change.event': change.event } : {}),
        },
        ...(cause ? { links: [{ context: cause }] } : {}),
      },
      // A trace of its own: the cause is a link, not a parent (one delivery fans out to many instances).
      ROOT_CONTEXT,
    );
    span.end();
  });
}

/** `change` with the `traceparent` of `ctx`'s span (when one records), for the instances that hear it. */
export function withTraceparent(change: ResourceChange, ctx: Context | undefined): ResourceChange {
  const span = ctx !== undefined ? trace.getSpan(ctx) : undefined;
  if (!span?.isRecording()) return change;
  const tp = traceparentOf(ctx!);
  return tp ? { ...change, traceparent: tp } : change;
}
