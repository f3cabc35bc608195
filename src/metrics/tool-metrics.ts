import type { MetricsRegistry as Registry } from './registry.js';
import { BufferedCounter, type CounterSlot } from './buffered-counter.js';
import { LATENCY_BUCKETS_SECONDS } from './buckets.js';
import { FastHistogram } from './fast-histogram.js';
import { LabelGuard, OTHER_LABEL } from './label-guard.js';
import { TOOL_OUTCOMES, type ToolOutcome } from './tool-outcome.js';

/** The series of one tool, bound once (when the tool is compiled) and recorded per call. */
export interface ToolSeries {
  /** Counts one call with its outcome and observes its duration (ms) in the latency histogram. */
  record(outcome: ToolOutcome, durationMs: number): void;
}

const OUTCOME_INDEX: Readonly<Record<string, number>> = Object.fromEntries(
  TOOL_OUTCOMES.map((o, i) => [o, i]),
);

class BoundToolSeries implements ToolSeries {
  private readonly slots: (CounterSlot | undefined)[] = [];

  constructor(
    private readonly calls: BufferedCounter,
    private readonly duration: { observe(value: number): void },
    private readonly tool: string,
    private readonly upstream: string,
    private readonly isOpen: () => boolean,
  ) {}

  record(outcome: ToolOutcome, durationMs: number): void {
    if (!this.isOpen()) return;
    const i = OUTCOME_INDEX[outcome] ?? OUTCOME_INDEX.internal!;
    let slot = this.slots[i];
    if (slot === undefined) {
      slot = this.calls.slot({ tool: this.tool, upstream: this.upstream, outcome: TOOL_OUTCOMES[i]! });
      this.slots[i] = slot;
    }
    slot.inc();
    this.duration.observe(durationMs / 1000);
  }
}

/** `tool_calls_total{tool,upstream,outcome}` and `tool_call_duration_seconds{tool}`. */
export class ToolMetrics {
  private readonly calls = new BufferedCounter();
  private readonly duration: FastHistogram;
  private readonly byTool = new Map<string, Map<string, ToolSeries>>();
  private readonly tools: LabelGuard;
  private readonly upstreams: LabelGuard;
  private other: ToolSeries | undefined;

  constructor(
    registry: Registry,
    prefix: string,
    private readonly isOpen: () => boolean,
    warn: (what: string) => void,
  ) {
    const calls = this.calls;
    calls.register(registry, {
      name: `${prefix}tool_calls_total`,
      help: 'MCP tool calls by tool, upstream and outcome (ok, cache_hit, stale, or an error kind).',
      labelNames: ['tool', 'upstream', 'outcome'],
    });
    this.duration = new FastHistogram(
      `${prefix}tool_call_duration_seconds`,
      'MCP tool call duration in seconds, cache hits and failures included.',
      LATENCY_BUCKETS_SECONDS,
      registry,
    );
    this.tools = new LabelGuard(1000, (v) => warn(`more than 1000 tool names (latest ${JSON.stringify(v)})`));
    this.upstreams = new LabelGuard(200, (v) =>
      warn(`more than 200 upstream names (latest ${JSON.stringify(v)})`),
    );
  }

  series(tool: string, upstream: string): ToolSeries {
    let byUpstream = this.byTool.get(tool);
    const found = byUpstream?.get(upstream);
    if (found !== undefined) return found;
    const t = this.tools.value(tool);
    const u = this.upstreams.value(upstream);
    // Past a guard's limit every new name shares one series, which is not remembered per name.
    if (t === OTHER_LABEL || u === OTHER_LABEL) {
      this.other ??= this.bind(OTHER_LABEL, OTHER_LABEL);
      return this.other;
    }
    const s = this.bind(t, u);
    if (byUpstream === undefined) {
      byUpstream = new Map();
      this.byTool.set(tool, byUpstream);
    }
    byUpstream.set(upstream, s);
    return s;
  }

  private bind(tool: string, upstream: string): ToolSeries {
    return new BoundToolSeries(this.calls, this.duration.bind({ tool }), tool, upstream, this.isOpen);
  }
}
