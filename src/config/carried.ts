/**
 * A list that travels with a loaded config under a symbol key: object spread copies it (so
 * `{ ...config, tools }` keeps it), JSON and YAML dumps never show it, and no config file can set it.
 */
export function carry<T extends object, V>(config: T, key: symbol, values: readonly V[]): T {
  Object.defineProperty(config, key, { value: [...values], enumerable: true });
  return config;
}

/** The list {@link carry} put on a config; empty for a config built by hand. */
export function carried<V>(config: object, key: symbol): readonly V[] {
  const v = (config as Record<symbol, unknown>)[key];
  return Array.isArray(v) ? (v as V[]) : [];
}
