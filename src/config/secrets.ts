/**
 * Every `${ENV}` value of a loaded config travels with it under a symbol key: object spread copies it
 * (so `{ ...config, tools }` keeps it), JSON and YAML dumps never show it, and no config file can set it.
 */
const CONFIG_SECRETS = Symbol.for('conduit.config.secrets');

/** `config` carrying `secrets` (returned as is, for chaining). */
export function withSecrets<T extends object>(config: T, secrets: readonly string[]): T {
  Object.defineProperty(config, CONFIG_SECRETS, { value: [...secrets], enumerable: true });
  return config;
}

/**
 * The values of a config (from `parseConfig` / `loadConfig`) that came from the environment: treat
 * each as a secret wherever it appears. Empty for a config built by hand.
 */
export function configSecrets(config: object): readonly string[] {
  const v = (config as Record<symbol, unknown>)[CONFIG_SECRETS];
  return Array.isArray(v) ? (v as string[]) : [];
}
