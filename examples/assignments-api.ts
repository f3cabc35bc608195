/**
 * The demo's bundled "assignments" REST API, on its own, so `examples/conduit.yaml` has something to
 * talk to when you serve it yourself (Claude Desktop, the MCP Inspector):
 *
 *   npx tsx examples/assignments-api.ts            # http://127.0.0.1:4010, token "demo-token"
 *   node dist/cli/main.js serve --config examples/conduit.yaml
 *
 * PORT and ASSIGNMENTS_API_TOKEN change the port and the bearer token it requires (the same variables
 * examples/conduit.yaml reads, with the same defaults). Make it misbehave while a client is connected:
 *
 *   curl -X POST http://127.0.0.1:4010/_control/fault -H 'content-type: application/json' -d '{"kind":"error","status":503}'
 *   curl -X DELETE http://127.0.0.1:4010/_control/fault
 *
 * Stops on Ctrl-C (SIGINT) or SIGTERM.
 */
import { startAssignmentsUpstream } from 'conduit-mcp/demo';

const port = Number(process.env.PORT ?? 4010);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  process.stderr.write(`PORT must be an integer from 0 to 65535, got ${JSON.stringify(process.env.PORT)}\n`);
  process.exit(2);
}
const upstream = await startAssignmentsUpstream({
  port,
  token: process.env.ASSIGNMENTS_API_TOKEN ?? 'demo-token',
});
process.stderr.write(
  `assignments API on ${upstream.url} (GET/POST /assignments, GET/PATCH /assignments/{id}; faults: ${upstream.url}/_control/fault)\n`,
);

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  void upstream.close().then(() => process.stderr.write('assignments API stopped\n'));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
