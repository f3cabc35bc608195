import { carried, carry } from './carried.js';
import type { ConfigProblem } from './problems.js';

/** What a loaded config is accepted with but should change (an old key name). */
const CONFIG_WARNINGS = Symbol.for('conduit.config.warnings');

/** `config` carrying `warnings` (returned as is, for chaining). */
export function withWarnings<T extends object>(config: T, warnings: readonly ConfigProblem[]): T {
  return carry(config, CONFIG_WARNINGS, warnings);
}

/**
 * The warnings of a config from `parseConfig` / `loadConfig`, each with its path and line (e.g. an old
 * key name and the new one to use). `conduit validate` prints them; the gateway logs them at start.
 */
export function configWarnings(config: object): readonly ConfigProblem[] {
  return carried(config, CONFIG_WARNINGS);
}
