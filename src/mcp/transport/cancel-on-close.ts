import type { ServerResponse } from 'node:http';
import type { NodeStreamableHTTPServerTransport } from '@modelcontextprotocol/node';

type RequestId = string | number;

/** The ids of the JSON-RPC requests (not notifications or responses) in a POST body or batch. */
function requestIdsOf(body: unknown): RequestId[] {
  const ids: RequestId[] = [];
  const add = (m: unknown) => {
    if (typeof m !== 'object' || m === null) return;
    const { id, method } = m as { id?: unknown; method?: unknown };
    if (typeof method === 'string' && (typeof id === 'string' || typeof id === 'number')) ids.push(id);
  };
  if (Array.isArray(body)) for (const m of body) add(m);
  else add(body);
  return ids;
}

/**
 * A 2025-era session's POST carries its answers on that POST's own response stream; the session has
 * no event store, so once the client closes that connection the answers can no longer reach it. The
 * SDK's session transport does not tell the request handlers, so their upstream calls would run on
 * until their own timeouts. When the response closes before it finished, this hands the session the
 * `notifications/cancelled` the client did not send, one per request of the body: the SDK aborts
 * those handlers' signals, and with them their upstream requests. A request already answered has no
 * handler left, so for it this does nothing.
 */
export function cancelOnClose(
  transport: NodeStreamableHTTPServerTransport,
  res: ServerResponse,
  body: unknown,
): void {
  const ids = requestIdsOf(body);
  if (ids.length === 0) return;
  res.once('close', () => {
    if (res.writableFinished) return;
    const deliver = transport.onmessage;
    if (deliver === undefined) return;
    for (const requestId of ids)
      deliver({
        jsonrpc: '2.0',
        method: 'notifications/cancelled',
        params: { requestId, reason: 'the client closed the request before its answer' },
      });
  });
}
