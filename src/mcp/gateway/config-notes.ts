import type { Logger } from '../../core/index.js';
import { configWarnings, type GatewayConfig } from '../../config/index.js';
import { Redactor } from '../../http/index.js';
import { gatewaySecrets } from './credential-secrets.js';

/**
 * What the config is served with but should know about, one warning each: old key names (with the
 * new one), webhook templates and secrets that let a sender reach further than meant, operations an `openapi` section leaves out, and what was changed to serve others. A
 * reason may quote the config (a template, a path): its secrets are scrubbed.
 */
export function logConfigNotes(config: GatewayConfig, logger: Logger): void {
  for (const w of configWarnings(config))
    logger.warn({ path: w.path, line: w.line, reason: w.message }, 'config warning');
  const sets = Object.values(config.openapiSets ?? {});
  if (sets.length === 0) return;
  const redactor = new Redactor([], [], gatewaySecrets(config));
  for (const set of sets) {
    for (const err of set.leftOut ?? [])
      logger.warn(
        {
          upstream: set.upstream,
          operation: err.operation,
          code: err.code,
          reason: redactor.scrub(err.message),
        },
        'openapi operation left out',
      );
    for (const w of set.warnings ?? [])
      logger.warn(
        { upstream: set.upstream, operation: w.operation, reason: redactor.scrub(w.message) },
        'openapi operation adjusted',
      );
  }
}
