import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';

export interface CallOutcome {
  kind: string;
  /** performance.now() when the call started. */
  at: number;
  ms: number;
  stale: boolean;
  source: string | undefined;
  result: ToolResult | undefined;
  /** The call's arguments, when it was made by `drive`. */
  args?: Record<string, unknown>;
}

export interface ToolResult {
  isError?: boolean;
  structuredContent?: Record<string, unknown>;
  content?: { type: string; text?: string }[];
  _meta?: Record<string, Record<string, unknown> | undefined>;
}

/** Figures of one load phase, as written into RELIABILITY.md. */
export interface LoadFigures {
  requests: number;
  ok: number;
  errors: Record<string, number>;
  stale: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  durationMs: number;
}

// The v2 client piles up abort listeners past ~1.5k calls on one connection: reconnect well before.
const CALLS_PER_CONNECTION = 1000;

/** A pool of v2 SDK clients (2026-07-28, one POST per call) that reconnect every 1000 calls. */
export class ClientPool {
  private readonly clients: ({ client: Client; calls: number } | undefined)[];

  constructor(
    private readonly url: string,
    size: number,
  ) {
    this.clients = Array.from({ length: size }, () => undefined);
  }

  private async slot(i: number): Promise<{ client: Client; calls: number }> {
    let s = this.clients[i];
    if (s && s.calls < CALLS_PER_CONNECTION) return s;
    if (s) await s.client.close().catch(() => {});
    const client = new Client(
      { name: `chaos-${i}`, version: '1.0.0' },
      { versionNegotiation: { mode: { pin: '2026-07-28' } } },
    );
    await client.connect(new StreamableHTTPClientTransport(new URL(this.url)));
    s = { client, calls: 0 };
    this.clients[i] = s;
    return s;
  }

  /** One tool call on client `i`, classified; never throws. */
  async call(
    i: number,
    name: string,
    args: Record<string, unknown>,
    timeoutMs = 60_000,
  ): Promise<CallOutcome> {
    const start = performance.now();
    try {
      const s = await this.slot(i);
      s.calls++;
      const result = (await s.client.callTool(
        { name, arguments: args },
        { timeout: timeoutMs },
      )) as ToolResult;
      const err = result._meta?.['conduit/error'] as { code?: string } | undefined;
      const cache = result._meta?.['conduit/cache'] as { source?: string; stale?: boolean } | undefined;
      return {
        kind: result.isError ? (err?.code ?? 'tool-error') : 'ok',
        at: start,
        ms: performance.now() - start,
        stale: cache?.stale === true,
        source: cache?.source,
        result,
      };
    } catch (e) {
      // A protocol-level failure (transport, JSON-RPC error): the connection is rebuilt next time.
      const old = this.clients[i];
      this.clients[i] = undefined;
      await old?.client.close().catch(() => {});
      return {
        kind: `exception:${(e as { code?: unknown }).code ?? (e as Error).name}`,
        at: start,
        ms: performance.now() - start,
        stale: false,
        source: undefined,
        result: undefined,
      };
    }
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.clients.map((s) => s?.client.close()));
    this.clients.fill(undefined);
  }
}

export class Recorder {
  readonly outcomes: CallOutcome[] = [];
  private readonly started = performance.now();
  // Compact mode (soak): counts and a preallocated latency buffer, so the harness's own memory does
  // not grow with the number of calls and the heap slope measures the gateway.
  private readonly latencies: Float64Array | undefined;
  private count = 0;
  private readonly kinds = new Map<string, number>();
  private staleCount = 0;

  constructor(options: { compactCapacity?: number } = {}) {
    if (options.compactCapacity) this.latencies = new Float64Array(options.compactCapacity);
  }

  /** Keeps the answer only for failed calls, so a long run's record stays small. */
  add(o: CallOutcome): CallOutcome {
    if (this.latencies) {
      if (this.count < this.latencies.length) this.latencies[this.count] = o.ms;
      this.count++;
      this.kinds.set(o.kind, (this.kinds.get(o.kind) ?? 0) + 1);
      if (o.stale) this.staleCount++;
      return o;
    }
    this.outcomes.push(o.kind === 'ok' ? { ...o, result: undefined } : o);
    return o;
  }

  figures(): LoadFigures {
    const compact = this.latencies !== undefined;
    const ms = compact
      ? Array.from(this.latencies!.subarray(0, Math.min(this.count, this.latencies!.length))).sort(
          (a, b) => a - b,
        )
      : this.outcomes.map((o) => o.ms).sort((a, b) => a - b);
    const errors: Record<string, number> = {};
    if (compact) {
      for (const [k, n] of this.kinds) if (k !== 'ok') errors[k] = n;
    } else {
      for (const o of this.outcomes) if (o.kind !== 'ok') errors[o.kind] = (errors[o.kind] ?? 0) + 1;
    }
    const q = (p: number) => (ms.length ? ms[Math.min(ms.length - 1, Math.floor(p * ms.length))]! : 0);
    return {
      requests: compact ? this.count : this.outcomes.length,
      ok: compact ? (this.kinds.get('ok') ?? 0) : this.outcomes.filter((o) => o.kind === 'ok').length,
      errors,
      stale: compact ? this.staleCount : this.outcomes.filter((o) => o.stale).length,
      p50Ms: round(q(0.5)),
      p99Ms: round(q(0.99)),
      maxMs: round(ms.at(-1) ?? 0),
      durationMs: Math.round(performance.now() - this.started),
    };
  }
}

export function round(n: number): number {
  return Math.round(n * 10) / 10;
}

/**
 * Runs `workers` concurrent loops, each calling `next(worker, n)` until `until()` is true. The loop
 * count bounds a phase whose stop condition never comes. A `timeoutMs` from `next` is the client's own
 * limit for that call (default 60 s): a call still open then is recorded as an `exception:` outcome.
 */
export async function drive(
  pool: ClientPool,
  workers: number,
  until: () => boolean,
  next: (worker: number, n: number) => { name: string; args: Record<string, unknown>; timeoutMs?: number },
  recorder: Recorder,
  maxCallsPerWorker = 100_000,
): Promise<void> {
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      for (let n = 0; n < maxCallsPerWorker && !until(); n++) {
        const { name, args, timeoutMs } = next(w, n);
        recorder.add({ ...(await pool.call(w, name, args, timeoutMs)), args });
      }
    }),
  );
}

/** A deadline for a load phase. */
export function forMs(ms: number): () => boolean {
  const end = performance.now() + ms;
  return () => performance.now() >= end;
}

export function memoryMb(): { rssMb: number; heapUsedMb: number } {
  const m = process.memoryUsage();
  return { rssMb: round(m.rss / 2 ** 20), heapUsedMb: round(m.heapUsed / 2 ** 20) };
}

/** Counts of active libuv resources by type (sockets, timers, ...). */
export function handleCounts(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const t of process.getActiveResourcesInfo()) out[t] = (out[t] ?? 0) + 1;
  return out;
}
