import { ConfigError, type Logger, positive } from '../core/index.js';
import { TypeRouter } from './dispatch.js';
import type { WebhookHandlerFn } from './event.js';
import type { SignatureVerifier } from './verifier.js';

/** One receiving endpoint: where it listens, how deliveries are verified, what runs for which type. */
export interface WebhookEndpointConfig {
  /** Request path, e.g. `/webhooks/stripe` (query strings are ignored when matching). */
  path: string;
  /** Name in logs and in de-dup keys. Default: the path. */
  name?: string;
  /** The signature scheme: `standardWebhooks`, `svix`, `github`, `stripe` or `hmac`. */
  verifier: SignatureVerifier;
  /** Handlers by event type: exact (`invoice.paid`), `prefix.*` or `*`. Arrays run in order. */
  on: Readonly<Record<string, WebhookHandlerFn | readonly WebhookHandlerFn[]>>;
  /**
   * Dotted JSON path of the event id. When set it wins over the scheme's id header; unset, the header
   * (webhook-id, X-GitHub-Delivery, hmac's `idHeader`) is used and `id` is the fallback.
   */
  idPath?: string;
  /** Dotted JSON path of the event type when the scheme has no type header. Default `type`. */
  typePath?: string;
  /** Largest body accepted, in bytes; more is a 413 and reading stops there. Default 1 MiB. */
  maxBodyBytes?: number;
  /** Time the handlers get before the delivery is answered 503 (process-before-ack). Default 10 s. */
  deadlineMs?: number;
}

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
export const DEFAULT_DEADLINE_MS = 10_000;

/** A compiled endpoint. */
export class WebhookEndpoint {
  readonly name: string;
  readonly path: string;
  readonly maxBodyBytes: number;
  readonly deadlineMs: number;
  readonly verifier: SignatureVerifier;
  readonly router: TypeRouter<readonly WebhookHandlerFn[]>;
  readonly idPath: string[];
  /** True when `idPath` was configured: it then wins over the scheme's id header. */
  readonly idPathExplicit: boolean;
  readonly typePath: string[];
  readonly logger: Logger;

  constructor(config: WebhookEndpointConfig, logger: Logger) {
    if (typeof config.path !== 'string' || !config.path.startsWith('/')) {
      throw new ConfigError(
        `webhooks: endpoint path must start with "/", got ${JSON.stringify(config.path)}`,
      );
    }
    if (!config.verifier || typeof config.verifier.verify !== 'function') {
      throw new ConfigError(`webhooks: endpoint ${config.path} needs a verifier (e.g. stripe({ secret }))`);
    }
    this.path = config.path;
    this.name = config.name ?? config.path;
    this.verifier = config.verifier;
    this.maxBodyBytes = positive(
      'maxBodyBytes',
      config.maxBodyBytes,
      DEFAULT_MAX_BODY_BYTES,
      `webhooks: endpoint ${this.name}`,
    );
    this.deadlineMs = positive(
      'deadlineMs',
      config.deadlineMs,
      DEFAULT_DEADLINE_MS,
      `webhooks: endpoint ${this.name}`,
    );
    const routes: Record<string, readonly WebhookHandlerFn[]> = {};
    for (const [pattern, fns] of Object.entries(config.on ?? {})) {
      const list = typeof fns === 'function' ? [fns] : [...fns];
      if (list.some((f) => typeof f !== 'function')) {
        throw new ConfigError(`webhooks: endpoint ${this.name}: handlers for "${pattern}" must be functions`);
      }
      routes[pattern] = list;
    }
    this.router = new TypeRouter(routes);
    this.idPath = (config.idPath ?? 'id').split('.');
    this.idPathExplicit = config.idPath !== undefined;
    this.typePath = (config.typePath ?? 'type').split('.');
    this.logger = logger.child({ endpoint: this.name, scheme: this.verifier.scheme });
  }
}
