import type { Logger } from '../../core/index.js';
import { configWarnings, type GatewayConfig } from '../../config/index.js';

/**
 * What the config is served with but should know about, one warning each: old key names (with the
 * new one), operations an `openapi` section leaves out, and what was changed to serve others.
 */
export function logConfigNotes(config: GatewayConfig, logger: Logger): void {
  for (const w of configWarnings(config))
    logger.warn({ path: w.path, line: w.line, reason: w.message }, 'config key renamed');
  for (const set of Object.values(config.openapiSets ?? {})) {
    for (const err of set.leftOut ?? [])
      logger.warn(
        { upstream: set.upstream, operation: err.operation, code: err.code, reason: err.message },
        'openapi operation left out',
      );
    for (const w of set.warnings ?? [])
      logger.warn(
        { upstream: set.upstream, operation: w.operation, reason: w.message },
        'openapi operation adjusted',
      );
  }
}
