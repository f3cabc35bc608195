import { z } from 'zod';
import type { OpenApiToolSet } from './openapi/openapi-tools.js';
import { CONDUIT_VERSION } from './package-version.js';
import { openapiSourceSchema } from './openapi/source-schema.js';
import { toolFeatureShape } from './tool-features-schema.js';
import { listenerLimitFields, listenerSchema, metricsSchema, webhooksSchema } from './events-schema.js';
import { strictObject } from './strict-object.js';
import { telemetrySchema } from './telemetry-schema.js';
import { healthSchema } from './health-schema.js';
import { headerName, headerRecord, headerValue, UNSENDABLE_HEADERS } from './http-headers.js';
import {
  auditSchema,
  fixedPrincipalSchema,
  limitSchema,
  policySchema,
  resourceServerSchema,
  staticTokenSchema,
} from './identity-schema.js';
import { boundedSize, count, duration, flag, MAX_CACHE_TTL_MS, ratio, size } from './units.js';
import { baseUrlMessage } from './base-url-message.js';
import { trustProxySchema } from './trust-proxy-schema.js';

const nonEmpty = (what: string) =>
  z.string({ error: `expected ${what}` }).min(1, { error: `expected ${what}` });

/** MCP tool names: letters, digits, `_`, `.`, `-`; 1 to 128 characters. */
export const TOOL_NAME_PATTERN = /^[A-Za-z0-9_.-]{1,128}$/;
const UPSTREAM_NAME_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;

export const paramLocationSchema = z.enum(['path', 'query', 'header', 'body'], {
  error: 'expected one of path, query, header, body',
});

/**
 * The object form of a `params` entry: where a property goes and how it is written there (the forms
 * OpenAPI documents ask for; `conduit init` writes them).
 */
export const paramSpecSchema = strictObject({
  in: paramLocationSchema,
  /** Query arrays: `false` sends one comma-separated value, `ids=1,2,3` (OpenAPI form, explode: false). */
  explode: flag().optional(),
  /** Path, query, header: the value is sent as JSON text (OpenAPI `content: application/json`). */
  json: flag().optional(),
  /** Body: the value is the whole JSON request body (an array, a string, …), not one field of it. */
  whole: flag().optional(),
});

/** How some arguments are written on the wire, beyond their location (from `params` object forms). */
export interface ToolWireConfig {
  /** The property whose value is the whole JSON request body. */
  bodyArgument?: string | undefined;
  /** Query arrays sent as one comma-separated value. */
  commaSeparatedQuery: string[];
  /** Path, query or header properties sent as JSON text. */
  jsonEncoded: string[];
  /**
   * The body's encoding when it is not JSON: `form` is `application/x-www-form-urlencoded` (bracket
   * notation), `multipart` is `multipart/form-data` (one part per field; see `fileParts`).
   */
  bodyEncoding?: 'form' | 'multipart' | undefined;
  /**
   * Multipart: the body fields that are files, each an argument `{ content (base64), filename?,
   * contentType? }` (or a list of them), with the part's content type when the argument gives none.
   */
  fileParts?: Record<string, string> | undefined;
  /**
   * The document requires a body whose fields are all optional: `{}` (an empty form) goes out when no
   * body argument is given. Set for tools an `openapi` section serves (no `params` form writes it).
   */
  bodyRequired?: boolean | undefined;
  /** Multipart: object fields sent as bracket-notation text parts (`encoding` style `deepObject`), not JSON. */
  bracketParts?: string[] | undefined;
  /** Query objects sent in `deepObject` style: `filter[status]=open`. */
  deepObjectQuery?: string[] | undefined;
}

// --- server -------------------------------------------------------------------------------------

const httpServerSchema = strictObject({
  host: nonEmpty('a host name or IP address').default('127.0.0.1'),
  port: count({ max: 65535 }).default(3000),
  path: z.string().regex(/^\//, { error: 'expected a path starting with "/"' }).default('/mcp'),
  /**
   * Browser origins allowed to call besides loopback pages; empty = none (requests without Origin
   * pass). A full origin (`https://app.example.com:8443`) is compared by scheme, host and port.
   */
  allowedOrigins: z.array(z.string()).default([]),
  /** Host header values accepted besides the loopback names; guards against DNS rebinding. */
  allowedHosts: z.array(z.string()).default([]),
  /**
   * Bearer tokens clients must send; empty = no client auth. An entry may name the principal the
   * token stands for (`{ token, sub, scopes, claims }`) for policy and `{auth.…}` templates.
   */
  authTokens: z.array(staticTokenSchema).default([]),
  /** OAuth 2.1 access tokens (the MCP authorization spec): docs/auth.md. */
  auth: resourceServerSchema.optional(),
  maxBodyBytes: size().default(1024 * 1024),
  /** No sessions: every request stands alone (several instances behind a load balancer). */
  stateless: flag().default(false),
  /** 2025-era sessions open at once; more initializes are answered 503. */
  maxSessions: count({ min: 1 }).default(1000),
  /**
   * 2025-era sessions one caller may hold at once (within `maxSessions`); more of its initializes are
   * answered 429. A caller is a token's subject; callers without a credential are told apart by their
   * client address (an IPv4 address, an IPv6 /64; see `trustProxy`), each of which may hold this many.
   */
  maxSessionsPerPrincipal: count({ min: 1 }).default(100),
  /**
   * Reverse proxies in front of the gateway, as addresses and CIDR blocks (`127.0.0.1`, `10.0.0.0/8`):
   * a request from one of them is counted as from the rightmost `X-Forwarded-For` hop that is none of
   * them. Empty: the header is ignored and the socket's peer is the client.
   */
  trustProxy: trustProxySchema,
  /** A 2025-era session unused this long is closed (the client must initialize again); an open GET stream is use. */
  sessionIdleTimeout: duration().default(30 * 60_000),
  /** Messages in one JSON-RPC batch; a larger batch is refused whole, before any is run. */
  maxBatchSize: count({ min: 1 }).default(10),
  ...listenerLimitFields,
});

// biome-ignore lint/suspicious/noTemplateCurlyInString: the message shows the ${} syntax
const STATE_KEY_HINT = 'use ${CONDUIT_STATE_KEY}, e.g. from `openssl rand -base64 48`';

const serverSchema = strictObject({
  name: nonEmpty('a server name').default('conduit'),
  version: nonEmpty('a version string').default(CONDUIT_VERSION),
  http: httpServerSchema.prefault({}),
  /** Stdio mode: a side HTTP listener serving webhooks and `/metrics`. */
  listener: listenerSchema.optional(),
  /** How long shutdown waits for in-flight calls. */
  shutdownTimeout: duration().default(10_000),
  /** `/healthz` and `/readyz` for orchestrators' probes (docs/operations.md). */
  health: healthSchema.prefault({}),
  /**
   * Who calls without a transport identity (stdio, in-process) run as. Absent: the operator, whom
   * policy does not restrict; set, a fixed principal that policy and templates treat like any other.
   */
  operator: fixedPrincipalSchema.optional(),
  /**
   * A secret (from `\${ENV}`) that signs pagination cursors and confirmation questions. Absent, each
   * process draws its own key, so a cursor is good only on the instance that issued it; instances
   * behind one load balancer that share this key accept each other's.
   */
  stateKey: z
    .string({ error: `expected a secret string (${STATE_KEY_HINT})` })
    .min(32, { error: `expected a secret of at least 32 characters (${STATE_KEY_HINT})` })
    .optional(),
  /**
   * What `tools/list` says beyond what a client needs (docs/gateway.md, "Tool listing"). `compact`:
   * annotations only where they differ from the MCP defaults, input schemas without the top-level
   * `additionalProperties: false` (unlisted arguments are refused either way). `explicit`: the three
   * hints ChatGPT Apps require on every tool, and the closed marker.
   */
  toolListing: z.enum(['compact', 'explicit'], { error: 'expected compact or explicit' }).default('compact'),
  /** Hot reload (SIGHUP always reloads): also watch the config file (docs/operations.md, "Reload"). */
  reload: strictObject({
    /** Reload when the config file changes. */
    watch: z.boolean().default(false),
    /** Quiet time after the last change to the file before reloading. */
    debounce: duration().default(300),
  }).prefault({}),
});

const loggingSchema = strictObject({
  level: z
    .enum(['trace', 'debug', 'info', 'warn', 'error', 'silent'], {
      error: 'expected one of trace, debug, info, warn, error, silent',
    })
    .default('info'),
  /**
   * Repeated identical warnings and errors (same message, event, code, upstream, route, …) are
   * written once in full, then as one count per this interval. 0 writes every line.
   */
  summaryInterval: duration().default(10_000),
});

// --- cache --------------------------------------------------------------------------------------

const cacheSchema = strictObject({
  prefix: nonEmpty('a key prefix').default('conduit'),
  l1: strictObject({
    maxEntries: count({ min: 1 }).default(10_000),
    maxBytes: size().default(64 * 1024 * 1024),
    /** Longest time an entry stays in memory, whatever the tool's TTL. */
    ttl: duration().default(300_000),
  }).prefault({}),
  /** Absent: memory only. */
  redis: strictObject({
    /** One Redis server (or a Sentinel-less primary). */
    url: z
      .string()
      .regex(/^rediss?:\/\//, { error: 'expected a redis:// or rediss:// URL' })
      .optional(),
    /** Or a Redis Cluster: seed URLs of a few masters (the client discovers the rest). */
    cluster: z
      .array(z.string().regex(/^rediss?:\/\//, { error: 'expected a redis:// or rediss:// URL' }), {
        error: 'expected a list of redis:// seed URLs',
      })
      .min(1, { error: 'expected at least one redis:// seed URL' })
      .optional(),
  }).optional(),
});

// --- upstreams ----------------------------------------------------------------------------------

/** Where and how the gateway gets upstream tokens: `oauth2` (client credentials) and `token-exchange`. */
const tokenEndpointFields = {
  /** The token endpoint: https (plain http only to a loopback address). */
  tokenUrl: z.url({
    protocol: /^https?$/,
    error: 'expected the token endpoint URL, e.g. "https://idp.example.com/oauth/token"',
  }),
  /** The authorization server's issuer identifier: the audience of a `private_key_jwt` assertion. */
  issuer: nonEmpty('an issuer URL').optional(),
  clientId: nonEmpty('a client id'),
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the message shows the ${} syntax
  clientSecret: nonEmpty('a client secret (use ${ENV_VAR})').optional(),
  /** PKCS#8 PEM of the key that signs `private_key_jwt` assertions (use `${ENV_VAR}`). */
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the message shows the ${} syntax
  privateKey: nonEmpty('a PKCS#8 PEM private key (use ${ENV_VAR})').optional(),
  /** The `kid` the identity provider knows the key by. */
  privateKeyId: nonEmpty('a key id').optional(),
  privateKeyAlg: z
    .enum(['RS256', 'PS256', 'ES256', 'ES384', 'EdDSA'], {
      error: 'expected one of RS256, PS256, ES256, ES384, EdDSA',
    })
    .optional(),
  /** Default: `private_key_jwt` with a `privateKey`, else `client_secret_basic`. */
  clientAuth: z
    .enum(['client_secret_basic', 'client_secret_post', 'private_key_jwt'], {
      error: 'expected one of client_secret_basic, client_secret_post, private_key_jwt',
    })
    .optional(),
  scopes: z.array(nonEmpty('a scope')).default([]),
  /** The `audience` parameter some identity providers name the API by. */
  audience: nonEmpty('an audience').optional(),
  /** RFC 8707 resource indicator: the upstream API the token is for. */
  resource: z.url({ error: 'expected the resource URI of the upstream API' }).optional(),
  /** Fetch the next token this long before the current one expires (at most half its lifetime). */
  refreshBefore: duration().default(60_000),
  /** Budget of one token request, retries included. */
  timeout: duration().default(10_000),
};

const authSchema = z.discriminatedUnion(
  'type',
  [
    strictObject({
      type: z.literal('bearer'),
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the message shows the ${} syntax
      token: headerValue('the token', nonEmpty('a token (use ${ENV_VAR})')),
    }),
    strictObject({ type: z.literal('header'), name: headerName, value: headerValue('the header') }),
    strictObject({ type: z.literal('basic'), username: z.string(), password: z.string() }),
    strictObject({ type: z.literal('query'), name: nonEmpty('a query parameter name'), value: z.string() }),
    strictObject({
      type: z.literal('oauth2'),
      grant: z
        .literal('client_credentials', { error: 'expected grant: client_credentials' })
        .default('client_credentials'),
      ...tokenEndpointFields,
    }),
    strictObject({
      type: z.literal('token-exchange'),
      ...tokenEndpointFields,
      /** RFC 8693 `requested_token_type`; default: the identity provider's choice (an access token). */
      requestedTokenType: nonEmpty('a token type URI').optional(),
    }),
    strictObject({ type: z.literal('forward') }),
  ],
  { error: 'expected auth.type to be one of bearer, header, basic, query, oauth2, token-exchange, forward' },
);

const pem = (what: string) =>
  z.string().regex(/-----BEGIN [A-Z0-9 ]+-----/, {
    error: `expected ${what} as PEM text ("-----BEGIN ...", typically \${ENV_VAR})`,
  });

/** PEM values (typically `${ENV}`), or files read at start-up (`caFile`, …); not both for one item. */
const upstreamTlsSchema = strictObject({
  /** CA certificates to trust for this upstream, instead of the system roots. */
  ca: pem('CA certificates').optional(),
  caFile: nonEmpty('a path to a PEM file').optional(),
  /** Client certificate (chain) for mutual TLS. */
  cert: pem('a client certificate').optional(),
  certFile: nonEmpty('a path to a PEM file').optional(),
  /** The client certificate's private key: a secret. */
  key: pem('a private key').optional(),
  keyFile: nonEmpty('a path to a PEM file').optional(),
  /** The name the upstream's certificate must carry, when it differs from the baseUrl host. */
  servername: nonEmpty('a host name').optional(),
});

const timeoutsSchema = strictObject({
  connect: duration().optional(),
  headers: duration().optional(),
  body: duration().optional(),
  total: duration().optional(),
});

const retrySchema = strictObject({
  /** Total attempts, the first included. */
  maxAttempts: count({ min: 1, max: 100 }).default(3),
  baseDelay: duration().default(100),
  maxDelay: duration().default(30_000),
  multiplier: ratio(1, 100).default(2),
  jitter: z
    .enum(['full', 'equal', 'decorrelated', 'none'], {
      error: 'expected one of full, equal, decorrelated, none',
    })
    .default('full'),
  // No `maxElapsed`: the HTTP client stops retrying at the call's total deadline (`timeouts.total`
  // or the tool's `timeout`), so a separate limit would be ignored.
});

const windowSchema = z.discriminatedUnion(
  'type',
  [
    strictObject({
      type: z.literal('count'),
      /** The last N calls. */
      size: count({ min: 1 }),
      /** Opens at failures / calls >= this (0..1). */
      failureRate: ratio(0, 1),
      minimumCalls: count({ min: 1 }).optional(),
    }),
    strictObject({
      type: z.literal('time'),
      /** The last duration of calls. */
      size: duration(),
      failureRate: ratio(0, 1),
      minimumCalls: count({ min: 1 }).optional(),
    }),
  ],
  { error: 'expected window.type to be count or time' },
);

const breakerSchema = strictObject({
  /** Open after this many failures in a row (default 5 when no `window` is given). */
  failureThreshold: count({ min: 1 }).optional(),
  /** Or: open on a failure rate over a window of calls or time. */
  window: windowSchema.optional(),
  /** A call slower than this counts as a failure. */
  slowCall: duration().optional(),
  /** Time open before a probe call is let through (the old name `recoveryTimeout` is still read). */
  recovery: duration().default(30_000),
  /** Probe calls at once while half-open (the old name `halfOpenMaxCalls` is still read). */
  halfOpenMaxConcurrent: count({ min: 1 }).default(1),
  /** Share transitions with every instance through `cache.redis` (one instance's open protects all). */
  shared: flag().default(false),
  /** A 2xx whose body is not the JSON the tool expected (declared JSON, or an `output` schema) is a failure. */
  countInvalidJson: flag().default(true),
  /**
   * `route`: one breaker per method + path template, so one failing route (or one client's bad input
   * on it) cannot open the breaker for the upstream's other tools; `upstream`: one for all.
   */
  scope: z
    .enum(['route', 'upstream'], { error: 'expected route (one breaker per route) or upstream' })
    .default('route'),
});

const bulkheadSchema = strictObject({
  maxConcurrent: count({ min: 1 }),
  maxQueue: count().default(0),
});

/** Calls in flight to an upstream, queued per tool so that one tool cannot take the others' slots. */
const inFlightSchema = strictObject({
  /** Calls at once, all tools together (the HTTP client keeps 64 connections per upstream). */
  max: count({ min: 1 }).default(64),
  /** Calls of one tool at once. Default: half of `max`. */
  perTool: count({ min: 1 }).optional(),
  /** Calls of one tool waiting for a slot; more are refused at once with a tool error. */
  queuePerTool: count().default(256),
});

const rateLimitSchema = strictObject({
  perSecond: ratio(0.001, 1_000_000),
  burst: count({ min: 1 }).optional(),
});

/** The largest `upstreams.<name>.maxResponseBytes`: answers are buffered whole, one per call in flight. */
export const MAX_UPSTREAM_RESPONSE_BYTES = 256 * 1024 * 1024;

export const upstreamSchema = strictObject(
  {
    baseUrl: z.url({
      protocol: /^https?$/,
      error: (issue) => baseUrlMessage(issue.input),
    }),
    auth: authSchema.optional(),
    headers: headerRecord(UNSENDABLE_HEADERS, 'the HTTP client for each request').default({}),
    timeouts: timeoutsSchema.optional(),
    retry: retrySchema.optional(),
    breaker: breakerSchema.optional(),
    bulkhead: bulkheadSchema.optional(),
    inFlight: inFlightSchema.prefault({}),
    rateLimit: rateLimitSchema.optional(),
    /**
     * Deepest nesting of objects and arrays this upstream's JSON answers may have; a deeper answer
     * fails the call with `RESPONSE_TOO_DEEP` (default 256).
     */
    maxResponseDepth: count({ min: 1, max: 1000 }).optional(),
    /**
     * Largest body this upstream's answers may have, in bytes or a size (`16MiB`); a larger answer
     * fails the call with `RESPONSE_TOO_LARGE` (default 4 MiB). Each call holds its answer in memory,
     * so the bound stays well below what a process can hold: at most 256 MiB.
     */
    maxResponseBytes: boundedSize(1, MAX_UPSTREAM_RESPONSE_BYTES).optional(),
    /** TLS to this upstream: a custom CA and a client certificate for mutual TLS (docs/auth.md). */
    tls: upstreamTlsSchema.optional(),
    /** Tools from an OpenAPI document (see docs/openapi.md); expanded by `loadConfig`. */
    openapi: openapiSourceSchema.optional(),
  },
  {},
);

// --- tools --------------------------------------------------------------------------------------

/** A JSON Schema object; its own keywords are open, only the parts Conduit reads are checked. */
const objectJsonSchema = z.looseObject({
  type: z
    .literal('object', { error: 'expected type: object (tool input and output are JSON objects)' })
    .optional(),
  properties: z
    .record(z.string(), z.looseObject({}), { error: 'expected properties to map names to schemas' })
    .optional(),
  required: z.array(z.string()).optional(),
});

/**
 * A tool's output JSON Schema: any root (an object, or a list such as `type: array`); for 2025-era
 * clients the SDK publishes a non-object root wrapped as `{ result }`, as it wraps the answer.
 */
const outputJsonSchema = z.looseObject({
  type: z.union([z.string(), z.array(z.string())]).optional(),
});

export const cachePolicySchema = strictObject({
  /** How long an answer is fresh. */
  ttl: duration({ max: MAX_CACHE_TTL_MS }),
  /** Key template, e.g. `assignment:{id}`; default: the tool name and its arguments. */
  key: nonEmpty('a key template').optional(),
  tags: z.array(nonEmpty('a tag')).default([]),
  /** After ttl, serve the old answer while refreshing in the background, this long. */
  staleWhileRevalidate: duration({ max: MAX_CACHE_TTL_MS }).optional(),
  /** After ttl, serve the old answer when the upstream fails, this long. */
  staleIfError: duration({ max: MAX_CACHE_TTL_MS }).optional(),
  /**
   * Whose a cached answer is. Default: `private` (keyed per caller, never served to another) when the
   * request carries a per-caller credential (token-exchange, forward) or reads `{auth.*}`, else
   * `shared`. Declare `shared` only when the upstream answer does not depend on who asks.
   */
  scope: z.enum(['private', 'shared'], { error: 'expected private or shared' }).optional(),
});

const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD'] as const;
export type HttpMethodName = (typeof HTTP_METHODS)[number];

const toolBaseSchema = strictObject({
  name: z.string().regex(TOOL_NAME_PATTERN, {
    error: 'expected a tool name of 1 to 128 letters, digits, "_", "." or "-"',
  }),
  title: z.string().optional(),
  description: z.string().optional(),
  upstream: nonEmpty('the name of a configured upstream'),
  method: z
    .string()
    .regex(/^(get|post|put|patch|delete|head)$/i, { error: `expected one of ${HTTP_METHODS.join(', ')}` })
    .transform((m) => m.toUpperCase() as HttpMethodName)
    .default('GET'),
  path: z.string().regex(/^\//, { error: 'expected a path starting with "/", e.g. /items/{id}' }),
  input: objectJsonSchema.optional(),
  params: z
    .record(
      z.string(),
      z.union([paramLocationSchema, paramSpecSchema], {
        error: 'expected path, query, header or body, or { in: <one of them>, explode?, json?, whole? }',
      }),
    )
    .default({}),
  output: outputJsonSchema.optional(),
  cache: cachePolicySchema.optional(),
  invalidates: strictObject({
    tags: z.array(nonEmpty('a tag template')).default([]),
    keys: z.array(nonEmpty('a key template')).default([]),
  }).optional(),
  /** Whole-call budget for this tool. */
  timeout: duration().optional(),
  /**
   * Forward arguments the input does not list (to the query or body, like listed ones). Default false:
   * an unlisted argument is refused with a tool error, and `additionalProperties` must not open the input.
   */
  allowUnlistedArguments: flag().default(false),
  ...toolFeatureShape,
});

/** `{name}` holes of a path or key template. */
export function templateNames(template: string): string[] {
  return [...template.matchAll(/\{([^{}]+)\}/g)].map((m) => m[1]!);
}

/**
 * Where a property goes when `params` does not say: path if in the template, else the query for methods
 * without a conventional body (GET, HEAD, DELETE, OPTIONS: as the gateway's request mapping does) or the body.
 */
export function defaultLocation(property: string, method: string, path: string) {
  if (templateNames(path).includes(property)) return 'path' as const;
  return /^(GET|HEAD|DELETE|OPTIONS)$/i.test(method) ? ('query' as const) : ('body' as const);
}

export const toolSchema = toolBaseSchema.transform((tool) => {
  const input = {
    ...(tool.input ?? {}),
    type: 'object' as const,
    properties: tool.input?.properties ?? {},
    // Strict unless the tool opts out: what the client sees in tools/list is what the gateway enforces.
    ...(tool.allowUnlistedArguments ? {} : { additionalProperties: false }),
  };
  const params: Record<string, z.infer<typeof paramLocationSchema>> = {};
  const wire: ToolWireConfig = { commaSeparatedQuery: [], jsonEncoded: [] };
  // A fixed parameter need not be an input property: it is sent, but never shown to the model.
  for (const property of new Set([...Object.keys(input.properties), ...Object.keys(tool.fixed ?? {})])) {
    const given = tool.params[property];
    const spec = typeof given === 'string' ? { in: given } : given;
    params[property] = spec?.in ?? defaultLocation(property, tool.method, tool.path);
    if (spec === undefined || typeof given === 'string') continue;
    if (given?.whole === true) wire.bodyArgument = property;
    if (given?.explode === false) wire.commaSeparatedQuery.push(property);
    if (given?.json === true) wire.jsonEncoded.push(property);
  }
  const special =
    wire.bodyArgument !== undefined || wire.commaSeparatedQuery.length > 0 || wire.jsonEncoded.length > 0;
  return { ...tool, input, params, ...(special ? { wire } : {}) };
});

// --- resources ----------------------------------------------------------------------------------

const resourceTemplateSchema = strictObject({
  /** RFC 6570 URI template, e.g. `assignments://{id}`; each variable becomes an argument of `tool`. */
  uriTemplate: z.string().regex(/^[A-Za-z][A-Za-z0-9+.-]*:.*\{[A-Za-z0-9_]+\}/, {
    error: 'expected a URI template with a scheme and at least one {variable}, e.g. "assignments://{id}"',
  }),
  name: nonEmpty('a resource name'),
  title: z.string().optional(),
  description: z.string().optional(),
  /** The configured tool that answers a read (or give `upstream` and `operation`). */
  tool: z.string().regex(TOOL_NAME_PATTERN, { error: 'expected the name of a configured tool' }).optional(),
  /** With `operation`: an upstream with an `openapi` section (compact or tools mode). */
  upstream: nonEmpty('the name of an upstream with an openapi section').optional(),
  /** With `upstream`: the operationId that answers a read. */
  operation: nonEmpty('an operationId of the upstream').optional(),
  mimeType: nonEmpty('a MIME type').default('application/json'),
});

const resourcesSchema = strictObject({
  /** Serve `conduit://health`. */
  health: flag().default(true),
  /** Serve the `recent_changes` tool. */
  recentChanges: flag().default(true),
  templates: z.array(resourceTemplateSchema).default([]),
});

// --- root ---------------------------------------------------------------------------------------

export const gatewayConfigSchema = strictObject(
  {
    $schema: z.string().optional(),
    server: serverSchema.prefault({}),
    logging: loggingSchema.prefault({}),
    cache: cacheSchema.prefault({}),
    upstreams: z
      .record(
        z.string().regex(UPSTREAM_NAME_PATTERN, {
          error: 'expected an upstream name of letters, digits, "_", "." or "-"',
        }),
        upstreamSchema,
      )
      .default({}),
    tools: z.array(toolSchema).default([]),
    /** Signed upstream webhooks: cache invalidation and resource change notifications. */
    webhooks: webhooksSchema.optional(),
    /** Prometheus metrics at `metrics.path`. */
    metrics: metricsSchema.prefault({}),
    /** MCP resources: `conduit://health`, tool-backed URI templates, `recent_changes` (docs/resources.md). */
    resources: resourcesSchema.optional(),
    /** Which callers may see and call which tools (docs/auth.md). */
    policy: policySchema.optional(),
    /** One JSON line per tool call to its own destination (docs/auth.md, "Audit"). */
    audit: auditSchema.optional(),
    /** Quotas per caller and tool: calls per minute and at once (docs/auth.md, "Quotas"). */
    limits: z.array(limitSchema).default([]),
    /** OpenTelemetry traces exported over OTLP/HTTP (docs/operations.md, "Traces"). */
    telemetry: telemetrySchema.optional(),
  },
  {},
);

/**
 * A validated config with every default filled in: durations in ms, sizes in bytes. `loadConfig` also
 * expands upstreams' `openapi` sections: their tools are appended to `tools`, and `openapiSets` keeps
 * each upstream's operation catalog (compact mode serves it through two tools).
 */
export type GatewayConfig = z.output<typeof gatewayConfigSchema> & {
  openapiSets?: Record<string, OpenApiToolSet>;
};
/** The config as a user writes it (before defaults and unit parsing). */
export type GatewayConfigInput = z.input<typeof gatewayConfigSchema>;
export type ServerConfig = GatewayConfig['server'];
export type HttpServerConfig = ServerConfig['http'];
export type LoggingConfig = GatewayConfig['logging'];
export type CacheConfig = GatewayConfig['cache'];
export type UpstreamConfig = z.output<typeof upstreamSchema>;
export type UpstreamAuthConfig = NonNullable<UpstreamConfig['auth']>;
export type TimeoutsConfig = NonNullable<UpstreamConfig['timeouts']>;
export type RetryConfig = NonNullable<UpstreamConfig['retry']>;
export type BreakerConfig = NonNullable<UpstreamConfig['breaker']>;
export type BulkheadConfig = NonNullable<UpstreamConfig['bulkhead']>;
export type RateLimitConfig = NonNullable<UpstreamConfig['rateLimit']>;
export type ToolConfig = z.output<typeof toolSchema>;
export type CachePolicyConfig = z.output<typeof cachePolicySchema>;
export type InvalidatesConfig = NonNullable<ToolConfig['invalidates']>;
export type ParamLocation = z.output<typeof paramLocationSchema>;
export type WebhooksConfig = NonNullable<GatewayConfig['webhooks']>;
export type WebhookEndpointConfig = WebhooksConfig['endpoints'][number];
export type MetricsConfig = GatewayConfig['metrics'];
export type TelemetryConfig = NonNullable<GatewayConfig['telemetry']>;
export type ListenerConfig = NonNullable<ServerConfig['listener']>;
/** `server.health`: the probe endpoints. */
export type HealthConfig = ServerConfig['health'];
export type OperatorConfig = NonNullable<ServerConfig['operator']>;
export type StaticTokenConfig = HttpServerConfig['authTokens'][number];
export type ResourceServerConfig = NonNullable<HttpServerConfig['auth']>;
export type PolicySectionConfig = NonNullable<GatewayConfig['policy']>;
export type AuditSectionConfig = NonNullable<GatewayConfig['audit']>;
export type LimitConfig = GatewayConfig['limits'][number];
export type ResourcesConfig = NonNullable<GatewayConfig['resources']>;
export type ResourceTemplateConfig = ResourcesConfig['templates'][number];
export type WebhookActionConfig = WebhookEndpointConfig['events'][string];
