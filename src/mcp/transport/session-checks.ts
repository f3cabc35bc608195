import type { IncomingMessage } from 'node:http';
import { isJsonContentType } from '@modelcontextprotocol/server';

/** Why a request cannot be served, as answered: HTTP status, JSON-RPC code, message. */
export interface Refusal {
  status: number;
  code: number;
  message: string;
}

/** The SDK's own bound on one JSON-RPC batch (Conduit's `maxBatchSize` is checked before, and lower by default). */
const MAX_BATCH = 100;

const refusal = (status: number, code: number, message: string): Refusal => ({ status, code, message });

/** A POST's media types (it must accept both answer forms and send JSON) and its batch size. */
export function postRefusal(req: IncomingMessage, body: unknown): Refusal | undefined {
  const accept = req.headers.accept;
  if (!accept?.includes('application/json') || !accept.includes('text/event-stream'))
    return refusal(
      406,
      -32000,
      'Not Acceptable: Client must accept both application/json and text/event-stream',
    );
  if (!isJsonContentType(req.headers['content-type']))
    return refusal(415, -32000, 'Unsupported Media Type: Content-Type must be application/json');
  if (Array.isArray(body) && body.length > MAX_BATCH)
    return refusal(400, -32600, `Invalid Request: Batch must not exceed ${MAX_BATCH} messages`);
  return undefined;
}

/** A GET opens the session's SSE stream: the client must accept one. */
export function getHeadersRefusal(req: IncomingMessage): Refusal | undefined {
  if (req.headers.accept?.includes('text/event-stream')) return undefined;
  return refusal(406, -32000, 'Not Acceptable: Client must accept text/event-stream');
}

/**
 * A request after initialize must name this session and, when it names a protocol version, one
 * the server supports (without the header, the version negotiated at initialize applies).
 */
export function sessionRefusal(
  req: IncomingMessage,
  sessionId: string | undefined,
  supported: readonly string[],
): Refusal | undefined {
  if (sessionId === undefined) return refusal(400, -32000, 'Bad Request: Server not initialized');
  const named = req.headers['mcp-session-id'];
  if (!named) return refusal(400, -32000, 'Bad Request: Mcp-Session-Id header is required');
  if (named !== sessionId) return refusal(404, -32001, 'Session not found');
  const version = req.headers['mcp-protocol-version'];
  if (version !== undefined && (typeof version !== 'string' || !supported.includes(version)))
    return refusal(
      400,
      -32000,
      `Bad Request: Unsupported protocol version: ${version} (supported versions: ${supported.join(', ')})`,
    );
  return undefined;
}
