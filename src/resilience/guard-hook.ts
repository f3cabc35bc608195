import type { Logger } from '../core/index.js';
import { errorForLog } from '../core/index.js';

/**
 * Wraps a user hook so that a throwing hook is logged at warn and otherwise ignored: a hook observes
 * the policy, it must not replace the real outcome or stop the policy. Only the error's name and
 * message are logged (hooks are user code; their payloads may hold anything).
 * @internal
 */
export function guardHook<E>(
  hook: ((event: E) => void) | undefined,
  name: string,
  logger: Logger,
): ((event: E) => void) | undefined {
  if (hook === undefined) return undefined;
  return (event) => {
    try {
      hook(event);
    } catch (err) {
      logger.warn({ hook: name, err: errorForLog(err) }, `${name} hook threw; the error is ignored`);
    }
  };
}
