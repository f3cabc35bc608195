/** The bench's upstream, in its own process: a fixed JSON answer for GET /assignments/{id}. */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const body = JSON.stringify({
  id: '1',
  title: 'Benchmark the gateway',
  userId: 'u1',
  done: false,
  tags: ['a', 'b'],
});
const server = createServer((req, res) => {
  const id = req.url?.split('/')[2] ?? '1';
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(id === '1' ? body : body.replace('"1"', JSON.stringify(id)));
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(
    `${JSON.stringify({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })}\n`,
  );
});
process.on('SIGTERM', () => process.exit(0));
