import type { CallToolResult } from '@modelcontextprotocol/server';
import { AbortedError, assertNever, ConduitError, conduitCodeOf, isAbortError } from '../../core/index.js';

/** `_meta` key carrying the machine-readable side of a failure: `{ code, status?, retryAfterMs? }`. */
export const ERROR_META_KEY = 'conduit/error';

interface ErrorLike {
  code?: unknown;
  message?: unknown;
  status?: unknown;
  bodyExcerpt?: unknown;
  method?: unknown;
  url?: unknown;
  retryAfterMs?: unknown;
  retryAt?: unknown;
  timeoutMs?: unknown;
  phase?: unknown;
  causeCode?: unknown;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** ` (CODE)` after the upstream's name, unless the message names the code already. */
function causeNote(code: string | undefined, message: string): string {
  return code !== undefined && !message.includes(code) ? ` (${code})` : '';
}

function seconds(ms: number): string {
  return ms < 1000 ? `${Math.max(0, Math.round(ms))} ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
}

function statusHint(status: number, retryAfterMs: number | undefined, method: string | undefined): string {
  if (status >= 300 && status < 400)
    return `The gateway does not follow redirects (credentials never leave the upstream's origin); an operator should point the upstream's baseUrl or the tool's path at the final location.${method !== undefined && method !== 'GET' && method !== 'HEAD' ? ' The upstream may have applied the change before redirecting: check before retrying.' : ''}`;
  if (status === 404) return 'The requested item does not exist; check the arguments.';
  if (status === 400 || status === 409 || status === 422)
    return 'The upstream rejected the request; check the arguments against the error above.';
  if (status === 401 || status === 403)
    return "The upstream refused the gateway's credentials; an operator must fix this upstream's auth settings.";
  if (status === 429)
    return `The upstream is rate limiting; retry${retryAfterMs !== undefined ? ` after ${seconds(retryAfterMs)}` : ' later'}.`;
  if (status >= 500) return 'The upstream is failing; retry later.';
  return 'The call did not succeed.';
}

/**
 * Says what went wrong in words a model and a person can act on. Matches on the stable `code` of
 * Conduit errors (not on classes) so it works for any module's errors; the switch covers every code,
 * so a new one must choose its wording here.
 */
export function describeFailure(
  err: unknown,
  upstream: string,
  toolName: string,
): { text: string; code: string } {
  if (err instanceof AbortedError && err.explained)
    return { code: 'ABORTED', text: `The call to ${toolName} was stopped: ${err.message}.` };
  if (isAbortError(err))
    return { code: 'ABORTED', text: `The call to ${toolName} was cancelled before it finished.` };
  const e = (typeof err === 'object' && err !== null ? err : {}) as ErrorLike;
  const message = str(e.message) ?? String(err);
  const code = conduitCodeOf(err);
  if (code === undefined) return internal(err, str(e.code), toolName, message);
  const after = num(e.retryAfterMs);
  switch (code) {
    case 'HTTP_STATUS': {
      const status = num(e.status) ?? 0;
      const excerpt = (str(e.bodyExcerpt) ?? '').trim().slice(0, 300);
      return {
        code,
        text: `Upstream "${upstream}" answered HTTP ${status} to ${target(e)}${excerpt ? `: ${excerpt}` : ' (empty body)'}. ${statusHint(status, after, str(e.method))}`,
      };
    }
    case 'CIRCUIT_OPEN': {
      const at = num(e.retryAt);
      return {
        code,
        text: `Upstream "${upstream}" is failing and its circuit breaker is open, so the call was not attempted. Retry after ${after !== undefined ? seconds(after) : 'a while'}${at !== undefined ? ` (at ${new Date(at).toISOString()})` : ''}.`,
      };
    }
    case 'TIMEOUT': {
      const ms = num(e.timeoutMs);
      const phase = str(e.phase) ?? 'total';
      return {
        code,
        text: `Upstream "${upstream}" did not answer in time: the ${phase} timeout${ms !== undefined ? ` of ${seconds(ms)}` : ''} expired. Retry later; if it keeps happening the upstream is slow or down.${timeoutSetting(upstream, phase)}`,
      };
    }
    case 'NETWORK_ERROR':
      return {
        code,
        text: `Could not reach upstream "${upstream}"${causeNote(str(e.causeCode), message)}: ${message}`,
      };
    case 'BULKHEAD_REJECTED':
      return {
        code,
        text: `Too many calls to upstream "${upstream}" are in flight already; retry in a moment.`,
      };
    case 'UPSTREAM_RATE_LIMITED': {
      if ((e as { held?: unknown }).held === true)
        return {
          code,
          text: `Upstream "${upstream}" is rate limiting the gateway: it answered HTTP 429 Too Many Requests with a Retry-After that has not passed, so the gateway holds its calls until then and did not send this one; retry${after !== undefined ? ` after ${seconds(after)}` : ' later'}.`,
        };
      const what = target(e);
      return {
        code,
        text: `Upstream "${upstream}" is rate limiting the gateway: it answered HTTP 429 Too Many Requests${what ? ` to ${what}` : ''} and the retries are used up; retry${after !== undefined ? ` after ${seconds(after)}` : ' later'}.`,
      };
    }
    case 'RATE_LIMITED':
    case 'RATE_LIMIT_EXCEEDED':
      return {
        code,
        text: `The gateway's rate limit for upstream "${upstream}" is reached; retry${after !== undefined ? ` after ${seconds(after)}` : ' shortly'}.`,
      };
    case 'RETRY_BUDGET_EXHAUSTED':
      return {
        code,
        text: `Upstream "${upstream}" is failing and the retry budget is spent; retry later. (${message})`,
      };
    case 'RESPONSE_TOO_DEEP': {
      const limit = num((e as { limit?: unknown }).limit);
      return {
        code,
        text: `Upstream "${upstream}" answered ${target(e)} with JSON nested more than ${limit ?? 'the allowed'} levels deep, which the gateway does not serve (nothing was cached). If such answers are expected, an operator can raise upstreams.${upstream}.maxResponseDepth (at most 1000); otherwise the upstream is misbehaving.`,
      };
    }
    case 'RESPONSE_INVALID_JSON': {
      // The parser's own message may quote the body's first characters (a secret cut short): not used.
      const problem = (e as { problem?: unknown }).problem;
      return {
        code,
        text: `Upstream "${upstream}" answered ${target(e)} with a body that is not valid JSON${typeof problem === 'string' ? ` (${problem})` : ''}. The upstream is misbehaving (a cut-off answer, or an error page from a proxy in front of it); retry later, and if it keeps happening an operator should check the upstream.`,
      };
    }
    case 'UPSTREAM_CREDENTIAL_UNAVAILABLE':
      return {
        code,
        text: `The gateway could not get a credential for upstream "${upstream}" from its token endpoint; nothing was sent to the upstream. Retry later. (${message})`,
      };
    // Their messages already say what was wrong and what to do.
    case 'CALLER_CREDENTIAL_MISSING':
    case 'ABORTED':
    case 'INVALID_CONFIG':
    case 'MISSING_DEPENDENCY':
    case 'PRINCIPAL_VALUE_MISSING':
    case 'CONFIRMATION_REQUIRED':
    case 'CONFIRMATION_DECLINED':
    case 'TOKEN_INVALID':
    case 'AUTH_SERVER_UNAVAILABLE':
    case 'POLICY_DENIED':
    case 'QUOTA_EXCEEDED':
    case 'HTTP_CLIENT_CLOSED':
    case 'RESPONSE_TOO_LARGE':
    case 'RESPONSE_VALIDATION':
    case 'REQUEST_VALIDATION':
    case 'INVALID_PATH':
    case 'ARGUMENTS_TOO_DEEP':
    case 'PAGINATION_LIMIT':
    case 'PAGINATION_LOOP':
    case 'CACHE_CLOSED':
    case 'CACHE_VALUE_INVALID':
    case 'CACHE_FACTORY_TIMEOUT':
    case 'CACHE_INVALIDATION_INCOMPLETE':
    case 'WEBHOOK_VERIFICATION_FAILED':
    case 'WEBHOOK_HANDLER_TIMEOUT':
    case 'WEBHOOK_DEDUPE_UNAVAILABLE':
    case 'WEBHOOK_TEMPLATE_FIELD':
    case 'OPENAPI_DOCUMENT_INVALID':
    case 'OPENAPI_REF_UNRESOLVED':
    case 'OPENAPI_REF_CYCLE':
    case 'OPENAPI_REF_FORBIDDEN':
    case 'OPENAPI_BUDGET_EXCEEDED':
    case 'OPENAPI_OPERATION_ID_MISSING':
    case 'OPENAPI_UNSUPPORTED_PARAMETER':
    case 'OPENAPI_UNSUPPORTED_BODY':
    case 'OPENAPI_NAME_COLLISION':
    case 'OPENAPI_SELECTION_UNKNOWN':
    case 'OPENAPI_OVERRIDE_INVALID':
    case 'OPENAPI_SCHEMA_TOO_LARGE':
    case 'OPENAPI_UNKNOWN_OPERATION':
    case 'OPENAPI_INVALID_ARGUMENTS':
    case 'OPENAPI_SCHEMA_INVALID':
    case 'USAGE':
    case 'START_FAILED':
      return internal(err, code, toolName, message);
    default:
      return assertNever(code);
  }
}

/** The config key behind an HTTP timeout phase, for the operator of a slow but healthy upstream. */
function timeoutSetting(upstream: string, phase: string): string {
  if (upstream === '' || !['connect', 'headers', 'body', 'total'].includes(phase)) return '';
  return ` If it is just slow, an operator can raise upstreams.${upstream}.timeouts.${phase}${phase === 'total' ? " (or the tool's timeout)" : ''}.`;
}

/** `GET https://…`: the request an error names, when it names one. */
function target(e: ErrorLike): string {
  return `${str(e.method) ?? ''} ${str(e.url) ?? ''}`.trim();
}

function internal(err: unknown, code: string | undefined, toolName: string, message: string) {
  if (err instanceof ConduitError && code !== undefined)
    return { code, text: `${toolName} failed (${code}): ${message}` };
  // Unknown errors are bugs or library surprises; keep the message, never a stack.
  return { code: 'INTERNAL', text: `${toolName} failed with an internal error: ${message}` };
}

/** A tool error result (`isError: true`) for `err`; never throws. */
export function errorResult(err: unknown, upstream: string, toolName: string): CallToolResult {
  const { text, code } = describeFailure(err, upstream, toolName);
  const e = (typeof err === 'object' && err !== null ? err : {}) as ErrorLike;
  const meta: Record<string, unknown> = { code };
  const status = num(e.status);
  if (status !== undefined) meta.status = status;
  const retryAfterMs = num(e.retryAfterMs);
  if (retryAfterMs !== undefined) meta.retryAfterMs = retryAfterMs;
  return { content: [{ type: 'text', text }], isError: true, _meta: { [ERROR_META_KEY]: meta } };
}
