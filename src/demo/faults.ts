/**
 * Faults the demo upstream can inject, switched at run time. Each applies to matching requests, for
 * `times` requests or until cleared.
 */
export type Fault = (
  | {
      /** Answer with an error status (default 503) and a JSON error body. */
      kind: 'error';
      status?: number;
    }
  | {
      /** Answer 429 with a Retry-After header. */
      kind: 'rate-limit';
      /** Retry-After in seconds (default 1). */
      retryAfterSeconds?: number;
    }
  | {
      /** Never answer (until the client gives up or the server closes). */
      kind: 'hang';
    }
  | {
      /** Answer normally after a delay. */
      kind: 'slow';
      delayMs: number;
    }
  | {
      /** Reset the connection without an answer. */
      kind: 'reset';
    }
) & {
  /** How many matching requests get the fault; default: every one until cleared. */
  times?: number;
  /** Only requests with this method and/or whose path starts with this prefix. */
  match?: { method?: string; pathPrefix?: string };
};

const KINDS = ['error', 'rate-limit', 'hang', 'slow', 'reset'];

/** Checks a fault received over the control API; returns a message when it is malformed. */
export function faultProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null)
    return 'expected a JSON object like {"kind":"error","status":503}';
  const f = value as Record<string, unknown>;
  if (typeof f.kind !== 'string' || !KINDS.includes(f.kind)) return `kind must be one of ${KINDS.join(', ')}`;
  if (f.times !== undefined && !(Number.isInteger(f.times) && (f.times as number) >= 1))
    return 'times must be an integer >= 1';
  if (
    f.kind === 'error' &&
    f.status !== undefined &&
    !(Number.isInteger(f.status) && (f.status as number) >= 400 && (f.status as number) <= 599)
  )
    return 'status must be an HTTP error status (400-599)';
  if (f.kind === 'slow' && !(typeof f.delayMs === 'number' && f.delayMs >= 0))
    return 'delayMs must be a number >= 0';
  if (
    f.kind === 'rate-limit' &&
    f.retryAfterSeconds !== undefined &&
    !(typeof f.retryAfterSeconds === 'number' && f.retryAfterSeconds >= 0)
  )
    return 'retryAfterSeconds must be a number >= 0';
  return undefined;
}

/** The active fault and how many more requests it applies to. */
export class FaultSwitch {
  private fault: Fault | undefined;
  private remaining = Number.POSITIVE_INFINITY;

  set(fault: Fault | undefined): void {
    this.fault = fault;
    this.remaining = fault?.times ?? Number.POSITIVE_INFINITY;
  }

  get current(): Fault | undefined {
    return this.fault;
  }

  /** The fault for this request, if any; counts it against `times`. */
  take(method: string, path: string): Fault | undefined {
    const f = this.fault;
    if (!f) return undefined;
    if (f.match?.method && f.match.method.toUpperCase() !== method) return undefined;
    if (f.match?.pathPrefix && !path.startsWith(f.match.pathPrefix)) return undefined;
    this.remaining--;
    if (this.remaining <= 0) this.fault = undefined;
    return f;
  }
}
