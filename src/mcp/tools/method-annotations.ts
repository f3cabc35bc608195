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
