/**
 * The per-caller row's gateway, in its own process: a JWKS endpoint with one ES256 key and a Conduit
 * gateway with `server.http.auth` whose upstream (argv[2]) gets the caller's own token (`auth.type:
 * forward`, a per-caller credential). Two cached tools on it: `items_private` (private by default:
 * keyed per principal) and `items_shared` (`cache.scope: shared`). Prints the URL and a token.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { defineConfig } from '../../src/config/index.js';
import { startGateway } from '../../src/mcp/index.js';

const upstreamUrl = process.argv[2]!;
const { publicKey, privateKey } = await generateKeyPair('ES256');
const jwk = { ...(await exportJWK(publicKey)), kid: 'bench', alg: 'ES256', use: 'sig' };
const jwks = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ keys: [jwk] }));
});
jwks.listen(0, '127.0.0.1');
await once(jwks, 'listening');
const issuer = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}`;
const resource = 'https://mcp.bench.test/mcp';

const input = { type: 'object' as const, properties: { id: { type: 'string' } }, required: ['id'] };
const tool = (name: string, scope?: 'shared') => ({
  name,
  upstream: 'api',
  method: 'GET' as const,
  path: '/assignments/{id}',
  input,
  cache: { ttl: 3_600_000, key: `${name}:{id}`, ...(scope ? { scope } : {}) },
});
const gw = await startGateway(
  defineConfig({
    server: {
      name: 'conduit-bench-per-caller',
      http: { port: 0, auth: { issuer, resource, jwksUri: `${issuer}/jwks`, tokenType: 'at+jwt' } },
    },
    upstreams: { api: { baseUrl: upstreamUrl, auth: { type: 'forward' } } },
    tools: [tool('items_private'), tool('items_shared', 'shared')],
  }),
  { transport: 'http' },
);
const now = Math.floor(Date.now() / 1000);
const token = await new SignJWT({ scope: 'assignments.read', client_id: 'bench' })
  .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'bench' })
  .setIssuer(issuer)
  .setAudience(resource)
  .setSubject('bench-user')
  .setIssuedAt(now)
  .setExpirationTime(now + 3600)
  .sign(privateKey);
process.stdout.write(`${JSON.stringify({ url: gw.url, token })}\n`);
process.on('SIGTERM', () => {
  gw.close().then(() => process.exit(0));
});
