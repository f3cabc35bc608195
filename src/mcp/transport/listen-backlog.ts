import type { ServerResponse } from 'node:http';
import type { ServerEvent } from '@modelcontextprotocol/server';

/**
 * Bytes of events a listen stream may be handed while its client takes none. The SDK queues each
 * event for the stream whatever the client reads, as many as changes come (webhook deliveries), so
 * without a bound a client that stopped reading would have them all held in the gateway.
 */
export const LISTEN_MAX_BACKLOG_BYTES = 1024 * 1024;

// An event's frame on the stream: its JSON-RPC envelope and SSE framing, plus the URI it names.
const FRAME_BYTES = 200;
const sizeOf = (e: ServerEvent) => FRAME_BYTES + (e.kind === 'resource_updated' ? e.uri.length : 0);

/**
 * `listener` for the listen stream answered on `res`, ending the stream (the client opens it again,
 * as after any drop) once more than `maxBytes` of events reached it since the response last drained.
 * Returns the listener and the function that stops watching `res`.
 */
export function boundedListener(
  res: ServerResponse,
  listener: (e: ServerEvent) => void,
  maxBytes: number = LISTEN_MAX_BACKLOG_BYTES,
): { listener: (e: ServerEvent) => void; stop(): void } {
  let backlog = 0;
  const drained = () => {
    backlog = 0;
  };
  res.on('drain', drained);
  return {
    listener(e) {
      if (res.writableNeedDrain) {
        backlog += sizeOf(e);
        if (backlog > maxBytes) {
          res.destroy();
          return;
        }
      }
      listener(e);
    },
    stop: () => res.off('drain', drained),
  };
}
