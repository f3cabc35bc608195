import { Redactor } from '../../http/index.js';

/**
 * `err` with each of `secrets` replaced by `[REDACTED]` in its message, in every encoding the HTTP
 * redactor scrubs: a start-up or reload failure may quote the config (a TLS file path, a Redis seed
 * host) and so a `${ENV}` value in it. The error keeps its class and code; a non-Error is returned as is.
 */
export function withoutSecrets(err: unknown, secrets: readonly string[]): unknown {
  if (!(err instanceof Error) || secrets.length === 0) return err;
  err.message = new Redactor([], [], secrets).scrub(err.message);
  return err;
}
