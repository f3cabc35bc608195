/**
 * bench/gateway rows for traces: the L1 hit and the miss with traces configured off and with every
 * span exported over OTLP/HTTP (sampling 1). Target: on >= 0.85x off in ops/s. Off must cost nothing
 * measurable: no tracer is made then, and the hot path checks one field (the figure printed below is
 * that check beside what a no-op API span would cost per call, in-process).
 */
import { trace } from '@opentelemetry/api';
import type { ChildProcess } from 'node:child_process';
import type { ContenderResult } from '../lib.js';
import { procCpuUs } from './cpu.js';

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

/**
 * Server CPU per call of each contender, from /proc (Linux): contenders run one at a time, so the CPU
 * a server spent between the first call of one contender and the first of the next is that
 * contender's (warm-up included, exports of the batch processor too). Unlike calls per second it does
 * not move with the load other processes put on the machine.
 */
function cpuMeter() {
  const spent = new Map<string, { us: number; calls: number }>();
  let current: { name: string; pid: number; at: number } | undefined;
  const close = () => {
    if (current === undefined) return;
    const now = procCpuUs(current.pid);
    if (now !== undefined) spent.get(current.name)!.us += now - current.at;
  };
  return {
    wrap(name: string, pid: number, fn: () => Promise<void>): () => Promise<void> {
      spent.set(name, { us: 0, calls: 0 });
      return () => {
        if (current?.name !== name) {
          close();
          current = { name, pid, at: procCpuUs(pid) ?? 0 };
        }
        spent.get(name)!.calls++;
        return fn();
      };
    },
    /** µs per call, once the last contender ran (undefined without /proc). */
    perCall(name: string): number | undefined {
      close();
      current = undefined;
      const s = spent.get(name)!;
      return s.us > 0 ? s.us / s.calls : undefined;
    },
  };
}

export async function tracesRows(deps: TracesRowDeps): Promise<{ rows: ContenderResult[]; lines: string[] }> {
  const receiver = await deps.spawnChild('traces-receiver.ts');
  const offServer = await deps.spawnChild('traces-servers.ts', [deps.upstreamUrl]);
  const onServer = await deps.spawnChild('traces-servers.ts', [deps.upstreamUrl, receiver.info.endpoint!]);
  // The same spans through the OpenTelemetry SDK's pipeline (what Conduit's recorder replaces), for the ratio.
  process.env.TRACES_STAGE = 'sdk';
  const sdkServer = await deps
    .spawnChild('traces-servers.ts', [deps.upstreamUrl, receiver.info.endpoint!])
    .finally(() => delete process.env.TRACES_STAGE);
  const offUrl = offServer.info.url!;
  const onUrl = onServer.info.url!;
  try {
    const off = await deps.rawSession(offUrl, deps.concurrency);
    const on = await deps.rawSession(onUrl, deps.concurrency);
    const viaSdk = await deps.rawSession(sdkServer.info.url!, deps.concurrency);
    const cpu = cpuMeter();
    const offPid = offServer.child.pid!;
    const onPid = onServer.child.pid!;
    const sdkPid = sdkServer.child.pid!;
    const contenders = [
      { name: '(t0) L1 hit, traces off', pid: offPid, fn: () => off.call('get_assignment_cached') },
      { name: '(t1) L1 hit, traces on (100%, OTLP)', pid: onPid, fn: () => on.call('get_assignment_cached') },
      { name: '(t2) miss, traces off', pid: offPid, fn: () => off.call('get_assignment_miss') },
      { name: '(t3) miss, traces on (100%, OTLP)', pid: onPid, fn: () => on.call('get_assignment_miss') },
      {
        name: '(t1s) L1 hit, traces on through the OpenTelemetry SDK',
        pid: sdkPid,
        fn: () => viaSdk.call('get_assignment_cached'),
      },
      {
        name: '(t3s) miss, traces on through the OpenTelemetry SDK',
        pid: sdkPid,
        fn: () => viaSdk.call('get_assignment_miss'),
      },
    ];
    const rows = await deps.interleaved(
      contenders.map((c) => ({ name: c.name, fn: cpu.wrap(c.name, c.pid, c.fn) })),
      deps.concurrency,
    );
    for (const row of rows) {
      const us = cpu.perCall(row.name);
      if (us !== undefined)
        row.note = `${row.note ?? ''}; traced server ${us.toFixed(0)} µs CPU per call (all rounds)`;
    }
    await Promise.all([off.close(), on.close(), viaSdk.close()]);
    const [hitOff, hitOn, missOff, missOn, hitSdk, missSdk] = rows as [
      ContenderResult,
      ContenderResult,
      ContenderResult,
      ContenderResult,
      ContenderResult,
      ContenderResult,
    ];
    const line = (label: string, a: ContenderResult, b: ContenderResult) => {
      const r = a.opsPerSec / b.opsPerSec;
      const onUs = cpu.perCall(a.name);
      const offUs = cpu.perCall(b.name);
      const cpuText =
        onUs !== undefined && offUs !== undefined
          ? `; server CPU per call ${onUs.toFixed(0)} vs ${offUs.toFixed(0)} µs (off/on = ${(offUs / onUs).toFixed(2)}x)`
          : '';
      return `target: ${label} traces on / off = ${r.toFixed(2)}x ops/s (need >= 0.85) ${r >= 0.85 ? 'PASS' : 'MISS'}; p50 ${a.p50Ms!.toFixed(3)} vs ${b.p50Ms!.toFixed(3)} ms${cpuText}`;
    };
    const sdkLine = (label: string, ours: ContenderResult, sdk: ContenderResult, off: ContenderResult) => {
      const [o, k, f] = [cpu.perCall(ours.name), cpu.perCall(sdk.name), cpu.perCall(off.name)];
      const extra =
        o !== undefined && k !== undefined && f !== undefined
          ? `; traced CPU over off ${(o - f).toFixed(0)} vs ${(k - f).toFixed(0)} µs per call`
          : '';
      return `info: ${label} traced with Conduit's recorder / with the OpenTelemetry SDK = ${(ours.opsPerSec / sdk.opsPerSec).toFixed(2)}x ops/s; SDK on / off = ${(sdk.opsPerSec / off.opsPerSec).toFixed(2)}x${extra}`;
    };
    return {
      rows,
      lines: [
        line('L1 hit', hitOn, hitOff),
        line('miss', missOn, missOff),
        sdkLine('L1 hit', hitOn, hitSdk, hitOff),
        sdkLine('miss', missOn, missSdk, missOff),
        offCost(),
      ],
    };
  } finally {
    for (const p of [offServer, onServer, sdkServer, receiver]) p.child.kill('SIGTERM');
  }
}
