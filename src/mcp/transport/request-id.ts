/**
 * The id a refused message names, when it is a request with an id a request may have; else null, as
 * JSON-RPC answers a request whose id could not be read. With it the answer reaches the request the
 * client waits on.
 */
export function requestIdOf(value: unknown): string | number | null {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || !('method' in value))
    return null;
  const id = (value as { id?: unknown }).id;
  return typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id)) ? id : null;
}
