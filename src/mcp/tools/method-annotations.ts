/** MCP tool annotations: hints a client uses to decide whether to confirm a call with the user. */
export interface ToolAnnotationHints {
  readOnlyHint: boolean;
  destructiveHint: boolean;
  idempotentHint: boolean;
  openWorldHint: boolean;
}

/**
 * The hints an HTTP method implies: GET/HEAD read-only; PUT idempotent; DELETE destructive and
 * idempotent; POST/PATCH (and anything unknown) destructive. Every upstream-backed tool talks to
 * a world outside the gateway, so `openWorldHint` is true.
 */
export function annotationsForMethod(method: string): ToolAnnotationHints {
  switch (method.toUpperCase()) {
    case 'GET':
    case 'HEAD':
      return { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true };
    case 'PUT':
      return { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true };
    case 'DELETE':
      return { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true };
    default:
      return { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true };
  }
}

/**
 * A tool's hints by precedence: each hint the config (or, for OpenAPI tools, the document's
 * `x-mcp-annotations`, which the config's overrides already sit over) gives wins over the method's.
 */
export function toolAnnotations(
  method: string,
  given: Partial<ToolAnnotationHints> | undefined,
): ToolAnnotationHints {
  const derived = annotationsForMethod(method);
  if (!given) return derived;
  for (const key of Object.keys(derived) as (keyof ToolAnnotationHints)[]) {
    const value = given[key];
    if (value !== undefined) derived[key] = value;
  }
  return derived;
}

/**
 * Compact mode's invoke tool runs any operation of its catalog: read-only only when all of them are;
 * otherwise as destructive as its most destructive operation.
 */
export function invokeAnnotations(operations: readonly ToolAnnotationHints[]): ToolAnnotationHints {
  return {
    readOnlyHint: operations.every((o) => o.readOnlyHint),
    destructiveHint: operations.some((o) => o.destructiveHint),
    idempotentHint: operations.every((o) => o.idempotentHint),
    openWorldHint: true,
  };
}

/** Compact mode's search tool reads the gateway's own catalog: no upstream, nothing changed. */
export const SEARCH_ANNOTATIONS: ToolAnnotationHints = Object.freeze({
  readOnlyHint: true,
  destructiveHint: false,
  idempotentHint: true,
  openWorldHint: false,
});
