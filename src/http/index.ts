/**
 * `conduit-mcp/http`: a resilient HTTP client for external APIs on undici, with the resilience core applied
 * per upstream origin.
 */
export {
  createHttpClient,
  type HttpClient,
  type HttpClientOptions,
  type HttpMethod,
  type HttpMetricsEvent,
  type HttpSetting,
  type HttpTimeouts,
  type HttpTlsOptions,
  type RequestOptions,
  type FullRequestOptions,
  type JsonRequestOptions,
} from './client.js';
export { HttpResponse } from './response.js';
export {
  HttpStatusError,
  NetworkError,
  ResponseTooLargeError,
  ResponseTooDeepError,
  ResponseValidationError,
  InvalidJsonError,
  RateLimitedError,
  UpstreamRateLimitedError,
  HttpClientClosedError,
  RequestValidationError,
  type ValidationIssue,
} from './errors.js';
export { TimeoutError, type TimeoutPhase } from './timeout.js';
export { CircuitOpenError, BulkheadRejectedError } from '../resilience/index.js';
export {
  DEFAULT_RETRY_STATUSES,
  isRetryableError,
  isBreakerFailure,
  isBreakerNeutral,
} from './retry-rules.js';
export type { BreakerScope, HttpRetryOptions, HttpBreakerOptions, ResilienceOptions } from './pipeline.js';
export type { BreakerTransitions } from './types.js';
export { InvalidPathError, expandPath, type PathParams } from './path-template.js';
export { CommaSeparated, type Query, type QueryValue } from './query.js';
export { REDACTED, Redactor, SecretSet } from './redact.js';
export { scrubJsonLine, scrubJsonText, scrubJsonValue } from './json-line-scrub.js';
export type { Schema, Output } from './json.js';
export {
  type Page,
  type PaginateOptions,
  type PagePaginate,
  type OffsetPaginate,
  type CursorPaginate,
  type LinkPaginate,
  PaginationLimitError,
  PaginationLoopError,
  pageItems,
} from './pagination.js';
export { nextLink } from './link-header.js';
export { defineResource, type ResourceClient, type ResourceDefinition } from './resource.js';
