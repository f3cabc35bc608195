// Target server for bench/http, run in its own process so it does not share the bench's event loop.
// Answers every request with the same small JSON document; prints its port on stdout when ready.
import { createServer } from 'node:http';

const body = JSON.stringify({
  id: 12345,
  name: 'conduit bench item',
  tags: ['alpha', 'beta', 'gamma'],
  owner: { id: 7, login: 'octo' },
  active: true,
});
const headers = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
const server = createServer((_req, res) => {
  res.writeHead(200, headers);
  res.end(body);
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${server.address().port}\n`);
});
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
