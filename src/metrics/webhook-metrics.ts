import type { IncomingMessage, ServerResponse } from 'node:http';
import { Counter, type Registry } from 'prom-client';
import type { WebhookHandler, WebhookRequest, WebhookResponse } from '../webhooks/index.js';
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

  private recordResponse(endpoint: string, status: number, body: string): void {
    const { outcome, reason } = classifyWebhookResponse(status, body);
    this.record(endpoint, outcome, reason);
  }

  /**
   * Wraps a receiver of `conduit/webhooks` so every answer it gives is counted. The receiver has no
   * outcome hook, so the node:http side reads the status and JSON body it writes (through the
   * response's `end`, restored before a connect-style `next` runs) and `handle()` reads its result.
   */
  instrument(handler: WebhookHandler): WebhookHandler {
    const self = this;
    const listener = ((req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void) => {
      const ep = handler.endpointFor(req.url ?? '/');
      if (ep === undefined && next !== undefined) {
        handler(req, res, next);
        return;
      }
      const endpoint = ep?.name ?? UNMATCHED_ENDPOINT;
      const end = res.end;
      let counted = false;
      res.end = function (this: ServerResponse, ...args: unknown[]) {
        res.end = end;
        if (!counted) {
          counted = true;
          const chunk = typeof args[0] === 'function' ? undefined : args[0];
          const body =
            typeof chunk === 'string'
              ? chunk
              : chunk instanceof Uint8Array
                ? Buffer.from(chunk).toString()
                : '';
          self.recordResponse(endpoint, res.statusCode, body);
        }
        return (end as (...a: unknown[]) => ServerResponse).apply(this, args);
      } as ServerResponse['end'];
      handler(
        req,
        res,
        next &&
          ((err?: unknown) => {
            res.end = end;
            next(err);
          }),
      );
    }) as WebhookHandler;
    Object.defineProperties(listener, {
      handle: {
        value: async (request: WebhookRequest): Promise<WebhookResponse> => {
          const r = await handler.handle(request);
          const ep = handler.endpointFor(request.path);
          this.recordResponse(ep?.name ?? UNMATCHED_ENDPOINT, r.status, r.body);
          return r;
        },
      },
      endpointFor: { value: (path: string) => handler.endpointFor(path) },
      inFlight: { get: () => handler.inFlight },
      close: { value: () => handler.close() },
    });
    return listener;
  }
}
