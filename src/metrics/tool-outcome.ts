import { type ConduitErrorCode, conduitCodeOf } from '../core/index.js';

/**
 * The `outcome` label of `conduit_tool_calls_total`, a fixed set:
 * - `ok` answered by the upstream; `cache_hit` answered fresh from the cache; `stale` answered from
 *   the cache past its TTL (stale-while-revalidate or stale-if-error);
 * - `invalid_input` the arguments were refused before any upstream call;
 * - `upstream_status` the upstream answered an error status (429 counts as `rate_limited`);
 * - `timeout`, `circuit_open`, `network`, `bulkhead_full`;
 * - `rate_limited` the upstream's 429 (`UPSTREAM_RATE_LIMITED` once retries gave up, or a bare
 *   `HTTP_STATUS` 429), the client-side rate limit, or the retry budget;
 * - `bad_response` the upstream's answer was too large, not JSON, or failed its schema;
 * - `cancelled` the client cancelled or the gateway shut down;
 * - `forbidden` the policy does not allow this caller the tool; `internal` anything else.
 */
export type ToolOutcome =
  | 'ok'
  | 'cache_hit'
  | 'stale'
  | 'invalid_input'
  | 'upstream_status'
  | 'timeout'
  | 'circuit_open'
  | 'rate_limited'
  | 'bulkhead_full'
  | 'network'
  | 'bad_response'
  | 'cancelled'
  | 'forbidden'
  | 'internal';

/** Every tool outcome, in a stable order. */
export const TOOL_OUTCOMES: readonly ToolOutcome[] = [
  'ok',
  'cache_hit',
  'stale',
  'invalid_input',
  'upstream_status',
  'timeout',
  'circuit_open',
  'rate_limited',
  'bulkhead_full',
  'network',
  'bad_response',
  'cancelled',
  'forbidden',
  'internal',
];

// Every code chooses its outcome here: a new code fails to compile until it does.
const BY_CODE: Readonly<Record<ConduitErrorCode, ToolOutcome>> = {
  HTTP_STATUS: 'upstream_status',
  TIMEOUT: 'timeout',
  CACHE_FACTORY_TIMEOUT: 'timeout',
  CIRCUIT_OPEN: 'circuit_open',
  NETWORK_ERROR: 'network',
  BULKHEAD_REJECTED: 'bulkhead_full',
  UPSTREAM_RATE_LIMITED: 'rate_limited',
  RATE_LIMITED: 'rate_limited',
  RATE_LIMIT_EXCEEDED: 'rate_limited',
  RETRY_BUDGET_EXHAUSTED: 'rate_limited',
  RESPONSE_TOO_LARGE: 'bad_response',
  RESPONSE_TOO_DEEP: 'bad_response',
  RESPONSE_VALIDATION: 'bad_response',
  RESPONSE_INVALID_JSON: 'bad_response',
  REQUEST_VALIDATION: 'invalid_input',
  INVALID_PATH: 'invalid_input',
  ARGUMENTS_TOO_DEEP: 'invalid_input',
  PRINCIPAL_VALUE_MISSING: 'invalid_input',
  CONFIRMATION_REQUIRED: 'invalid_input',
  CONFIRMATION_DECLINED: 'forbidden',
  TOKEN_INVALID: 'internal',
  AUTH_SERVER_UNAVAILABLE: 'internal',
  POLICY_DENIED: 'forbidden',
  QUOTA_EXCEEDED: 'rate_limited',
  OPENAPI_INVALID_ARGUMENTS: 'internal',
  OPENAPI_UNKNOWN_OPERATION: 'internal',
  ABORTED: 'cancelled',
  UPSTREAM_CREDENTIAL_UNAVAILABLE: 'upstream_status',
  CALLER_CREDENTIAL_MISSING: 'invalid_input',
  INVALID_CONFIG: 'internal',
  MISSING_DEPENDENCY: 'internal',
  HTTP_CLIENT_CLOSED: 'internal',
  PAGINATION_LIMIT: 'internal',
  PAGINATION_LOOP: 'internal',
  CACHE_CLOSED: 'internal',
  CACHE_VALUE_INVALID: 'internal',
  CACHE_INVALIDATION_INCOMPLETE: 'internal',
  WEBHOOK_VERIFICATION_FAILED: 'internal',
  WEBHOOK_HANDLER_TIMEOUT: 'internal',
  WEBHOOK_DEDUPE_UNAVAILABLE: 'internal',
  WEBHOOK_TEMPLATE_FIELD: 'internal',
  OPENAPI_DOCUMENT_INVALID: 'internal',
  OPENAPI_REF_UNRESOLVED: 'internal',
  OPENAPI_REF_CYCLE: 'internal',
  OPENAPI_REF_FORBIDDEN: 'internal',
  OPENAPI_BUDGET_EXCEEDED: 'internal',
  OPENAPI_OPERATION_ID_MISSING: 'internal',
  OPENAPI_UNSUPPORTED_PARAMETER: 'internal',
  OPENAPI_UNSUPPORTED_BODY: 'internal',
  OPENAPI_NAME_COLLISION: 'internal',
  OPENAPI_SELECTION_UNKNOWN: 'internal',
  OPENAPI_OVERRIDE_INVALID: 'internal',
  OPENAPI_SCHEMA_TOO_LARGE: 'internal',
  OPENAPI_SCHEMA_INVALID: 'internal',
  USAGE: 'internal',
  START_FAILED: 'internal',
};

/**
 * The outcome of a failed tool call, from the error's stable `code` (not its class, so errors of any
 * Conduit module map without importing it).
 */
export function toolOutcomeOf(err: unknown): ToolOutcome {
  if (typeof err !== 'object' || err === null) return 'internal';
  const e = err as { code?: unknown; status?: unknown; name?: unknown };
  if (e.name === 'AbortError') return 'cancelled';
  if (typeof e.code !== 'string') return 'internal';
  if (e.code === 'HTTP_STATUS' && e.status === 429) return 'rate_limited';
  const code = conduitCodeOf(err);
  return code === undefined ? 'internal' : BY_CODE[code];
}

/** The outcome of a successful call answered through the cache (`getOrSetWithMeta`'s result). */
export function toolOutcomeOfLookup(lookup: {
  source: 'l1' | 'l2' | 'factory';
  stale: boolean;
}): ToolOutcome {
  if (lookup.stale) return 'stale';
  return lookup.source === 'factory' ? 'ok' : 'cache_hit';
}
