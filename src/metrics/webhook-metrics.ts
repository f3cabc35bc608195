import { Counter } from './labeled-metrics.js';
import type { MetricsRegistry as Registry } from './registry.js';
import { LabelGuard } from './label-guard.js';
import { classifyWebhookResponse, type WebhookOutcome, webhookReasonLabel } from './webhook-outcome.js';

/** The `endpoint` label of a delivery to a path no endpoint serves. */
export const UNMATCHED_ENDPOINT = '(unmatched)';

const OUTCOMES: ReadonlySet<string> = new Set(['accepted', 'unhandled', 'duplicate', 'rejected', 'failed']);

/** `webhook_deliveries_total{endpoint,outcome,reason}`. */
export class WebhookMetrics {
  private readonly deliveries: Counter<'endpoint' | 'outcome' | 'reason'>;
  private readonly endpoints: LabelGuard;

  constructor(
    registry: Registry,
    prefix: string,
    private readonly isOpen: () => boolean,
    warn: (what: string) => void,
  ) {
    this.deliveries = new Counter({
      name: `${prefix}webhook_deliveries_total`,
      help: 'Webhook deliveries by endpoint and outcome (accepted, unhandled, duplicate, rejected, failed); reason says why for rejected, failed and duplicate.',
      labelNames: ['endpoint', 'outcome', 'reason'],
      registers: [registry],
    });
    this.endpoints = new LabelGuard(200, (v) =>
      warn(`more than 200 webhook endpoints (latest ${JSON.stringify(v)})`),
    );
  }

  record(endpoint: string, outcome: WebhookOutcome, reason?: string): void {
    if (!this.isOpen()) return;
    this.deliveries.inc({
      endpoint: this.endpoints.value(endpoint),
      outcome: OUTCOMES.has(outcome) ? outcome : 'failed',
      reason: webhookReasonLabel(reason),
    });
  }

  /** Counts one receiver answer by its status and JSON body (`WebhookResponse` of `conduit-mcp/webhooks`). */
  recordResponse(endpoint: string | undefined, status: number, body: string): void {
    if (!this.isOpen()) return;
    const { outcome, reason } = classifyWebhookResponse(status, body);
    this.record(endpoint ?? UNMATCHED_ENDPOINT, outcome, reason);
  }
}
