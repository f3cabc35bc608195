/**
 * The `outcome` label of `conduit_webhook_deliveries_total`:
 * `accepted` processed and acknowledged; `unhandled` verified and acknowledged, no handler for its
 * type; `duplicate` an id already processed (or being processed: reason `in_flight`); `rejected`
 * refused before processing (reason says why); `failed` a handler failed or timed out, or the receiver
 * could not work (reason says which), so the sender will retry.
 */
export type WebhookOutcome = 'accepted' | 'unhandled' | 'duplicate' | 'rejected' | 'failed';

/**
 * The `reason` label values; anything else is recorded as `other`. Rejections: the signature reasons
 * of `conduit-mcp/webhooks` plus the request checks. Failures: `handler_failed`, `handler_timeout`,
 * `dedupe_unavailable`, `shutting_down`, `internal_error`. Duplicates: `done`, `in_flight`.
 */
export const WEBHOOK_REASONS: ReadonlySet<string> = new Set([
  'missing_header',
  'empty_header',
  'repeated_header',
  'malformed_header',
  'timestamp_too_old',
  'timestamp_in_future',
  'signature_mismatch',
  'invalid_json',
  'missing_event_id',
  'invalid_event_type',
  'method_not_allowed',
  'unsupported_media_type',
  'body_too_large',
  'not_found',
  'handler_failed',
  'handler_timeout',
  'dedupe_unavailable',
  'shutting_down',
  'internal_error',
  'done',
  'in_flight',
]);

/** A bounded reason label: a known reason, `other`, or empty when none applies. */
export function webhookReasonLabel(reason: string | undefined): string {
  if (reason === undefined || reason === '') return '';
  return WEBHOOK_REASONS.has(reason) ? reason : 'other';
}

/**
 * Classifies a receiver answer (`WebhookResponse` of `conduit-mcp/webhooks`: status plus a small JSON body
 * `{ ok, duplicate?, unhandled? }` or `{ error, message }`).
 */
export function classifyWebhookResponse(
  status: number,
  body: string,
): { outcome: WebhookOutcome; reason: string } {
  let doc: { duplicate?: unknown; unhandled?: unknown; error?: unknown } = {};
  try {
    const parsed: unknown = JSON.parse(body);
    if (typeof parsed === 'object' && parsed !== null) doc = parsed as typeof doc;
  } catch {
    // Not the receiver's JSON: classify by status alone.
  }
  const error = typeof doc.error === 'string' ? doc.error : undefined;
  if (status >= 200 && status < 300) {
    if (doc.duplicate === true) return { outcome: 'duplicate', reason: 'done' };
    if (doc.unhandled === true) return { outcome: 'unhandled', reason: '' };
    return { outcome: 'accepted', reason: '' };
  }
  if (error === 'in_flight') return { outcome: 'duplicate', reason: 'in_flight' };
  if (status >= 500) return { outcome: 'failed', reason: webhookReasonLabel(error ?? 'internal_error') };
  return { outcome: 'rejected', reason: webhookReasonLabel(error ?? 'other') };
}
