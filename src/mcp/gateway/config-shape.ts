import type { OpenApiToolSet } from '../../config/openapi/index.js';
/**
 * The parts of the gateway config this module reads. `GatewayConfig` from `conduit-mcp/config` (validated,
 * defaulted, durations in ms, sizes in bytes) satisfies it; keeping the shape structural lets tests and
 * the library face build configs by hand.
 */
export type ParamLocation = 'path' | 'query' | 'header' | 'body';

export interface UpstreamAuthShape {
  type: 'bearer' | 'header' | 'basic' | 'query';
  token?: string;
  name?: string;
  value?: string;
  username?: string;
  password?: string;
}

export interface UpstreamShape {
  baseUrl: string;
  auth?: UpstreamAuthShape | undefined;
  headers?: Record<string, string> | undefined;
  timeouts?: { connect?: number; headers?: number; body?: number; total?: number } | undefined;
  retry?: RetryShape | undefined;
  breaker?: BreakerShape | undefined;
  bulkhead?: { maxConcurrent: number; maxQueue?: number | undefined } | undefined;
  rateLimit?: { perSecond: number; burst?: number | undefined } | undefined;
}

export interface RetryShape {
  /** Total attempts, the first included. */
  maxAttempts?: number | undefined;
  baseDelay?: number | undefined;
  maxDelay?: number | undefined;
  multiplier?: number | undefined;
  jitter?: 'full' | 'equal' | 'decorrelated' | 'none' | undefined;
  /** No retry starts after this long (the HTTP client bounds retries by its total timeout). */
  maxElapsed?: number | undefined;
}

export interface BreakerShape {
  failureThreshold?: number | undefined;
  window?:
    | { type: 'count'; size: number; failureRate: number; minimumCalls?: number | undefined }
    | { type: 'time'; size: number; failureRate: number; minimumCalls?: number | undefined }
    | undefined;
  slowCall?: number | undefined;
  recoveryTimeout?: number | undefined;
  halfOpenMaxCalls?: number | undefined;
  /** Share this breaker's transitions with every instance through `cache.redis`. */
  shared?: boolean | undefined;
}

export interface CachePolicyShape {
  /** Fresh time, ms. */
  ttl: number;
  /** Key template, e.g. `assignment:{id}`; default: tool name + the arguments. */
  key?: string | undefined;
  tags?: string[] | undefined;
  staleWhileRevalidate?: number | undefined;
  staleIfError?: number | undefined;
}

/** `ToolWireConfig` from `conduit-mcp/config`: the `params` object forms, and OpenAPI's wire hints. */
export interface WireShape {
  /** The property whose value is the whole JSON request body (not wrapped in an object). */
  bodyArgument?: string | undefined;
  /** Query arrays sent as one comma-separated value: `ids=1,2,3`. */
  commaSeparatedQuery?: readonly string[] | undefined;
  /** Path, query or header properties sent as JSON text. */
  jsonEncoded?: readonly string[] | undefined;
}

export interface ToolShape {
  name: string;
  title?: string | undefined;
  description?: string | undefined;
  upstream: string;
  method: string;
  path: string;
  input?: Record<string, unknown> | undefined;
  params?: Record<string, ParamLocation> | undefined;
  /** How some arguments are written beyond their location (whole body, comma-separated, JSON text). */
  wire?: WireShape | undefined;
  output?: Record<string, unknown> | undefined;
  cache?: CachePolicyShape | undefined;
  invalidates?: { tags?: string[] | undefined; keys?: string[] | undefined } | undefined;
  /** Whole-call budget for this tool, ms. */
  timeout?: number | undefined;
  /** Forward arguments the input does not list. Default false: they are refused with a tool error. */
  allowUnlistedArguments?: boolean | undefined;
}

export interface HttpServerShape {
  host?: string | undefined;
  port?: number | undefined;
  path?: string | undefined;
  allowedOrigins?: string[] | undefined;
  allowedHosts?: string[] | undefined;
  authTokens?: string[] | undefined;
  maxBodyBytes?: number | undefined;
  stateless?: boolean | undefined;
  maxSessions?: number | undefined;
  /** ms. */
  sessionIdleTimeout?: number | undefined;
  maxBatchSize?: number | undefined;
  maxConnections?: number | undefined;
  /** ms. */
  headersTimeout?: number | undefined;
  /** ms. */
  requestTimeout?: number | undefined;
}

/** The stdio side listener serving webhooks and `/metrics`. */
export interface ListenerShape {
  host?: string | undefined;
  port: number;
  maxConnections?: number | undefined;
  /** ms. */
  headersTimeout?: number | undefined;
  /** ms. */
  requestTimeout?: number | undefined;
}

export interface GatewayConfigShape {
  server?:
    | {
        name?: string | undefined;
        version?: string | undefined;
        http?: HttpServerShape | undefined;
        /** Stdio mode: the side listener serving webhooks and `/metrics`. */
        listener?: ListenerShape | undefined;
        shutdownTimeout?: number | undefined;
      }
    | undefined;
  cache?:
    | {
        prefix?: string | undefined;
        l1?: { maxEntries?: number; maxBytes?: number; ttl?: number } | undefined;
        /** One Redis (`url`) or a Redis Cluster (`cluster`: seed URLs); exactly one is set. */
        redis?: { url?: string | undefined; cluster?: string[] | undefined } | undefined;
      }
    | undefined;
  upstreams: Record<string, UpstreamShape>;
  tools: ToolShape[];
  /** OpenAPI upstreams' tool sets, from `loadConfig` (compact mode serves their catalogs). */
  openapiSets?: Record<string, OpenApiToolSet> | undefined;
  webhooks?: WebhooksShape | undefined;
  metrics?: MetricsShape | undefined;
}

export interface MetricsShape {
  /** Default true. */
  enabled?: boolean | undefined;
  /** Default `/metrics`. */
  path?: string | undefined;
  defaultMetrics?: boolean | undefined;
  /** Bearer token scrapers must send; none = the client tokens when set, else no scraper auth. */
  token?: string | undefined;
  /** Serve `/metrics` without a token even when client tokens are set. */
  public?: boolean | undefined;
}

export interface WebhookActionShape {
  invalidate?:
    | { keys?: string[] | undefined; tags?: string[] | undefined; patterns?: string[] | undefined }
    | undefined;
  notify?: string[] | undefined;
}

export interface WebhookEndpointShape {
  path: string;
  name?: string | undefined;
  scheme: 'standard' | 'svix' | 'github' | 'stripe' | 'hmac';
  secrets: string[];
  /** ms. */
  tolerance?: number | undefined;
  idField?: string | undefined;
  typeField?: string | undefined;
  hmac?:
    | {
        header?: string | undefined;
        prefix?: string | undefined;
        encoding?: 'hex' | 'base64' | undefined;
        timestampHeader?: string | undefined;
        idHeader?: string | undefined;
      }
    | undefined;
  maxBodyBytes?: number | undefined;
  /** ms. */
  deadline?: number | undefined;
  events: Record<string, WebhookActionShape>;
}

export interface WebhooksShape {
  /** Default: redis when `cache.redis.url` is set, else memory. */
  dedupe?: 'memory' | 'redis' | undefined;
  dedupeTtl?: number | undefined;
  endpoints: WebhookEndpointShape[];
}
