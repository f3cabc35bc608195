import type { Logger } from '../core/index.js';
import type { WebhookHeaders } from './headers.js';

/** A verified, parsed delivery, as handlers see it. */
export interface WebhookEvent<P = unknown> {
  /** Endpoint name (its path unless named). */
  endpoint: string;
  /** Event id used for de-duplication. */
  id: string;
  /** Event type used for dispatch (`''` when the delivery has none). */
  type: string;
  /** The parsed JSON body. */
  payload: P;
  /** The exact bytes received (what was verified). */
  rawBody: Uint8Array;
  /** Request headers, lower-case names. */
  headers: WebhookHeaders;
  /** The sender's signed timestamp (epoch ms), when the scheme has one. */
  timestampMs?: number;
  /** When this delivery arrived (epoch ms, from the handler's clock). */
  receivedAt: number;
}

/** What a handler gets besides the event. */
export interface WebhookContext {
  /** Aborts when the endpoint's deadline passes (the delivery has then been answered 503). */
  signal: AbortSignal;
  /** The endpoint's logger, bound to the event id and type. */
  logger: Logger;
}

/** Processes one event; a throw or rejection answers 500 and releases the id so the retry runs. */
export type WebhookHandlerFn<P = unknown> = (event: WebhookEvent<P>, ctx: WebhookContext) => unknown;
