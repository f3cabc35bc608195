import { type Clock, type Logger, noopLogger, systemClock } from '../../core/index.js';
import type { GatewayCache } from '../tools/cache-port.js';
import type { ChangeFeed } from '../resources/change-feed.js';
import type { GatewayConfig } from '../../config/index.js';
import { gatewaySecrets } from './credential-secrets.js';
import { withoutSecrets } from './failure-secrets.js';
import { createGateway, type Gateway, type GatewayDeps } from './gateway.js';
import { serveHttp } from '../transport/http-server.js';
import type { ListenerLimits } from '../transport/listener-limits.js';
import { type SideListener, startSideListener } from '../transport/side-listener.js';
import { sideRoutes } from '../transport/side-routes.js';
import { healthEndpointsFor } from '../transport/health-config.js';
import { serveGatewayStdio } from '../transport/stdio-server.js';

export interface StartGatewayOptions {
  /** `stdio` (default; what desktop clients spawn) or `http` (Streamable HTTP on `server.http.path`). */
  transport?: 'stdio' | 'http';
  /** Overrides `server.http.port`. */
  port?: number;
  /** Overrides `server.http.host` (default 127.0.0.1). */
  host?: string;
  logger?: Logger;
  clock?: Clock;
  /** Use this cache instead of building one from `config.cache`. */
  cache?: GatewayCache;
  /** Use this change feed instead of building one from `config.cache` (closed with the gateway). */
  changes?: ChangeFeed;
  /** Progress heartbeat interval for long calls, ms (default 5000). */
  progressIntervalMs?: number;
  /** HTTP: a 2025-era session unused this long is closed; overrides `server.http.sessionIdleTimeout`. */
  sessionIdleMs?: number;
  /** HTTP: interval of the SSE keep-alive comments on open streams, ms (default 15 s). */
  sseKeepAliveMs?: number;
  /** Stdio: overrides `server.listener.port` (0 = an ephemeral port; read `listenerUrl`). */
  listenerPort?: number;
  /** Traces with this tracer (`false`: none) instead of the `telemetry` section's exporter. */
  tracer?: GatewayDeps['tracer'];
  /** The secret set the gateway scrubs with and adds its config's to (see `GatewayDeps.secrets`). */
  secrets?: GatewayDeps['secrets'];
}

export interface RunningGateway {
  /** `http://127.0.0.1:<port>/mcp` for the HTTP transport. */
  url?: string;
  /** Stdio: base URL of the side listener serving webhooks and `/metrics`, when it runs. */
  listenerUrl?: string;
  readonly gateway: Gateway;
  /**
   * Graceful shutdown: stop accepting, let in-flight calls finish up to `server.shutdownTimeout`
   * (default 10 s), then close sockets, upstream connections and Redis.
   */
  close(): Promise<void>;
}

const DEFAULT_SHUTDOWN_MS = 10_000;

/**
 * Starts `conduit serve`: the configured tools over stdio or Streamable HTTP. A failure to start is
 * thrown with the config's secrets scrubbed from its message.
 */
export async function startGateway(
  config: GatewayConfig,
  options: StartGatewayOptions = {},
): Promise<RunningGateway> {
  try {
    return await start(config, options);
  } catch (err) {
    throw withoutSecrets(err, gatewaySecrets(config));
  }
}

async function start(config: GatewayConfig, options: StartGatewayOptions): Promise<RunningGateway> {
  const logger = options.logger ?? noopLogger;
  const gateway = createGateway(config, {
    logger,
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.cache ? { cache: options.cache } : {}),
    ...(options.changes ? { changes: options.changes } : {}),
    ...(options.progressIntervalMs !== undefined ? { progressIntervalMs: options.progressIntervalMs } : {}),
    ...(options.tracer !== undefined ? { tracer: options.tracer } : {}),
    ...(options.secrets ? { secrets: options.secrets } : {}),
  });
  const deadline = config.server?.shutdownTimeout ?? DEFAULT_SHUTDOWN_MS;
  let side: SideListener | undefined;
  const health = healthEndpointsFor(gateway, config.server?.health, options.clock ?? systemClock);
  try {
    await gateway.ready();
    const http = config.server?.http ?? {};
    const routesFor = (bindHost: string) =>
      health.routes(
        sideRoutes(gateway, {
          bindHost,
          logger,
          ...(config.metrics?.path ? { metricsPath: config.metrics.path } : {}),
          ...(config.metrics?.token ? { metricsToken: config.metrics.token } : {}),
          // Without a metrics token, `/metrics` is as closed as the MCP endpoint unless opened on purpose.
          ...(config.metrics?.public !== true && http.authTokens?.length
            ? { clientTokens: http.authTokens }
            : {}),
          ...(http.allowedHosts ? { allowedHosts: http.allowedHosts } : {}),
          refuseWithoutToken: config.metrics?.public !== true && http.auth !== undefined,
        }),
      );
    if (options.transport === 'http') {
      const host = options.host ?? http.host ?? '127.0.0.1';
      const server = await serveHttp(gateway, {
        host,
        routes: routesFor(host),
        port: options.port ?? http.port ?? 0,
        path: http.path ?? '/mcp',
        ...(http.allowedHosts ? { allowedHosts: http.allowedHosts } : {}),
        ...(http.allowedOrigins ? { allowedOrigins: http.allowedOrigins } : {}),
        ...(http.authTokens ? { authTokens: http.authTokens } : {}),
        ...(http.auth ? { auth: http.auth } : {}),
        ...(http.maxBodyBytes !== undefined ? { maxBodyBytes: http.maxBodyBytes } : {}),
        stateless: http.stateless ?? false,
        ...limitsOf(http),
        ...(http.maxSessions !== undefined ? { maxSessions: http.maxSessions } : {}),
        ...(http.maxSessionsPerPrincipal !== undefined
          ? { maxSessionsPerPrincipal: http.maxSessionsPerPrincipal }
          : {}),
        ...(http.maxBatchSize !== undefined ? { maxBatchSize: http.maxBatchSize } : {}),
        ...(http.trustProxy?.length ? { trustProxy: http.trustProxy } : {}),
        ...(http.sessionIdleTimeout !== undefined ? { sessionIdleMs: http.sessionIdleTimeout } : {}),
        logger,
        ...(options.clock ? { clock: options.clock } : {}),
        ...(options.sessionIdleMs !== undefined ? { sessionIdleMs: options.sessionIdleMs } : {}),
        ...(options.sseKeepAliveMs !== undefined ? { sseKeepAliveMs: options.sseKeepAliveMs } : {}),
      });
      health.serving();
      return {
        url: server.url,
        gateway,
        close: once(async () => {
          await health.draining();
          await server.close(deadline);
          await gateway.close();
        }),
      };
    }
    const listener = config.server?.listener;
    const routes = listener ? routesFor(listener.host ?? '127.0.0.1') : undefined;
    if (routes && listener) {
      side = await startSideListener(routes, {
        host: listener.host ?? '127.0.0.1',
        port: options.listenerPort ?? listener.port,
        ...limitsOf(listener),
        logger,
      });
    } else if (config.webhooks)
      logger.warn(
        {},
        'webhooks are configured but not served: over stdio they need server.listener (host, port)',
      );
    const sideListener = side;
    const server = serveGatewayStdio(gateway, { logger, listenerUrl: side?.url });
    health.serving();
    const close = once(async () => {
      // Stdio ends with its client: no balancer to wait for.
      void health.draining();
      sideListener?.stopAccepting();
      await server.close(deadline);
      await gateway.close();
      await sideListener?.close();
    });
    // The client closing our stdin ends the session: release upstream sockets and Redis so the
    // process can exit on its own, as the stdio binding asks.
    process.stdin.once('end', () => {
      logger.info('stdin closed by the client; shutting down');
      close().catch(() => {});
    });
    return { gateway, close, ...(side ? { listenerUrl: side.url } : {}) };
  } catch (err) {
    await side?.close();
    await gateway.close();
    throw err;
  }
}

/** The config's listener bounds (ms) as the listener's options. */
function limitsOf(l: {
  maxConnections?: number | undefined;
  headersTimeout?: number | undefined;
  requestTimeout?: number | undefined;
}): ListenerLimits {
  const limits: ListenerLimits = {};
  if (l.maxConnections !== undefined) limits.maxConnections = l.maxConnections;
  if (l.headersTimeout !== undefined) limits.headersTimeoutMs = l.headersTimeout;
  if (l.requestTimeout !== undefined) limits.requestTimeoutMs = l.requestTimeout;
  return limits;
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let p: Promise<void> | undefined;
  return () => {
    p ??= fn();
    return p;
  };
}
