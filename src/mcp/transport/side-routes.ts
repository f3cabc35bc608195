import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../core/index.js';
import type { StaticTokenConfig } from '../../config/index.js';
import { metricsHandler } from '../../metrics/index.js';
import type { Gateway } from '../gateway/gateway.js';
import { RequestGuard } from './http-guards.js';

/** A connect-style node:http handler: serves its paths, passes the rest to `next`. */
export type SideRoutes = (req: IncomingMessage, res: ServerResponse, next: () => void) => void;

export interface SideRoutesOptions {
  /** Default `/metrics`. */
  metricsPath?: string;
  /** Bearer token scrapers must send; wins over `clientTokens`. */
  metricsToken?: string;
  /** Without `metricsToken`: the MCP client tokens, any of which opens `/metrics`; none = open. */
  clientTokens?: readonly StaticTokenConfig[];
  /**
   * The MCP endpoint takes OAuth access tokens only (`server.http.auth`), which `/metrics` does not
   * check: without `metricsToken` it is refused rather than open.
   */
  refuseWithoutToken?: boolean;
  /** Host names `/metrics` may be reached under besides loopback (DNS-rebinding guard). */
  allowedHosts?: string[];
  /** The address the listener binds. */
  bindHost: string;
  logger: Logger;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * The non-MCP paths of the gateway: `/metrics` (Host-checked against DNS rebinding like the MCP
 * endpoint; no Origin check — scrapers send none; a bearer token: `metricsToken` when set, else any
 * MCP client token when client auth is on) and the configured webhook endpoints (authenticated by their signatures
 * only: senders come from anywhere, under any Host name).
 */
export function sideRoutes(gateway: Gateway, options: SideRoutesOptions): SideRoutes | undefined {
  const metrics = gateway.metrics;
  const webhooks = gateway.webhooks;
  if (!metrics && !webhooks) return undefined;
  const path = options.metricsPath ?? '/metrics';
  const scrape = metrics ? metricsHandler(metrics, { path, logger: options.logger }) : undefined;
  const hostGuard = new RequestGuard({
    allowedHosts: options.allowedHosts,
    allowedOrigins: ['*'],
    authTokens: undefined,
    bindHost: options.bindHost,
  });
  const token = options.metricsToken ? digest(options.metricsToken) : undefined;
  const clientGuard =
    !token && options.clientTokens?.length
      ? new RequestGuard({
          allowedHosts: ['*'],
          allowedOrigins: ['*'],
          authTokens: options.clientTokens,
          bindHost: options.bindHost,
        })
      : undefined;
  const refuse = (
    res: ServerResponse,
    status: number,
    text: string,
    headers: Record<string, string> = {},
  ) => {
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers });
    res.end(text);
  };
  return (req, res, next) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const p = q === -1 ? url : url.slice(0, q);
    if (scrape && p === path) {
      const verdict = hostGuard.check(req);
      if (!verdict.ok) return refuse(res, verdict.status, `${verdict.message}\n`);
      if (token) {
        const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
        if (!m || !timingSafeEqual(digest(m[1]!), token))
          return refuse(res, 401, 'Unauthorized: send "Authorization: Bearer <metrics.token>".\n', {
            'www-authenticate': 'Bearer realm="conduit-metrics"',
          });
      }
      if (!token && !clientGuard && options.refuseWithoutToken)
        return refuse(
          res,
          401,
          'Unauthorized: the MCP endpoint takes OAuth access tokens, which /metrics does not check; set metrics.token for scrapers (or metrics.public: true to open /metrics).\n',
          { 'www-authenticate': 'Bearer realm="conduit-metrics"' },
        );
      if (clientGuard && !clientGuard.authenticates(req))
        return refuse(
          res,
          401,
          'Unauthorized: send "Authorization: Bearer <token>" with one of server.http.authTokens (or set metrics.token; metrics.public: true opens /metrics).\n',
          { 'www-authenticate': 'Bearer realm="conduit-metrics"' },
        );
      return scrape(req, res);
    }
    if (webhooks?.endpointFor(p)) return webhooks(req, res);
    next();
  };
}
