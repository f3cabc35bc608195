import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../../core/index.js';
import { createLimitedServer, type ListenerLimits } from './listener-limits.js';
import type { SideRoutes } from './side-routes.js';

export interface SideListener {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** Stops accepting new connections (running requests go on). */
  stopAccepting(): void;
  /** Closes every connection and resolves once the server is closed. */
  close(): Promise<void>;
}

/**
 * Stdio mode: MCP runs on stdin/stdout, so webhooks, `/metrics` and the probes get a small HTTP listener of their
 * own (`server.listener`), with the same bounds on connections and on slow senders as the MCP one.
 */
export async function startSideListener(
  routes: SideRoutes,
  options: { host: string; port: number; logger: Logger } & ListenerLimits,
): Promise<SideListener> {
  const server = createLimitedServer(options, (req, res) =>
    routes(req, res, () => {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('Not found: this listener serves webhooks, metrics and the health probes only\n');
    }),
  );
  server.listen(options.port, options.host);
  await Promise.race([once(server, 'listening'), once(server, 'error').then(([e]) => Promise.reject(e))]);
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  const url = `http://${host}:${addr.port}`;
  options.logger.info({ url }, 'webhooks and metrics listening');
  let stopped: Promise<void> | undefined;
  const stopAccepting = () => {
    stopped ??= new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
  };
  return {
    url,
    stopAccepting,
    async close() {
      stopAccepting();
      server.closeAllConnections();
      await stopped;
    },
  };
}
