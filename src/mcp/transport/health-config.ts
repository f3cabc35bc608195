import type { Clock } from '../../core/index.js';
import type { HealthConfig } from '../../config/index.js';
import type { Gateway } from '../gateway/gateway.js';
import { HealthEndpoints } from './health-endpoints.js';
import type { SideRoutes } from './side-routes.js';

/** The probes of one running gateway, or a stand-in that serves none (`server.health.enabled: false`). */
export interface GatewayHealth {
  /** `inner` with the probe paths in front of it. */
  routes(inner: SideRoutes | undefined): SideRoutes | undefined;
  serving(): void;
  /**
   * Readiness turns false; resolves after `server.health.drainDelay`, during which the listener still
   * accepts, so balancers that poll `/readyz` see the instance leave before connections are refused.
   */
  draining(): Promise<void>;
}

const NO_PROBES: GatewayHealth = {
  routes: (inner) => inner,
  serving() {},
  draining: () => Promise.resolve(),
};

/** The probe endpoints `config` asks for, over the gateway's readiness checks. */
export function healthEndpointsFor(
  gateway: Pick<Gateway, 'readiness'>,
  config: Partial<HealthConfig> | undefined,
  clock: Clock,
): GatewayHealth {
  if (config?.enabled === false) return NO_PROBES;
  const endpoints = new HealthEndpoints(() => gateway.readiness(), {
    ...(config?.livePath ? { livePath: config.livePath } : {}),
    ...(config?.readyPath ? { readyPath: config.readyPath } : {}),
    requireRedis: config?.requireRedis === true,
  });
  const delay = config?.drainDelay ?? 0;
  return {
    routes: (inner) => endpoints.routes(inner),
    serving: () => endpoints.serving(),
    draining() {
      endpoints.draining();
      if (delay <= 0) return Promise.resolve();
      return new Promise((resolve) => clock.setTimeout(resolve, delay, { keepAlive: true }));
    },
  };
}
