import type { Clock, Logger } from '../core/index.js';
import { createHttpClient, type HttpClient, type HttpClientOptions } from '../http/index.js';
import type { UpstreamShape } from './config-shape.js';

/** The HTTP client options for one configured upstream: auth, headers, phase timeouts, resilience. */
export function upstreamClientOptions(
  name: string,
  upstream: UpstreamShape,
  deps: { logger: Logger; clock: Clock },
): HttpClientOptions {
  const headers: Record<string, string> = { ...(upstream.headers ?? {}) };
  const query: Record<string, string> = {};
  const secretHeaders: string[] = [];
  const secretQueryParams: string[] = [];
  const auth = upstream.auth;
  if (auth?.type === 'bearer' && auth.token) headers.authorization = `Bearer ${auth.token}`;
  else if (auth?.type === 'basic')
    headers.authorization = `Basic ${Buffer.from(`${auth.username ?? ''}:${auth.password ?? ''}`).toString('base64')}`;
  else if (auth?.type === 'header' && auth.name) {
    headers[auth.name] = auth.value ?? '';
    secretHeaders.push(auth.name);
  } else if (auth?.type === 'query' && auth.name) {
    query[auth.name] = auth.value ?? '';
    secretQueryParams.push(auth.name);
  }
  const t = upstream.timeouts ?? {};
  const timeouts: NonNullable<HttpClientOptions['timeouts']> = {};
  if (t.connect !== undefined) timeouts.connectMs = t.connect;
  if (t.headers !== undefined) timeouts.headersMs = t.headers;
  if (t.body !== undefined) timeouts.bodyMs = t.body;
  if (t.total !== undefined) timeouts.totalMs = t.total;
  const options: HttpClientOptions & Record<string, unknown> = {
    name,
    baseUrl: upstream.baseUrl,
    headers,
    timeouts,
    secretHeaders,
    secretQueryParams,
    logger: deps.logger,
    clock: deps.clock,
  };
  if (Object.keys(query).length > 0) options.query = query;
  // Resilience settings go to the HTTP client as written; it owns their meaning.
  for (const key of ['retry', 'breaker', 'bulkhead', 'rateLimit'] as const) {
    if (upstream[key] !== undefined) options[key] = upstream[key];
  }
  return options;
}

/** One HTTP client per configured upstream (each has its own pool, breaker and limits). */
export function createUpstreamClients(
  upstreams: Readonly<Record<string, UpstreamShape>>,
  deps: { logger: Logger; clock: Clock },
): Map<string, HttpClient> {
  const clients = new Map<string, HttpClient>();
  for (const [name, upstream] of Object.entries(upstreams)) {
    clients.set(name, createHttpClient(upstreamClientOptions(name, upstream, deps)));
  }
  return clients;
}
