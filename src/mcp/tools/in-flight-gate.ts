import { ResizableSlots } from './resizable-slots.js';

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
 * The calls in flight to one upstream, queued per tool: each tool has slots of its own (`perTool`
 * running, `queuePerTool` waiting, FIFO), and behind them the upstream's slots cap the total at
 * `max`. A tool can hold at most `perTool` of the upstream's slots or places in its queue, so calls
 * to one hanging endpoint cannot take the connection pool from the other tools: another tool's call
 * waits behind at most `perTool` calls of each other tool, not behind the whole flood. A gate
 * outlives reloads: `resize` applies new limits, and the calls running count against them.
 */
export class InFlightGate {
  private readonly upstream: ResizableSlots;
  private readonly tools = new Map<string, ResizableSlots>();

  constructor(
    private limits: InFlightLimits,
    toolCount: number,
  ) {
    this.upstream = new ResizableSlots(limits.max, upstreamQueue(limits, toolCount));
  }

  /** Applies a reloaded config's limits (and tool count) to this upstream's running gate. */
  resize(limits: InFlightLimits, toolCount: number): void {
    this.limits = limits;
    this.upstream.resize(limits.max, upstreamQueue(limits, toolCount));
    for (const own of this.tools.values()) own.resize(limits.perTool, limits.queuePerTool);
  }

  /**
   * Runs `fn` for `tool` once both its tool slot and an upstream slot are free; `abort.signal` leaves
   * the queue (read only when the call must wait: making a signal costs more than the rest).
   */
  run<T>(tool: string, fn: () => Promise<T>, abort: { readonly signal: AbortSignal }): Promise<T> {
    let own = this.tools.get(tool);
    if (!own) {
      own = new ResizableSlots(this.limits.perTool, this.limits.queuePerTool);
      this.tools.set(tool, own);
    }
    const upstream = this.upstream;
    if (own.tryEnter()) {
      if (upstream.tryEnter()) return runThenLeave(fn, upstream, own);
      own.leave();
    }
    const signal = abort.signal;
    return own.run(() => upstream.run(fn, signal), signal);
  }

  /** Refuses every queued call (shutdown); running calls finish. */
  dispose(): void {
    for (const own of this.tools.values()) own.dispose();
    this.upstream.dispose();
  }
}

/** `fn` in the slots already taken of `inner` and `outer`, given back (inner first) once it settles. */
function runThenLeave<T>(fn: () => Promise<T>, inner: ResizableSlots, outer: ResizableSlots): Promise<T> {
  const leave = () => {
    inner.leave();
    outer.leave();
  };
  let running: Promise<T>;
  try {
    running = fn();
  } catch (err) {
    leave();
    return Promise.reject(err);
  }
  return running.then(
    (value) => {
      leave();
      return value;
    },
    (err: unknown) => {
      leave();
      throw err;
    },
  );
}

/** What the tools' own slots can pass beyond `max` waits at the upstream: never refused there. */
function upstreamQueue(limits: InFlightLimits, toolCount: number): number {
  return Math.max(0, toolCount * limits.perTool - limits.max);
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
