import type { ServerResponse } from 'node:http';

/**
 * The body of a JSON-RPC error answer; `id` null (the default) when no request id could be read or the
 * refusal answers no one request.
 */
export function jsonRpcErrorBody(code: number, message: string, id: string | number | null = null): string {
  return JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id });
}

/** A 400 answer carrying a JSON-RPC error `code` (parse error, invalid request), for `id` if known. */
export function sendJsonRpcError(
  res: ServerResponse,
  code: number,
  message: string,
  id: string | number | null = null,
): void {
  if (res.headersSent) return void res.end();
  res.writeHead(400, { 'content-type': 'application/json' });
  res.end(jsonRpcErrorBody(code, message, id));
}

/** An HTTP error `status` with a JSON-RPC server error (-32000) saying what to do. */
export function sendJsonError(
  res: ServerResponse,
  status: number,
  message: string,
  headers: Record<string, string> = {},
): void {
  sendJsonRpcStatus(res, status, -32000, message, headers);
}

/** An HTTP error `status` carrying the JSON-RPC error `code` and `message`. */
export function sendJsonRpcStatus(
  res: ServerResponse,
  status: number,
  code: number,
  message: string,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const body = jsonRpcErrorBody(code, message);
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(body);
}
