import { AsyncResource } from 'node:async_hooks';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Clock, type Logger, refuseUpload, errorForLog } from '../core/index.js';
import { isJsonContentType } from './content.js';
import type { WebhookEndpoint } from './endpoint.js';
import type { WebhookHeaders } from './headers.js';
import { failure, type WebhookResponse } from './responses.js';

interface Deps {
  endpointFor(path: string): WebhookEndpoint | undefined;
  processDelivery(ep: WebhookEndpoint, headers: WebhookHeaders, body: Uint8Array): Promise<WebhookResponse>;
  logger: Logger;
  /** Told about every answer written (endpoint name, or undefined for an unknown path). */
  report(endpoint: string | undefined, response: WebhookResponse): void;
  clock: Clock;
  /** How long the body may take to arrive, from the moment it is first read. */
  bodyTimeoutMs: number;
}

function send(res: ServerResponse, r: WebhookResponse): void {
  if (res.headersSent || res.destroyed) return;
  const headers: Record<string, string | number> = {
    ...r.headers,
    'content-length': Buffer.byteLength(r.body),
  };
  res.writeHead(r.status, headers);
  res.end(r.body);
}

/**
 * The node:http side: route, method, content type and size checks before reading, a body read that
 * stops at the limit, then the shared processing. Uses `headersDistinct` so a header sent twice is
 * seen as two values, not one comma-joined string.
 */
export function serveNode(
  req: IncomingMessage,
  res: ServerResponse,
  next: ((err?: unknown) => void) | undefined,
  deps: Deps,
): void {
  const ep = deps.endpointFor(req.url ?? '/');
  if (!ep) {
    if (next) next();
    else {
      const r = failure(404, 'not_found', 'No webhook endpoint at this path');
      deps.report(undefined, r);
      send(res, r);
    }
    return;
  }
  const answer = (r: WebhookResponse) => {
    deps.report(ep.name, r);
    send(res, r);
  };
  const refuse = (r: WebhookResponse) => {
    // Answered before the body is read; the rest of the upload is drained (bounded) so that the
    // sender reads this answer rather than a reset.
    deps.report(ep.name, r);
    refuseUpload(req, res, r);
  };
  if (req.method !== 'POST') {
    refuse(failure(405, 'method_not_allowed', 'Webhooks are delivered with POST', { allow: 'POST' }));
    return;
  }
  if (!isJsonContentType(req.headers['content-type'])) {
    refuse(failure(415, 'unsupported_media_type', 'Content-Type must be application/json'));
    return;
  }
  const tooLarge = () => failure(413, 'body_too_large', `The body exceeds ${ep.maxBodyBytes} bytes`);
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > ep.maxBodyBytes) {
    ep.logger.warn({ reason: 'body_too_large', bytes: declared }, 'webhook rejected');
    refuse(tooLarge());
    return;
  }

  const chunks: Buffer[] = [];
  let size = 0;
  const cleanup = () => {
    deps.clock.clearTimeout(timer);
    req.off('data', onData);
    req.off('end', onEnd);
    req.off('error', onError);
  };
  const onData = (chunk: Buffer) => {
    size += chunk.length;
    if (size > ep.maxBodyBytes) {
      // Stop keeping bytes at the limit: drop what we hold; the rest is drained (bounded) after the 413.
      cleanup();
      chunks.length = 0;
      ep.logger.warn({ reason: 'body_too_large', bytes: size }, 'webhook rejected');
      refuse(tooLarge());
      return;
    }
    chunks.push(chunk);
  };
  // Bound to the context the request arrived in: the socket emits `end` in its own, and the delivery's
  // actions must run in the caller's (a tracer's active span, any AsyncLocalStorage).
  const onEnd = AsyncResource.bind(() => {
    cleanup();
    const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
    const headers = req.headersDistinct as WebhookHeaders;
    deps.processDelivery(ep, headers, body).then(
      (r) => answer(r),
      (err: unknown) => {
        deps.logger.error({ err: errorForLog(err) }, 'webhook receiver failed');
        answer(failure(500, 'internal_error', 'The webhook receiver failed; retry later'));
      },
    );
  });
  const onError = () => cleanup(); // client went away; nothing to answer
  // A sender that stops mid-body would hold the connection until node's own requestTimeout (5 min for
  // a server made by the caller); it is answered and cut off here instead.
  const onTimeout = () => {
    cleanup();
    chunks.length = 0;
    ep.logger.warn({ reason: 'body_timeout', bytes: size }, 'webhook rejected');
    const r = failure(408, 'body_timeout', `The body did not arrive within ${deps.bodyTimeoutMs} ms`, {
      connection: 'close',
    });
    deps.report(ep.name, r);
    if (!res.headersSent && !res.destroyed) {
      res.writeHead(r.status, { ...r.headers, 'content-length': Buffer.byteLength(r.body) });
      res.end(r.body, () => req.socket?.destroy());
    }
  };
  const timer = deps.clock.setTimeout(onTimeout, deps.bodyTimeoutMs);
  req.on('data', onData);
  req.on('end', onEnd);
  req.on('error', onError);
}
