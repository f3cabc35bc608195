import { AsyncLocalStorage } from 'node:async_hooks';
import type { AuthInfo, ServerEvent, ServerEventBus } from '@modelcontextprotocol/server';

/** Whether a listen stream of `caller` may be told that `uri` changed. */
export type HearsUri = (uri: string, caller: AuthInfo) => boolean;

/**
 * The event bus the SDK's listen router serves 2026-07-28 `subscriptions/listen` streams from, made
 * to know whose stream it feeds: the router subscribes while the listen request runs inside
 * `serve(caller, …)` (synchronously, when the stream starts), so each subscription keeps that caller
 * and hears a resource's change only when `hears` says the caller may read it. A subscription made
 * outside `serve` has no caller and hears no resource changes (fail closed). List-changed events pass:
 * they name nothing, and the lists a client then asks for are filtered per caller.
 */
export class ListenCallers {
  private readonly callers = new AsyncLocalStorage<AuthInfo>();
  /** The bus to give `createMcpHandler`. */
  readonly bus: ServerEventBus;

  constructor(inner: ServerEventBus, hears: HearsUri) {
    const callers = this.callers;
    this.bus = {
      publish: (event) => inner.publish(event),
      subscribe(listener) {
        const caller = callers.getStore();
        return inner.subscribe((event: ServerEvent) => {
          if (event.kind === 'resource_updated' && (caller === undefined || !hears(event.uri, caller)))
            return;
          listener(event);
        });
      },
    };
  }

  /** Runs `fn` (the handler serving one listen request) as `caller`'s. */
  serve<T>(caller: AuthInfo | undefined, fn: () => T): T {
    return caller === undefined ? fn() : this.callers.run(caller, fn);
  }
}

/** Whether a parsed request body is a `subscriptions/listen` request (the 2026-07-28 era has no batches). */
export function isListenRequest(body: unknown): boolean {
  return (body as { method?: unknown } | null)?.method === 'subscriptions/listen';
}
