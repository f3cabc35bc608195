import { errorCodeOf } from './checks.js';

/**
 * Every stable `code` a Conduit error carries, with what it means. Match on these (they survive
 * releases), never on messages (which may be reworded). The keys are the codes; the values say which
 * module raises the code and when. A code missing here does not compile, so this list is complete.
 */
export const CONDUIT_ERROR_CODES = {
  // core
  INVALID_CONFIG:
    'core: an option, argument or config value is invalid; the message says which and how to fix it',
  ABORTED: 'core: an AbortSignal stopped the operation before it completed',
  MISSING_DEPENDENCY: 'core: an optional package a configured feature needs is not installed',
  PRINCIPAL_VALUE_MISSING:
    "core: a template reads a value of the caller's principal ({auth.claims.tenant}) that it does not carry (hole)",
  // resilience
  CIRCUIT_OPEN:
    'resilience: the circuit breaker rejected the call without running it (retryAfterMs says when)',
  TIMEOUT: 'resilience: an operation ran past its time limit (phase says which limit)',
  BULKHEAD_REJECTED: 'resilience: every execution and queue slot of the bulkhead was taken',
  RETRY_BUDGET_EXHAUSTED: 'resilience: a retry was needed but the retry budget had no tokens left',
  RATE_LIMIT_EXCEEDED: 'resilience: the token bucket would have waited longer than maxWaitMs for a token',
  // http
  HTTP_STATUS: 'http: the upstream answered an error status (status, bodyExcerpt)',
  UPSTREAM_RATE_LIMITED:
    'http: the upstream answered 429 and the retries gave up (an HttpStatusError, retryAfterMs)',
  RATE_LIMITED: "http: the client's own rate limit for the upstream had no token in time (retryAfterMs)",
  NETWORK_ERROR: 'http: the request failed below HTTP: refused, reset, DNS, TLS (causeCode)',
  RESPONSE_TOO_LARGE: 'http: the response body exceeded maxResponseBytes',
  RESPONSE_TOO_DEEP: 'http: the response JSON nests deeper than maxResponseDepth levels (limit)',
  RESPONSE_VALIDATION: 'http: the response body did not match the expected schema (issues)',
  RESPONSE_INVALID_JSON: 'http: the response was expected to be JSON but did not parse',
  REQUEST_VALIDATION: 'http: a request input failed its schema; nothing was sent (issues)',
  INVALID_PATH: 'http: a path or path parameter would leave its segment (.., /, lone surrogates)',
  HTTP_CLIENT_CLOSED: 'http: a request was made after the client’s close(); create a new client',
  PAGINATION_LIMIT: 'http: paginate() reached its page or item limit',
  PAGINATION_LOOP: 'http: paginate() was sent to a page it had already read',
  // cache
  CACHE_CLOSED: 'cache: a call was made after close()',
  CACHE_VALUE_INVALID: 'cache: a value cannot be stored (not JSON-serializable)',
  CACHE_FACTORY_TIMEOUT:
    'cache: getOrSet’s factory did not settle within timeoutMs and nothing stale could be served',
  CACHE_INVALIDATION_INCOMPLETE: 'cache: a strict invalidation reached this instance only (Redis failed)',
  // webhooks
  WEBHOOK_VERIFICATION_FAILED:
    'webhooks: the signature, timestamp or id of a delivery did not verify (reason)',
  WEBHOOK_HANDLER_TIMEOUT: 'webhooks: the actions of a delivery ran past the endpoint deadline',
  WEBHOOK_DEDUPE_UNAVAILABLE: 'webhooks: the de-duplication store could not be reached',
  WEBHOOK_TEMPLATE_FIELD: 'webhooks: an action template names a field the event does not have',
  // credentials
  UPSTREAM_CREDENTIAL_UNAVAILABLE:
    "credentials: the upstream's token endpoint could not issue a token and none still valid was held (status, oauthError)",
  CALLER_CREDENTIAL_MISSING:
    "credentials: the upstream needs the caller's verified access token (token-exchange, forward) and the call has none",
  // auth
  TOKEN_INVALID:
    'auth: an access token did not verify (reason: expired, audience, issuer, signature, …); answered 401',
  AUTH_SERVER_UNAVAILABLE:
    'auth: the authorization server (JWKS, introspection) could not be reached for a token not verified before; answered 503',
  POLICY_DENIED:
    'auth: the policy section does not allow this caller the tool or resource (neededScopes: what would)',
  QUOTA_EXCEEDED: 'auth: a limits quota of this caller is used up (retryAfterMs: when to retry)',
  // config / OpenAPI
  OPENAPI_DOCUMENT_INVALID: 'config: an OpenAPI document is not valid (or not readable)',
  OPENAPI_REF_UNRESOLVED: 'config: a $ref of an OpenAPI document points nowhere',
  OPENAPI_REF_CYCLE: 'config: a $ref of an OpenAPI document refers to itself',
  OPENAPI_REF_FORBIDDEN: 'config: a $ref (or the document) names a file it may not read',
  OPENAPI_BUDGET_EXCEEDED: 'config: loading OpenAPI documents went past a bound of the load budget',
  OPENAPI_OPERATION_ID_MISSING: 'config: an operation has no operationId where one is needed',
  OPENAPI_UNSUPPORTED_PARAMETER: 'config: an operation has a parameter Conduit cannot send',
  OPENAPI_UNSUPPORTED_BODY: 'config: an operation has a request body Conduit cannot send',
  OPENAPI_NAME_COLLISION: 'config: two operations would become tools of the same name',
  OPENAPI_SELECTION_UNKNOWN: 'config: the openapi selection names an operation or tag the document lacks',
  OPENAPI_OVERRIDE_INVALID: 'config: an openapi.overrides entry is invalid',
  OPENAPI_SCHEMA_TOO_LARGE: 'config: an operation’s schema is larger than Conduit serves',
  ARGUMENTS_TOO_DEEP:
    "mcp: a tool call's arguments nest deeper than 64 levels; refused before schema validation",
  OPENAPI_UNKNOWN_OPERATION:
    "mcp: an operation the gateway does not serve was called: compact mode's invoke with an id its catalog lacks, or the tools-mode tool of an operation left out or not selected",
  OPENAPI_INVALID_ARGUMENTS: "mcp: compact mode's arguments do not match the operation's input schema",
  OPENAPI_SCHEMA_INVALID: "mcp: an operation's schema cannot be compiled",
  CONFIRMATION_REQUIRED:
    'mcp: a tool with confirm: true was called without the confirm: true argument by a client that cannot be asked; nothing was sent',
  CONFIRMATION_DECLINED:
    'mcp: the user declined (or cancelled) the confirmation of a tool call; nothing was sent',
  // cli
  USAGE: 'cli: the command line is wrong (unknown flag, missing value)',
  START_FAILED:
    'cli: conduit serve could not start the gateway after its config loaded (a listener could not bind: errno says why, e.g. EADDRINUSE)',
} as const;

/** A stable error code: see {@link CONDUIT_ERROR_CODES} for what each means. */
export type ConduitErrorCode = keyof typeof CONDUIT_ERROR_CODES;

/** Codes of the OpenAPI document and selection problems (`OpenApiError`, a `ConfigError`). */
export type OpenApiErrorCode = Exclude<
  Extract<ConduitErrorCode, `OPENAPI_${string}`>,
  'OPENAPI_UNKNOWN_OPERATION' | 'OPENAPI_INVALID_ARGUMENTS' | 'OPENAPI_SCHEMA_INVALID'
>;

/** Codes of `ConfigError` and its subclasses: the config could not be used. */
export type ConfigErrorCode = 'INVALID_CONFIG' | OpenApiErrorCode;

/** The code of `err` when it is one of Conduit's (a `ConduitError`, or anything carrying a known code). */
export function conduitCodeOf(err: unknown): ConduitErrorCode | undefined {
  const code = errorCodeOf(err);
  return code !== undefined && Object.hasOwn(CONDUIT_ERROR_CODES, code)
    ? (code as ConduitErrorCode)
    : undefined;
}

/** For the `default` of an exhaustive switch: fails to compile when a case is missing. */
export function assertNever(value: never): never {
  throw new Error(`unexpected value ${String(value)}`);
}
