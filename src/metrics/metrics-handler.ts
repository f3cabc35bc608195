import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Logger, noopLogger, errorForLog } from '../core/index.js';
import type { GatewayMetrics } from './gateway-metrics.js';

/** Options of `metricsHandler`. */
export interface MetricsHandlerOptions {
  /** Path served. Default `/metrics`. */
  path?: string;
  /** Where a failed collection is reported. Default `noopLogger`. */
  logger?: Logger;
}

/**
 * A node:http request listener serving the registry in Prometheus text format at `GET /metrics`
 * (HEAD too); other methods get 405 with `Allow`, other paths 404 — or go to `next` when given, so it
 * can sit in front of another handler (e.g. the webhook receiver on the same port).
 */
export function metricsHandler(
  metrics: GatewayMetrics,
  options: MetricsHandlerOptions = {},
): (req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void) => void {
  const path = options.path ?? '/metrics';
  const logger = options.logger ?? noopLogger;
  return (req, res, next) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    if ((q === -1 ? url : url.slice(0, q)) !== path) {
      if (next) next();
      else plain(res, 404, `Not found; metrics are served at ${path}\n`);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      plain(res, 405, 'Use GET to read metrics\n', { allow: 'GET, HEAD' });
      return;
    }
    metrics.metrics().then(
      (text) => {
        if (res.headersSent || res.destroyed) return;
        res.writeHead(200, {
          'content-type': metrics.contentType,
          'content-length': Buffer.byteLength(text),
          'cache-control': 'no-store',
        });
        res.end(req.method === 'HEAD' ? undefined : text);
      },
      (err: unknown) => {
        logger.error({ event: 'metrics.collect_failed', err: errorForLog(err) }, 'metrics collection failed');
        plain(res, 500, 'Collecting metrics failed; see the gateway log\n');
      },
    );
  };
}

function plain(
  res: ServerResponse,
  status: number,
  text: string,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}
