import { type BulkheadPolicy, bulkhead } from '../../resilience/index.js';

/** Bounds of the calls in flight to one upstream. */
export interface InFlightLimits {
  /** Calls to the upstream at once, all tools together. */
  max: number;
  /** Calls of one tool at once: a flood of one tool leaves `max - perTool` slots to the others. */
  perTool: number;
  /** Calls of one tool waiting for a slot; more are refused at once (`BULKHEAD_REJECTED`). */
  queuePerTool: number;
}

/**
 * The calls in flight to one upstream, queued per tool: each tool has a bulkhead of its own
 * (`perTool` running, `queuePerTool` waiting, FIFO), and behind them the upstream's bulkhead caps the
 * total at `max`. A tool can hold at most `perTool` of the upstream's slots or places in its queue,
 * so calls to one hanging endpoint cannot take the connection pool from the other tools: another
 * tool's call waits behind at most `perTool` calls of each other tool, not behind the whole flood.
 */
export class InFlightGate {
  private readonly upstream: BulkheadPolicy;
  private readonly tools = new Map<string, BulkheadPolicy>();

  constructor(
    private readonly limits: InFlightLimits,
    toolCount: number,
  ) {
    this.upstream = bulkhead({
      maxConcurrent: limits.max,
      maxQueue: Math.max(0, toolCount * limits.perTool - limits.max),
    });
  }

  /** Runs `fn` for `tool` once both its tool slot and an upstream slot are free; `signal` leaves the queue. */
  run<T>(tool: string, fn: (signal: AbortSignal) => Promise<T>, signal: AbortSignal): Promise<T> {
    let own = this.tools.get(tool);
    if (!own) {
      own = bulkhead({ maxConcurrent: this.limits.perTool, maxQueue: this.limits.queuePerTool });
      this.tools.set(tool, own);
    }
    const upstream = this.upstream;
    return own.execute(() => upstream.execute(() => fn(signal), { signal }), { signal });
  }

  /** Refuses every queued call (shutdown); running calls finish. */
  dispose(): void {
    for (const b of this.tools.values()) b.dispose();
    this.upstream.dispose();
  }
}

/** The limits a config's `inFlight` section (or its absence) gives an upstream. */
export function inFlightLimits(
  config: { max?: number | undefined; perTool?: number | undefined; queuePerTool?: number | undefined } = {},
): InFlightLimits {
  const max = config.max ?? DEFAULT_IN_FLIGHT;
  return {
    max,
    perTool: Math.min(max, config.perTool ?? Math.max(1, Math.ceil(max / 2))),
    queuePerTool: config.queuePerTool ?? DEFAULT_QUEUE_PER_TOOL,
  };
}

/** The HTTP client's connections per upstream: more in flight would only queue inside the pool. */
export const DEFAULT_IN_FLIGHT = 64;
export const DEFAULT_QUEUE_PER_TOOL = 256;
