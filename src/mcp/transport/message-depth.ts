import { MAX_NESTING_LIMIT, nestedDeeperThan } from '../../core/index.js';

/**
 * The deepest a POST body may nest objects and arrays (its envelope is level 1). The SDK's request
 * validation and JSON.stringify recurse on the stack and overflow it some thousands of levels down
 * (a 500, with no word of why); no MCP message needs anything near this depth.
 */
export const MAX_MESSAGE_DEPTH = MAX_NESTING_LIMIT;

/** What a body nested deeper than {@link MAX_MESSAGE_DEPTH} is answered with (JSON-RPC Invalid Request). */
export const TOO_DEEP_MESSAGE = `Invalid Request: the request is nested deeper than ${MAX_MESSAGE_DEPTH} levels; flatten the arguments.`;

/**
 * True when `value`, parsed from `text`, nests deeper than {@link MAX_MESSAGE_DEPTH}. A text shorter
 * than 2 × (limit + 1) characters is not walked: nesting past the limit takes that many brackets,
 * opened and closed, so most requests cost one length check.
 */
export function messageTooDeep(text: string, value: unknown): boolean {
  return text.length >= 2 * (MAX_MESSAGE_DEPTH + 1) && nestedDeeperThan(value, MAX_MESSAGE_DEPTH);
}
