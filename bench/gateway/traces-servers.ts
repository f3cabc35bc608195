/**
 * One gateway of the traces rows, in its own process (argv: upstream URL, then the OTLP endpoint for
 * traces on, or nothing for off): a cached tool and a miss tool, with no `telemetry.otlp` (traces
 * configured off: no tracer, no context manager in the process) or exporting every span (sampling 1)
 * over OTLP/HTTP, so the export's serialisation and send are paid here, as in production.
 */
import { defineConfig } from '../../src/config/index.js';
import { startGateway } from '../../src/mcp/index.js';

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
    ...(traced ? { telemetry: { sampling: 1, otlp: { endpoint: endpoint! } } } : { telemetry: {} }),
  });
}

const gateway = await startGateway(config(endpoint !== undefined), { transport: 'http' });
process.stdout.write(`${JSON.stringify({ url: gateway.url })}\n`);
process.on('SIGTERM', () => {
  gateway.close().then(() => process.exit(0));
});
