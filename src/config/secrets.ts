import { carried, carry } from './carried.js';

/** Every `${ENV}` value of a loaded config travels with it (see `carry`). */
const CONFIG_SECRETS = Symbol.for('conduit.config.secrets');

/** `config` carrying `secrets` (returned as is, for chaining). */
export function withSecrets<T extends object>(config: T, secrets: readonly string[]): T {
  return carry(config, CONFIG_SECRETS, secrets);
}

/**
 * The values of a config (from `parseConfig` / `loadConfig`) that came from the environment: treat
 * each as a secret wherever it appears. Empty for a config built by hand.
 */
export function configSecrets(config: object): readonly string[] {
  return carried(config, CONFIG_SECRETS);
}
