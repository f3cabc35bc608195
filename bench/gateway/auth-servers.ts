/**
 * The authenticated-hit row's servers, in their own process: a JWKS endpoint with one ES256 key, and
 * two Conduit gateways with the same cached tool in front of the upstream of argv[2], one without
 * client auth and one with `server.http.auth` (JWT access tokens checked against that JWKS) and a
 * `policy` the tool passes. Prints both URLs and a valid access token.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { defineConfig, type GatewayConfigInput } from '../../src/config/index.js';
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

async function freePort(): Promise<number> {
  const s = createServer();
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

const input = { type: 'object' as const, properties: { id: { type: 'string' } }, required: ['id'] };
const base = (http: NonNullable<GatewayConfigInput['server']>['http']): GatewayConfigInput => ({
  server: { name: 'conduit-bench-auth', http },
  upstreams: { api: { baseUrl: upstreamUrl } },
  tools: [
    {
      name: 'get_assignment_cached',
      upstream: 'api',
      method: 'GET',
      path: '/assignments/{id}',
      input,
      cache: { ttl: 3_600_000, key: 'assignment:{id}' },
    },
  ],
});

const plain = await startGateway(defineConfig(base({ port: 0 })), { transport: 'http' });
const port = await freePort();
const resource = `http://127.0.0.1:${port}/mcp`;
const authed = await startGateway(
  defineConfig({
    ...base({
      port,
      auth: { issuer, resource, jwksUri: `${issuer}/jwks`, tokenType: 'at+jwt', claims: ['tenant'] },
    }),
    policy: {
      default: 'deny',
      rules: [
        { effect: 'deny', tools: ['delete_*'], when: { subjects: ['nobody'] } },
        { tools: ['get_*'], when: { scopes: ['assignments.read'], claims: { tenant: 'acme' } } },
      ],
    },
  }),
  { transport: 'http' },
);
const now = Math.floor(Date.now() / 1000);
const token = await new SignJWT({ scope: 'assignments.read', client_id: 'bench', tenant: 'acme' })
  .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'bench' })
  .setIssuer(issuer)
  .setAudience(resource)
  .setSubject('bench-user')
  .setIssuedAt(now)
  .setExpirationTime(now + 3600)
  .sign(privateKey);
process.stdout.write(`${JSON.stringify({ plainUrl: plain.url, authUrl: authed.url, token })}\n`);
process.on('SIGTERM', () => {
  Promise.all([plain.close(), authed.close()]).then(() => process.exit(0));
});
