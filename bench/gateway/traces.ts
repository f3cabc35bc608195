/**
 * bench/gateway rows for traces: the L1 hit and the miss with traces configured off and with every
 * span exported over OTLP/HTTP (sampling 1). Target: on >= 0.85x off in ops/s. Off must cost nothing
 * measurable: no tracer is made then, and the hot path checks one field (the figure printed below is
 * that check beside what a no-op API span would cost per call, in-process).
 */
import { trace } from '@opentelemetry/api';
import type { ChildProcess } from 'node:child_process';
import type { ContenderResult } from '../lib.js';

interface Session {
  call(tool: string): Promise<void>;
  close(): Promise<void>;
}

export interface TracesRowDeps {
  upstreamUrl: string;
  spawnChild(file: string, args?: string[]): Promise<{ child: ChildProcess; info: Record<string, string> }>;
  rawSession(url: string, connections: number): Promise<Session>;
  interleaved(
    contenders: { name: string; fn: () => Promise<unknown> }[],
    concurrency: number,
  ): Promise<ContenderResult[]>;
  concurrency: number;
}

/** ns per call of `fn`, over `n` calls (after as many to warm up). */
function nsPerCall(fn: () => void, n = 2_000_000): number {
  for (let i = 0; i < n; i++) fn();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn();
  return Number(process.hrtime.bigint() - t0) / n;
}

/** What "off" costs on the hot path: the guard, against a no-op API span that is not made. */
function offCost(): string {
  // The shape of the hot path's check: a field that holds no tracer.
  const rt: { tracer?: { startSpan(n: string): { end(): void } } } = {};
  let sink = 0;
  const guard = nsPerCall(() => {
    if (rt.tracer !== undefined) rt.tracer.startSpan('x').end();
    else sink++;
  });
  const noop = trace.getTracer('bench');
  const noopSpan = nsPerCall(() => noop.startSpan('tools/call x', { attributes: { a: 'b' } }).end());
  return `info: traces off: the guard costs ${guard.toFixed(1)} ns per check (${sink} checks); a no-op API span (not made when off) would cost ${noopSpan.toFixed(1)} ns`;
}

export async function tracesRows(deps: TracesRowDeps): Promise<{ rows: ContenderResult[]; lines: string[] }> {
  const receiver = await deps.spawnChild('traces-receiver.ts');
  const offServer = await deps.spawnChild('traces-servers.ts', [deps.upstreamUrl]);
  const onServer = await deps.spawnChild('traces-servers.ts', [deps.upstreamUrl, receiver.info.endpoint!]);
  const offUrl = offServer.info.url!;
  const onUrl = onServer.info.url!;
  try {
    const off = await deps.rawSession(offUrl, deps.concurrency);
    const on = await deps.rawSession(onUrl, deps.concurrency);
    const rows = await deps.interleaved(
      [
        { name: '(t0) L1 hit, traces off', fn: () => off.call('get_assignment_cached') },
        { name: '(t1) L1 hit, traces on (100%, OTLP)', fn: () => on.call('get_assignment_cached') },
        { name: '(t2) miss, traces off', fn: () => off.call('get_assignment_miss') },
        { name: '(t3) miss, traces on (100%, OTLP)', fn: () => on.call('get_assignment_miss') },
      ],
      deps.concurrency,
    );
    await Promise.all([off.close(), on.close()]);
    const [hitOff, hitOn, missOff, missOn] = rows as [
      ContenderResult,
      ContenderResult,
      ContenderResult,
      ContenderResult,
    ];
    const line = (label: string, a: ContenderResult, b: ContenderResult) => {
      const r = a.opsPerSec / b.opsPerSec;
      return `target: ${label} traces on / off = ${r.toFixed(2)}x ops/s (need >= 0.85) ${r >= 0.85 ? 'PASS' : 'MISS'}; p50 ${a.p50Ms!.toFixed(3)} vs ${b.p50Ms!.toFixed(3)} ms`;
    };
    return {
      rows,
      lines: [line('L1 hit', hitOn, hitOff), line('miss', missOn, missOff), offCost()],
    };
  } finally {
    for (const p of [offServer, onServer, receiver]) p.child.kill('SIGTERM');
  }
}
