/** The traces rows' OTLP/HTTP receiver, in its own process: reads each export and drops it. */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const receiver = createServer((req, res) => {
  req.resume();
  req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
});
receiver.keepAliveTimeout = 60_000;
receiver.listen(0, '127.0.0.1', () => {
  const { port } = receiver.address() as AddressInfo;
  process.stdout.write(`${JSON.stringify({ endpoint: `http://127.0.0.1:${port}/v1/traces` })}\n`);
});
process.on('SIGTERM', () => process.exit(0));
