import { z } from 'zod';
import { strictObject } from './strict-object.js';
import { duration, flag } from './units.js';
import { isObject } from '../core/index.js';

const pathString = z.string().regex(/^\/[^?#]*$/, { error: 'expected a path starting with "/"' });

/**
 * `server.health`: the probe endpoints `/healthz` (the process serves) and `/readyz` (it can take
 * traffic), on the HTTP listener or, over stdio, on `server.listener`. Unauthenticated and
 * Host-unchecked, since probes carry no token and name the pod by IP; they reveal component states only.
 */
export const healthSchema = strictObject({
  /** Serve the two probe paths. */
  enabled: flag().default(true),
  /** Liveness: 200 while the process answers HTTP. */
  livePath: pathString.default('/healthz'),
  /** Readiness: 200 when serving, 503 with the failing checks otherwise. */
  readyPath: pathString.default('/readyz'),
  /**
   * A Redis outage fails readiness too. Off by default: the cache falls back to memory and the breakers
   * judge locally, so every instance still answers; failing them all at once would turn a degraded
   * service into no service.
   */
  requireRedis: flag().default(false),
  /**
   * HTTP: on SIGTERM, readiness turns false at once but the listener keeps accepting this long before
   * the shutdown proper, so balancers polling `/readyz` take the instance out before it refuses anything.
   */
  drainDelay: duration().default(0),
});

/** The probe paths must not shadow the MCP endpoint, `/metrics` or each other. */
export function crossCheckHealth(
  data: Record<string, unknown>,
): { path: (string | number)[]; message: string }[] {
  const server = isObject(data.server) ? data.server : {};
  const health = isObject(server.health) ? server.health : {};
  if (health.enabled === false || health.enabled === 'false') return [];
  const http = isObject(server.http) ? server.http : {};
  const metrics = isObject(data.metrics) ? data.metrics : {};
  const taken = new Map<string, string>([
    [typeof http.path === 'string' ? http.path : '/mcp', 'the MCP endpoint'],
    [typeof metrics.path === 'string' ? metrics.path : '/metrics', 'the metrics endpoint'],
  ]);
  const problems: { path: (string | number)[]; message: string }[] = [];
  for (const [key, fallback] of [
    ['livePath', '/healthz'],
    ['readyPath', '/readyz'],
  ] as const) {
    const path = typeof health[key] === 'string' ? health[key] : fallback;
    const owner = taken.get(path);
    if (owner)
      problems.push({ path: ['server', 'health', key], message: `${path} is ${owner}; pick another path` });
    else taken.set(path, `server.health.${key}`);
  }
  return problems;
}
