import {
  type McpServer,
  PerRequestHTTPServerTransport,
  ProtocolError,
  ProtocolErrorCode,
  type ServerEvent,
  type ServerEventBus,
} from '@modelcontextprotocol/server';
import type { Clock, Logger } from '../../core/index.js';
import type { ChangeFeed } from './change-feed.js';
import type { ReadRefusal } from './resources.js';
import { errorForLog } from '../../core/index.js';
import { type CallerContext, callerContext } from '../transport/auth-info.js';
import { presentedCaller } from '../transport/presented-caller.js';

const MODERN = '2026-07-28';
/**
 * URIs one 2025-era connection may be subscribed to at once: each is kept for the connection's life,
 * so without a cap one client could make the gateway hold any number of them (each up to a body).
 */
const MAX_SUBSCRIPTIONS = 1000;
/**
 * Characters of subscribed URIs one 2025-era connection may hold in all: under the count cap alone,
 * a thousand URIs of nearly a request body each would be a gigabyte per connection.
 */
const MAX_SUBSCRIBED_CHARS = 256 * 1024;

/**
 * Wires one server instance to the change feed, for both protocol eras:
 * - 2025 era: declares `resources.subscribe`, answers `resources/subscribe` / `unsubscribe`, and sends
 *   `notifications/resources/updated` for the URIs this connection subscribed to.
 * - 2026-07-28 on a long-lived connection (stdio): sends every change; the SDK's listen router
 *   forwards it only to `subscriptions/listen` streams whose filter names the URI.
 * Per-request HTTP instances (2026-07-28) are skipped: their listen streams are fed by the event bus
 * ({@link changeFeedEventBus}). With `refuse` (the policy), a subscription to a URI the caller may
 * not read is refused, and no connection is told of a change to a URI its caller may not read when
 * the change comes: `refuse` answers with the policy in force, so a reload that narrows it applies
 * to subscriptions made before, and a 2025-era HTTP session is judged by the credential it presents
 * now ({@link presentedCaller}), so a token narrowed since the subscribe applies too. Must be called
 * before `connect`.
 */
export function attachResourceSubscriptions(
  server: McpServer,
  changes: ChangeFeed,
  logger: Logger,
  refuse?: ReadRefusal,
): void {
  const low = server.server;
  low.registerCapabilities({ resources: { subscribe: true } });
  // Each subscribed URI with the caller that subscribed (undefined on stdio: the operator).
  const uris = new Map<string, CallerContext | undefined>();
  let heldChars = 0;
  let unsubscribe: (() => void) | undefined;
  const listen = () => {
    unsubscribe ??= changes.subscribe((change) => {
      const modern = (low.getNegotiatedProtocolVersion() ?? '') >= MODERN;
      if (!modern && !uris.has(change.uri)) return;
      // Asked at each change, not only at subscribe: a reload may have narrowed the policy since, and
      // on an HTTP session the client may since present a token that grants less (same subject):
      // the credential it presents now decides. A long-lived 2026-07-28 connection hears every
      // change: keep back what its caller may not read.
      const caller = modern ? undefined : (presentedCaller(low.transport) ?? uris.get(change.uri));
      if (refuse?.(change.uri, caller)) return;
      low.sendResourceUpdated({ uri: change.uri }).catch((err: unknown) => {
        logger.debug({ err: errorForLog(err) }, 'resource update notification not sent');
      });
    });
  };
  low.setRequestHandler('resources/subscribe', async (req, ctx) => {
    const refused = refuse?.(req.params.uri, ctx);
    if (refused)
      throw new ProtocolError(ProtocolErrorCode.InvalidRequest, refused.message, { code: refused.code });
    const uri = req.params.uri;
    const added = uris.has(uri) ? 0 : uri.length;
    if (added > 0 && uris.size >= MAX_SUBSCRIPTIONS)
      throw new ProtocolError(
        ProtocolErrorCode.InvalidRequest,
        `Too many subscriptions: a connection may hold ${MAX_SUBSCRIPTIONS}; unsubscribe from one first`,
      );
    if (heldChars + added > MAX_SUBSCRIBED_CHARS)
      throw new ProtocolError(
        ProtocolErrorCode.InvalidRequest,
        `Too many subscriptions: a connection's subscribed URIs may hold ${MAX_SUBSCRIBED_CHARS} characters in all (this one has ${uri.length}); unsubscribe from one first`,
      );
    // Only who is calling is kept: the request's context (signals, the HTTP request) ends with it.
    const authInfo = ctx.http?.authInfo;
    uris.set(uri, authInfo ? callerContext(authInfo) : undefined);
    heldChars += added;
    listen();
    return {};
  });
  low.setRequestHandler('resources/unsubscribe', async (req) => {
    if (uris.delete(req.params.uri)) heldChars -= req.params.uri.length;
    return {};
  });
  const connect = server.connect.bind(server);
  server.connect = async (transport) => {
    await connect(transport);
    if (!(transport instanceof PerRequestHTTPServerTransport)) listen();
  };
  const previous = low.onclose;
  low.onclose = () => {
    unsubscribe?.();
    unsubscribe = undefined;
    uris.clear();
    heldChars = 0;
    previous?.();
  };
}

/**
 * The SDK's server event bus (what `createMcpHandler` feeds `subscriptions/listen` streams from) on top
 * of the change feed: `resource_updated` travels through the feed, so it reaches listen streams on
 * every instance when the feed is Redis-backed; list-changed events stay on this instance.
 */
export function changeFeedEventBus(changes: ChangeFeed, clock: Clock): ServerEventBus {
  const local = new Set<(e: ServerEvent) => void>();
  return {
    publish(event) {
      if (event.kind === 'resource_updated') {
        void changes.publish({ uri: event.uri, source: 'mcp', at: clock.now() });
        return;
      }
      for (const l of [...local]) {
        try {
          l(event);
        } catch {
          // One broken stream must not stop delivery to the others.
        }
      }
    },
    subscribe(listener) {
      local.add(listener);
      const off = changes.subscribe((c) => listener({ kind: 'resource_updated', uri: c.uri }));
      let done = false;
      return () => {
        if (done) return;
        done = true;
        local.delete(listener);
        off();
      };
    },
  };
}
