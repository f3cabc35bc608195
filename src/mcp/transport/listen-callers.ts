import { AsyncLocalStorage } from 'node:async_hooks';
import type { ServerResponse } from 'node:http';
import type { AuthInfo, ServerEvent, ServerEventBus } from '@modelcontextprotocol/server';
import { boundedListener } from './listen-backlog.js';

/** Whether a listen stream of `caller` may be told that `uri` changed. */
export type HearsUri = (uri: string, caller: AuthInfo) => boolean;

/**
 * The event bus the SDK's listen router serves 2026-07-28 `subscriptions/listen` streams from, made
 * to know whose stream it feeds: the router subscribes while the listen request runs inside
 * `serve(caller, …)` (synchronously, when the stream starts), so each subscription keeps that caller
 * and hears a resource's change only when `hears` says the caller may read it. A subscription made
 * outside `serve` has no caller and hears no resource changes (fail closed). List-changed events pass:
 * they name nothing, and the lists a client then asks for are filtered per caller. Given the listen
 * request's response, a stream whose client stopped reading is ended past a bounded backlog.
 */
export class ListenCallers {
  private readonly listens = new AsyncLocalStorage<{ caller?: AuthInfo; res?: ServerResponse }>();
  /** The bus to give `createMcpHandler`. */
  readonly bus: ServerEventBus;

  constructor(inner: ServerEventBus, hears: HearsUri) {
    const listens = this.listens;
    this.bus = {
      publish: (event) => inner.publish(event),
      subscribe(listener) {
        const { caller, res } = listens.getStore() ?? {};
        const bounded = res ? boundedListener(res, listener) : undefined;
        const deliver = bounded?.listener ?? listener;
        const off = inner.subscribe((event: ServerEvent) => {
          if (event.kind === 'resource_updated' && (caller === undefined || !hears(event.uri, caller)))
            return;
          deliver(event);
        });
        return () => {
          bounded?.stop();
          off();
        };
      },
    };
  }

  /** Runs `fn` (the handler serving one listen request) as `caller`'s, answered on `res`. */
  serve<T>(caller: AuthInfo | undefined, fn: () => T, res?: ServerResponse): T {
    return caller === undefined && res === undefined ? fn() : this.listens.run({ caller, res }, fn);
  }
}

/** Whether a parsed request body is a `subscriptions/listen` request (the 2026-07-28 era has no batches). */
export function isListenRequest(body: unknown): boolean {
  return (body as { method?: unknown } | null)?.method === 'subscriptions/listen';
}
