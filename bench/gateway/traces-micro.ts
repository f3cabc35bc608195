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
import { type Context, SpanKind } from '@opentelemetry/api';
import {
  ATTR,
  endMcpServerSpan,
  inSpan,
  type SpanExporterLike,
  startMcpServerSpan,
  startTracing,
  type Tracer,
} from '../../src/telemetry/index.js';
import { ROOT_CONTEXT } from '@opentelemetry/api';
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

const tags = ['assignment:1'];
let n = 0;

/** The spans of one call: a server span, a cache lookup child, and (miss) an attempt span under it. */
async function oneCall(tracer: Tracer, miss: boolean): Promise<void> {
  const id = ++n;
  const { span, ctx } = startMcpServerSpan(
    tracer,
    {
      method: 'tools/call',
      requestId: id,
      toolName: 'get_assignment_cached',
      sessionId: '1b4e28ba-2fa1-11d2-883f-0016d3cca427',
      protocolVersion: '2025-06-18',
      transport: 'tcp',
      meta: undefined,
      httpTraceparent: undefined,
    },
    ROOT_CONTEXT,
  );
  await inSpan(
    tracer,
    'cache lookup',
    { [ATTR.cacheTags]: tags },
    async (s, lookup: Context) => {
      if (miss) {
        const a = tracer.startSpan(
          'GET /assignments/{id}',
          {
            kind: SpanKind.CLIENT,
            attributes: {
              [ATTR.httpMethod]: 'GET',
              [ATTR.urlTemplate]: '/assignments/{id}',
              [ATTR.urlFull]: 'http://127.0.0.1:4000/assignments/1',
              [ATTR.serverAddress]: '127.0.0.1',
              [ATTR.serverPort]: 4000,
              [ATTR.upstream]: 'api',
            },
          },
          lookup,
        );
        a.setAttribute(ATTR.httpStatus, 200);
        a.end();
      }
      s.setAttribute(ATTR.cacheTier, miss ? 'factory' : 'l1');
      s.setAttribute(ATTR.cacheResult, miss ? 'miss' : 'hit');
    },
    SpanKind.INTERNAL,
    ctx,
  );
  endMcpServerSpan(span, { isError: false });
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
