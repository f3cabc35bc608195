import { z } from 'zod';
import { didYouMean } from './did-you-mean.js';

/** Keys reserved for features not built yet; naming one gets a message saying so instead of a typo hint. */
export type PlannedKeys = Readonly<Record<string, string>>;

/**
 * A strict object whose unknown-key error names each key with a "did you mean" hint. One message line
 * per key, in `keys` order (the problem formatter splits them back into one problem per key).
 */
export function strictObject<T extends z.core.$ZodLooseShape>(shape: T, planned: PlannedKeys = {}) {
  const known = Object.keys(shape);
  return z.strictObject(shape, {
    error: (issue) => {
      if (issue.code !== 'unrecognized_keys') return undefined;
      return issue.keys
        .map((key) => {
          if (planned[key]) return `"${key}" is not supported yet: ${planned[key]}`;
          const hint = didYouMean(key, known);
          return hint
            ? `unknown key "${key}" (did you mean "${hint}"?)`
            : `unknown key "${key}"; allowed here: ${known.join(', ')}`;
        })
        .join('\n');
    },
  });
}
