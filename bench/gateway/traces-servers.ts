/**
 * One gateway of the traces rows, in its own process (argv: upstream URL, then the OTLP endpoint for
 * traces on, or nothing for off): a cached tool and a miss tool, with no `telemetry.otlp` (traces
 * configured off: no tracer, no context manager in the process) or exporting every span (sampling 1)
 * over OTLP/HTTP, so the export's serialisation and send are paid here, as in production.
 */
import { defineConfig } from '../../src/config/index.js';
import { startGateway } from '../../src/mcp/index.js';
import { PooledIdGenerator } from '../../src/telemetry/id-generator.js';
import { startTracing } from '../../src/telemetry/index.js';
import { trace } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOnSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
} from '@opentelemetry/sdk-trace-base';

const upstreamUrl = process.argv[2]!;
const input = { type: 'object' as const, properties: { id: { type: 'string' } }, required: ['id'] };
const missInput = {
  type: 'object' as const,
  properties: { id: { type: 'string' }, nonce: { type: 'string' } },
  required: ['id', 'nonce'],
};

const endpoint = process.argv[3];

function config(traced: boolean) {
  if (traced && !endpoint) throw new Error('traces on needs the OTLP endpoint');
  return defineConfig({
    server: { name: traced ? 'conduit-traced' : 'conduit-untraced', http: { port: 0 } },
    upstreams: { api: { baseUrl: upstreamUrl } },
    tools: [
      {
        name: 'get_assignment_cached',
        upstream: 'api',
        method: 'GET',
        path: '/assignments/{id}',
        input,
        cache: { ttl: 3_600_000, key: 'assignment:{id}', tags: ['assignment:{id}'] },
      },
      {
        // Every call brings a new nonce: a miss, one upstream attempt span each.
        name: 'get_assignment_miss',
        upstream: 'api',
        method: 'GET',
        path: '/assignments/{id}',
        input: missInput,
        params: { nonce: 'header' as const },
        cache: { ttl: 3_600_000, key: 'assignment:{id}:{nonce}' },
      },
    ],
    // TRACES_STAGE=none: no telemetry section at all (traces-stages.ts: off must cost what none does).
    ...(traced
      ? { telemetry: { sampling: 1, otlp: { endpoint: endpoint! } } }
      : process.env.TRACES_STAGE === 'none'
        ? {}
        : { telemetry: {} }),
  });
}

/**
 * TRACES_STAGE (traces-stages.ts only) stops the traced gateway's work at a stage: `spans` makes every
 * span and exports none (no processor), `batch` batches them for an exporter that drops them.
 */
function stageTracer() {
  const stage = process.env.TRACES_STAGE;
  // The API's no-op tracer: every traced code path runs, its spans record nothing.
  if (stage === 'noop') return { tracer: trace.getTracer('conduit-mcp') };
  if (stage === 'sdk') return sdkTracer();
  // Conduit's recorder, its spans handed to an exporter that drops them (no encoding, no send).
  if (stage === 'recorded')
    return {
      tracer: startTracing({
        exporter: { export: (_s, done) => done({ code: 0 }), shutdown: async () => {} },
      }).tracer,
    };
  if (stage !== 'spans' && stage !== 'batch') return {};
  const exporter = {
    export: (_s: unknown[], done: (r: { code: number }) => void) => done({ code: 0 }),
    shutdown: async () => {},
  };
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'conduit-traced' }),
    sampler: new ParentBasedSampler({ root: new AlwaysOnSampler() }),
    spanProcessors: stage === 'batch' ? [new BatchSpanProcessor(exporter as never)] : [],
  });
  return { tracer: provider.getTracer('conduit-mcp') };
}

/** The OpenTelemetry SDK's own pipeline (span objects, batch processor, OTLP/HTTP JSON exporter), for comparison. */
async function sdkTracer() {
  const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'conduit-traced' }),
    sampler: new ParentBasedSampler({ root: new AlwaysOnSampler() }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: endpoint! }))],
    idGenerator: new PooledIdGenerator(),
  });
  return { tracer: provider.getTracer('conduit-mcp') };
}

const gateway = await startGateway(config(endpoint !== undefined), {
  transport: 'http',
  ...(await stageTracer()),
});
process.stdout.write(`${JSON.stringify({ url: gateway.url })}\n`);
process.on('SIGTERM', () => {
  gateway.close().then(() => process.exit(0));
});
