import { createRequire } from 'node:module';
import { ConduitError } from './errors.js';

/**
 * A package that only some features need (a Redis client, the demo's MCP client) is not installed.
 * Such packages are optional peer dependencies: a memory-only install stays small, and the feature
 * that needs one says which package to add.
 */
export class MissingDependencyError extends ConduitError {
  declare readonly code: 'MISSING_DEPENDENCY';
  /** The npm package to install, e.g. `ioredis`. */
  readonly packageName: string;
  /** What needed it, e.g. `a Redis Cluster`. */
  readonly feature: string;

  constructor(packageName: string, feature: string, options?: { cause?: unknown }) {
    super(
      'MISSING_DEPENDENCY',
      `${feature} needs the package "${packageName}", which is not installed; run: npm install ${packageName}`,
      options,
    );
    this.packageName = packageName;
    this.feature = feature;
  }
}

const requireHere = createRequire(import.meta.url);

/** True for "this package cannot be found", not for an error thrown while it loads. */
function isNotFound(err: unknown, name: string): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (code !== 'MODULE_NOT_FOUND' && code !== 'ERR_MODULE_NOT_FOUND') return false;
  // A package that is present but misses one of its own dependencies is a broken install, not ours.
  const message = err instanceof Error ? err.message : '';
  return message.includes(`'${name}'`) || message.includes(`"${name}"`);
}

/**
 * Loads a CommonJS optional dependency synchronously (constructors stay synchronous). Throws
 * {@link MissingDependencyError} naming the package when it is not installed.
 */
export function requireOptional<T>(name: string, feature: string): T {
  try {
    return requireHere(name) as T;
  } catch (err) {
    if (isNotFound(err, name)) throw new MissingDependencyError(name, feature, { cause: err });
    throw err;
  }
}

/** Imports an ES-module optional dependency; rejects with {@link MissingDependencyError} when absent. */
export async function importOptional<T>(name: string, feature: string): Promise<T> {
  try {
    return (await import(name)) as T;
  } catch (err) {
    if (isNotFound(err, name)) throw new MissingDependencyError(name, feature, { cause: err });
    throw err;
  }
}

/**
 * {@link requireOptional} on the first call, the same module after: for a package that a request
 * path reaches, loaded once. `feature` names what needs it in the error when it is missing.
 */
export function optionalModule<T>(name: string): (feature: string) => T {
  let loaded: T | undefined;
  return (feature) => {
    loaded ??= requireOptional<T>(name, feature);
    return loaded;
  };
}
