import {
  type CircuitBreaker,
  circuitBreaker,
  CircuitOpenError,
  type Policy,
  retry,
  timeout,
  wrap,
} from '../resilience/index.js';
import { type Clock, isAbortError, type Logger, errorMessage } from '../core/index.js';
import { AuthServerUnavailableError } from './errors.js';

/** A 5xx from the authorization server: worth a retry, and a failure for its breaker. */
class IdpStatusError extends Error {
  constructor(readonly status: number) {
    super(`the authorization server answered HTTP ${status}`);
  }
}

export interface IdpClientOptions {
  /** Budget of one request to the authorization server. */
  timeoutMs: number;
  /** Attempts per request, the first included. */
  attempts: number;
  clock: Clock;
  logger: Logger;
  /** The fetch to use (default: the global one). */
  fetch?: typeof fetch;
}

/**
 * Requests to the authorization server (discovery, JWKS, introspection) behind the resilience core:
 * a timeout per attempt, a retry on network errors and 5xx, and a breaker so an outage fails new
 * verifications fast (503) while tokens verified before keep working from the cache.
 */
export class IdpClient {
  readonly breaker: CircuitBreaker;
  private readonly policy: Policy;
  private readonly doFetch: typeof fetch;

  constructor(private readonly options: IdpClientOptions) {
    const { clock } = options;
    this.doFetch = options.fetch ?? fetch;
    this.breaker = circuitBreaker({
      name: 'authorization-server',
      model: { kind: 'consecutive', threshold: 5 },
      recoveryMs: 10_000,
      clock,
    });
    this.policy = wrap(
      retry({
        maxAttempts: options.attempts,
        baseDelayMs: 100,
        maxDelayMs: 1000,
        clock,
        retryOn: (err) => !isAbortError(err) && !(err instanceof CircuitOpenError),
      }),
      this.breaker,
      timeout({ ms: options.timeoutMs, clock }),
    );
  }

  /** A fetch-shaped function (oauth4webapi's `customFetch`) running through the policies. */
  readonly fetch = (url: string | URL, init?: RequestInit): Promise<Response> =>
    this.send(String(url), init ?? {});

  /** GET `url` and parse its JSON body. */
  async json(url: string): Promise<unknown> {
    const res = await this.send(url, { headers: { accept: 'application/json' } });
    if (!res.ok) {
      await res.body?.cancel();
      throw new AuthServerUnavailableError(
        `The authorization server answered HTTP ${res.status} to GET ${url}; check the issuer's configuration.`,
        this.retryAfterMs(),
      );
    }
    try {
      return await res.json();
    } catch (err) {
      throw new AuthServerUnavailableError(
        `The authorization server's answer to GET ${url} is not JSON.`,
        this.retryAfterMs(),
        { cause: err },
      );
    }
  }

  private async send(url: string, init: RequestInit): Promise<Response> {
    try {
      return await this.policy.execute(async (ctx) => {
        const res = await this.doFetch(url, { ...init, signal: ctx.signal, redirect: 'manual' });
        if (res.status >= 500) {
          await res.body?.cancel();
          throw new IdpStatusError(res.status);
        }
        return res;
      });
    } catch (err) {
      if (err instanceof AuthServerUnavailableError) throw err;
      const why = errorMessage(err);
      this.options.logger.warn(
        { event: 'auth.idp_unavailable', url, code: (err as { code?: unknown }).code },
        'the authorization server could not be reached',
      );
      throw new AuthServerUnavailableError(
        `The authorization server could not be reached (${why}); retry shortly.`,
        this.retryAfterMs(err),
        { cause: err },
      );
    }
  }

  private retryAfterMs(err?: unknown): number {
    if (err instanceof CircuitOpenError) return Math.max(1000, err.retryAfterMs);
    return 5000;
  }
}
