import { z } from 'zod';
import { strictObject } from './strict-object.js';
import { count, duration, flag, size } from './units.js';
import { isObject } from '../core/index.js';

// The config sections that are not tools: webhooks (cache invalidation and change
// notifications from the upstream), metrics (`/metrics` for Prometheus) and the side listener that
// serves both when MCP runs over stdio.

const nonEmpty = (what: string) =>
  z.string({ error: `expected ${what}` }).min(1, { error: `expected ${what}` });
const pathString = z.string().regex(/^\/[^?#]*$/, { error: 'expected a path starting with "/"' });

/** Bounds of an HTTP listener (the MCP one and the stdio side listener) against slow or many peers. */
export const listenerLimitFields = {
  /** Connections open at once; more are dropped when accepted. Keep it below the fd limit. */
  maxConnections: count({ min: 1 }).default(512),
  /** Time a peer gets to send the request headers (408 and closed after). */
  headersTimeout: duration().default(10_000),
  /** Time a peer gets to send the whole request, body included (408 and closed after). */
  requestTimeout: duration().default(30_000),
};

/** Stdio mode: a small HTTP listener for webhooks and `/metrics` (HTTP mode uses its own listener). */
export const listenerSchema = strictObject({
  host: nonEmpty('a host name or IP address').default('127.0.0.1'),
  port: count({ max: 65535 }),
  ...listenerLimitFields,
});

export const metricsSchema = strictObject({
  /** Collect metrics (tool calls, upstream requests, breakers, cache, webhooks). */
  enabled: flag().default(true),
  /** Where Prometheus scrapes, on the HTTP listener or the stdio side listener. */
  path: pathString.default('/metrics'),
  /** Also export prom-client's `process_*` and `nodejs_*` metrics. */
  defaultMetrics: flag().default(false),
  /** When set, scrapers must send `Authorization: Bearer <token>` (use `${ENV_VAR}`). */
  token: nonEmpty('a non-empty token').optional(),
  /**
   * Without `token`, `/metrics` asks for one of `server.http.authTokens` when those are set; `true`
   * serves it to anyone who reaches the listener instead.
   */
  public: flag().default(false),
});

export const WEBHOOK_SCHEMES = ['standard', 'svix', 'github', 'stripe', 'hmac'] as const;

/** What a verified event of a type does: cache entries to drop, resource URIs to announce. */
export const webhookActionSchema = strictObject({
  /** Templates over the payload, e.g. `assignment:{data.id}`. */
  invalidate: strictObject({
    keys: z.array(nonEmpty('a key template')).default([]),
    tags: z.array(nonEmpty('a tag template')).default([]),
    /** Globs (`assignments:list:*`); substituted payload values are escaped. */
    patterns: z.array(nonEmpty('a glob template')).default([]),
  }).optional(),
  /** Resource URI templates to publish as changed, e.g. `assignments://{data.id}`. */
  notify: z.array(nonEmpty('a resource URI template')).default([]),
});

export const webhookEndpointSchema = strictObject({
  path: pathString,
  /** Name in logs, metrics and de-dup keys. Default: the path. */
  name: nonEmpty('an endpoint name').optional(),
  scheme: z.enum(WEBHOOK_SCHEMES, { error: `expected one of ${WEBHOOK_SCHEMES.join(', ')}` }),
  /** Signing secrets; several during a rotation. Use `${ENV_VAR}`. */
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the message shows the ${} syntax
  secrets: z.array(nonEmpty('a secret (use ${ENV_VAR})')).min(1, { error: 'expected at least one secret' }),
  /** How far a signed timestamp may be from now. */
  tolerance: duration().default(300_000),
  /** Dotted payload path of the event id when the scheme has no id header (old name `idField`). */
  idPath: nonEmpty('a dotted payload path').optional(),
  /** Dotted payload path of the event type when the scheme has no type header (old name `typeField`). */
  typePath: nonEmpty('a dotted payload path').optional(),
  /** hmac scheme only: where the signature is and how it is written. */
  hmac: strictObject({
    header: nonEmpty('a header name').optional(),
    prefix: z.string().optional(),
    encoding: z.enum(['hex', 'base64'], { error: 'expected hex or base64' }).optional(),
    timestampHeader: nonEmpty('a header name').optional(),
    idHeader: nonEmpty('a header name').optional(),
  }).optional(),
  maxBodyBytes: size().default(1024 * 1024),
  /** Time the actions get before the delivery is answered 503 (the sender retries). */
  deadline: duration().default(10_000),
  /** Actions by event type: exact (`assignment.updated`), `prefix.*` or `*`. */
  events: z.record(nonEmpty('an event type or pattern'), webhookActionSchema),
});

export const webhooksSchema = strictObject({
  /** Where processed event ids are remembered: `redis` (shared; default when cache.redis is set) or `memory`. */
  dedupe: z.enum(['memory', 'redis'], { error: 'expected memory or redis' }).optional(),
  /** How long a processed id is remembered. */
  dedupeTtl: duration().optional(),
  endpoints: z.array(webhookEndpointSchema).min(1, { error: 'expected at least one endpoint' }),
});

/** Cross-checks of these sections on the raw (interpolated) tree: paths, Redis, listener. */
export function crossCheckEvents(
  data: Record<string, unknown>,
): { path: (string | number)[]; message: string }[] {
  const problems: { path: (string | number)[]; message: string }[] = [];
  const webhooks = isObject(data.webhooks) ? data.webhooks : undefined;
  const metrics = isObject(data.metrics) ? data.metrics : {};
  const server = isObject(data.server) ? data.server : {};
  const http = isObject(server.http) ? server.http : {};
  const cache = isObject(data.cache) ? data.cache : {};
  const mcpPath = typeof http.path === 'string' ? http.path : '/mcp';
  const metricsPath = typeof metrics.path === 'string' ? metrics.path : '/metrics';
  const metricsOn = metrics.enabled !== false && metrics.enabled !== 'false';
  if (metricsOn && metricsPath === mcpPath)
    problems.push({
      path: ['metrics', 'path'],
      message: `${metricsPath} is the MCP endpoint; pick another path`,
    });
  if (webhooks) {
    const redis = isObject(cache.redis) ? cache.redis : {};
    if (webhooks.dedupe === 'redis' && typeof redis.url !== 'string' && !Array.isArray(redis.cluster))
      problems.push({
        path: ['webhooks', 'dedupe'],
        message:
          'dedupe: redis needs cache.redis.url or cache.redis.cluster (the same Redis is used); set it or use memory',
      });
    const seen = new Map<string, number>();
    const endpoints = Array.isArray(webhooks.endpoints) ? webhooks.endpoints : [];
    endpoints.forEach((ep, i) => {
      if (!isObject(ep) || typeof ep.path !== 'string') return;
      const first = seen.get(ep.path);
      if (first !== undefined)
        problems.push({
          path: ['webhooks', 'endpoints', i, 'path'],
          message: `path ${ep.path} is used twice (first by endpoints[${first}])`,
        });
      else seen.set(ep.path, i);
      if (ep.path === mcpPath || (metricsOn && ep.path === metricsPath))
        problems.push({
          path: ['webhooks', 'endpoints', i, 'path'],
          message: `${ep.path} is already the ${ep.path === mcpPath ? 'MCP' : 'metrics'} endpoint; pick another path`,
        });
      if (ep.hmac !== undefined && ep.scheme !== 'hmac')
        problems.push({
          path: ['webhooks', 'endpoints', i, 'hmac'],
          message: `hmac options apply to scheme: hmac only (this endpoint uses ${String(ep.scheme)})`,
        });
    });
  }
  return problems;
}
