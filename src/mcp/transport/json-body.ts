import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Logger, refuseUpload } from '../../core/index.js';
import { jsonRpcErrorBody, sendJsonRpcError } from './json-rpc-answers.js';
import { MAX_MESSAGE_DEPTH, messageTooDeep, TOO_DEEP_MESSAGE } from './message-depth.js';
import { readBody } from './request-body.js';
import { requestIdOf } from './request-id.js';

/** readJsonBody's answer once it has answered the request itself (a body may be any JSON value, `false` too). */
export const ANSWERED: unique symbol = Symbol('answered');

/** The limits a POST body is read under. */
export interface JsonBodyLimits {
  /** Largest accepted body, bytes. */
  maxBody: number;
  /** Messages in one JSON-RPC batch. */
  maxBatch: number;
  logger: Logger;
}

/**
 * The parsed POST body (undefined for other methods), or ANSWERED once the request was answered:
 * 413 over `maxBody` (declared or read), a JSON-RPC parse error, a batch over `maxBatch`, or Invalid
 * Request for a body nested deeper than {@link MAX_MESSAGE_DEPTH}.
 */
export async function readJsonBody(
  req: IncomingMessage,
  res: ServerResponse,
  limits: JsonBodyLimits,
): Promise<unknown> {
  if (req.method !== 'POST') return undefined;
  const { maxBody, maxBatch } = limits;
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBody) return tooLarge(req, res, maxBody);
  const read = await readBody(req, maxBody);
  if (read.kind === 'aborted') return ANSWERED;
  if (read.kind === 'too_large') return tooLarge(req, res, maxBody);
  let body: unknown;
  try {
    body = JSON.parse(read.text);
  } catch {
    // The size only: the text may carry what a client meant to keep (a token), and the parser's
    // message quotes it.
    limits.logger.info(
      { bytes: Buffer.byteLength(read.text) },
      'HTTP: a body that is not valid JSON was answered with a parse error',
    );
    sendJsonRpcError(res, -32700, 'Parse error: the body is not valid JSON.');
    return ANSWERED;
  }
  if (Array.isArray(body) && body.length > maxBatch) {
    limits.logger.info({ messages: body.length, maxBatch }, 'JSON-RPC batch refused');
    sendJsonRpcError(
      res,
      -32600,
      `Invalid Request: a batch of ${body.length} messages; the limit is ${maxBatch} (server.http.maxBatchSize). Send fewer at once.`,
    );
    return ANSWERED;
  }
  if (messageTooDeep(read.text, body)) {
    // The size only, as for a parse error: the body is the client's, and may carry a secret.
    limits.logger.info(
      { bytes: Buffer.byteLength(read.text), maxDepth: MAX_MESSAGE_DEPTH },
      'HTTP: a body nested deeper than the limit was answered with Invalid Request',
    );
    sendJsonRpcError(res, -32600, TOO_DEEP_MESSAGE, requestIdOf(body));
    return ANSWERED;
  }
  return body;
}

function tooLarge(req: IncomingMessage, res: ServerResponse, maxBody: number): typeof ANSWERED {
  refuseUpload(req, res, {
    status: 413,
    headers: { 'content-type': 'application/json' },
    body: jsonRpcErrorBody(-32000, `Payload too large: the limit is ${maxBody} bytes.`),
  });
  return ANSWERED;
}
