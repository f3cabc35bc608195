/**
 * bench/gateway/traces-micro: CPU per traced call of the tracing work alone, in-process — the spans a
 * cached hit makes (the server span, the cache lookup span) and a miss makes (plus an upstream attempt
 * span), through the batch processor and the OTLP/HTTP exporter to a receiver in its own process — and
 * each stage apart: span start/end only (no processor), + batching with a no-op exporter, + OTLP
 * encoding and send. Not part of `npm run bench`: it says which stage costs what, not how fast a
 * gateway is. Usage: npx tsx bench/gateway/traces-micro.ts [calls, default 50000]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { oneCall } from './traces-calls.js';
import { type SpanExporterLike, startTracing, type Tracer } from '../../src/telemetry/index.js';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOnSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
} from '@opentelemetry/sdk-trace-base';

const here = dirname(fileURLToPath(import.meta.url));
const CALLS = Number(process.argv[2] ?? 50_000);

function spawnReceiver(): Promise<{ child: ChildProcess; endpoint: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'traces-receiver.ts')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve) =>
    createInterface({ input: child.stdout! }).once('line', (line) =>
      resolve({ child, endpoint: (JSON.parse(line) as { endpoint: string }).endpoint }),
    ),
  );
}

/** µs of this process's CPU per call over `calls` calls (after a warm-up), yielding to I/O every 64. */
async function cpuPerCall(tracer: Tracer, miss: boolean, flush: () => Promise<void>): Promise<number> {
  const run = async (calls: number) => {
    for (let i = 0; i < calls; i++) {
      await oneCall(tracer, miss);
      if (i % 64 === 63) await new Promise((r) => setImmediate(r));
    }
    await flush();
  };
  await run(5000);
  const t0 = process.cpuUsage();
  await run(CALLS);
  const t = process.cpuUsage(t0);
  return (t.user + t.system) / CALLS;
}

/** A provider as `startTracing` builds it for OTLP, with another exporter behind the batch processor. */
function batchedTracing(exporter: SpanExporterLike) {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'bench' }),
    sampler: new ParentBasedSampler({ root: new AlwaysOnSampler() }),
    spanProcessors: [new BatchSpanProcessor(exporter as never)],
  });
  return {
    tracer: provider.getTracer('bench'),
    flush: () => provider.forceFlush(),
    close: () => provider.shutdown(),
  };
}

const noopExporter: SpanExporterLike = {
  export: (_spans, done) => done({ code: 0 }),
  shutdown: async () => {},
};

const receiver = await spawnReceiver();
try {
  for (const miss of [false, true]) {
    const label = miss ? 'miss (3 spans)' : 'hit (2 spans)';
    const bare = startTracing({});
    const batchedNoop = batchedTracing(noopExporter);
    const otlp = startTracing({ otlp: { endpoint: receiver.endpoint } });
    const rows: [string, number][] = [
      ['spans only (no processor)', await cpuPerCall(bare.tracer, miss, bare.flush)],
      ['+ batch processor, no-op exporter', await cpuPerCall(batchedNoop.tracer, miss, batchedNoop.flush)],
      ['+ OTLP/HTTP export', await cpuPerCall(otlp.tracer, miss, otlp.flush)],
    ];
    for (const [name, us] of rows) console.log(`${label}: ${name}: ${us.toFixed(1)} µs CPU per call`);
    await Promise.all([bare.close(), batchedNoop.close(), otlp.close()]);
  }
} finally {
  receiver.child.kill('SIGTERM');
}
