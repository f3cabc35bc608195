/**
 * `conduit-mcp/webhooks`: a webhook receiver that verifies signatures on the raw bytes (Standard Webhooks,
 * Svix, GitHub, Stripe, generic HMAC), refuses replays (timestamp window + de-duplication by event id,
 * in memory or Redis), dispatches by event type with wildcards, and acknowledges only after processing.
 *
 * ```ts
 * const handler = createWebhookHandler({
 *   endpoints: [{ path: '/webhooks/stripe', verifier: stripe({ secret }), on: { 'invoice.*': onInvoice } }],
 * });
 * http.createServer(handler).listen(3000);
 * ```
 */
export {
  type RejectReason,
  WebhookVerificationError,
  WebhookHandlerTimeoutError,
  DedupeStoreError,
} from './errors.js';
export {
  type WebhookHeaders,
  type HeaderRead,
  type HeaderProblem,
  readHeader,
  normalizeHeaders,
} from './headers.js';
export {
  type SignatureVerifier,
  type VerifyResult,
  type Verified,
  type Rejected,
  type SignedTimestampOptions,
  DEFAULT_TOLERANCE_MS,
  assertVerified,
} from './verifier.js';
export type { SecretInput, SecretOptions } from './secrets.js';
export { standardWebhooks, svix, type StandardWebhooksOptions } from './standard-webhooks.js';
export { github, type GitHubOptions } from './github.js';
export { stripe, type StripeOptions } from './stripe.js';
export { hmac, type HmacOptions } from './hmac.js';
export { type DedupeStore, type ClaimResult, DEFAULT_DEDUPE_TTL_MS } from './dedupe-store.js';
export { MemoryDedupeStore, type MemoryDedupeStoreOptions } from './memory-dedupe-store.js';
export { RedisDedupeStore, type RedisDedupeStoreOptions } from './redis-dedupe-store.js';
export { TypeRouter } from './dispatch.js';
export { PayloadTemplate, MissingTemplateFieldError, type TemplateEscape } from './template.js';
export type { WebhookEvent, WebhookContext, WebhookHandlerFn } from './event.js';
export {
  invalidate,
  publish,
  type CacheInvalidator,
  type EventPublisher,
  type PublishedWebhookEvent,
  type InvalidateActionOptions,
  type PublishActionOptions,
} from './actions.js';
export type { WebhookResponse } from './responses.js';
export {
  createWebhookHandler,
  WebhookEndpoint,
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_DEADLINE_MS,
  DEFAULT_BODY_TIMEOUT_MS,
  type WebhookHandler,
  type WebhookHandlerOptions,
  type WebhookEndpointConfig,
  type WebhookRequest,
} from './handler.js';
