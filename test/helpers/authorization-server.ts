import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK } from 'jose';

/**
 * A real OAuth 2.1 / OpenID authorization server for tests: panva's certified `oidc-provider` on
 * 127.0.0.1, issuing access tokens for resource indicators (RFC 8707) by client credentials, JWT or
 * opaque by client, with its introspection endpoint (RFC 7662) for the opaque ones. `rotateKeys`
 * swaps the signing keys while it runs; `hang` and `stop` stand in for an IdP outage.
 */
export interface AuthorizationServer {
  readonly issuer: string;
  /** Client credentials grant: an access token for `resource` (and `scope`) as `clientId`. */
  token(options?: { clientId?: string; scope?: string; resource?: string }): Promise<string>;
  /** New signing key first; `keepOld` keeps the previous keys published too. Returns the new kid. */
  rotateKeys(options?: { keepOld?: boolean }): Promise<string>;
  /** Requests from now on get no answer until `resume()` (connections stay open). */
  hang(): void;
  resume(): void;
  /** Requests seen per path (`/jwks`, `/token/introspection`, …). */
  readonly hits: Map<string, number>;
  /** Resolves when the next request for `path` arrives (before it is answered or held). */
  nextRequest(path: string): Promise<void>;
  /** The private signing JWK now in use (tests forge tokens with it, or with its public half). */
  readonly signingKey: JWK;
  close(): Promise<void>;
}

/** Clients of the test issuer: secret = `<id>-secret`. */
export const AS_CLIENTS = {
  /** Gets JWT access tokens. */
  jwt: 'agent-jwt',
  /** Gets opaque access tokens (checked by introspection). */
  opaque: 'agent-opaque',
  /** The gateway itself: authenticates to the introspection endpoint. */
  gateway: 'conduit-gateway',
} as const;

export const clientSecret = (id: string) => `${id}-secret`;

let providerModule: Promise<typeof import('oidc-provider')> | undefined;

// Warnings oidc-provider prints that say nothing about these tests: at import, that Node 20 is not a
// runtime it supports (it asks for a 22+ LTS; all these tests use works on 20), and at construction,
// that its in-memory adapter is for development (which a test's issuer is).
const EXPECTED_WARNINGS = [
  'oidc-provider WARNING: Unsupported runtime',
  'oidc-provider WARNING: a quick start',
];

async function quietly<T>(fn: () => T | Promise<T>): Promise<T> {
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (typeof args[0] === 'string' && EXPECTED_WARNINGS.some((w) => (args[0] as string).includes(w))) return;
    warn(...args);
  };
  try {
    return await fn();
  } finally {
    console.warn = warn;
  }
}

function loadProvider(): Promise<typeof import('oidc-provider')> {
  providerModule ??= quietly(() => import('oidc-provider'));
  return providerModule;
}

async function signingJwk(): Promise<JWK> {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = await exportJWK(privateKey);
  return { ...jwk, alg: 'ES256', use: 'sig', kid: `k-${Math.random().toString(36).slice(2, 10)}` };
}

export async function startAuthorizationServer(options: {
  /** The resource (RFC 8707) tokens are issued for when the client names none. */
  resource: string;
  scopes?: string[];
  /** Extra claims put into every JWT access token (e.g. `{ tenant: 'acme' }`). */
  claims?: Record<string, unknown>;
  /** Access token lifetime, seconds. */
  ttlSeconds?: number;
  /** More clients (oidc-provider client metadata), e.g. one authenticating by `private_key_jwt`. */
  extraClients?: Record<string, unknown>[];
  /** Called on each provider built (at start and on key rotation): register extra grants here. */
  configure?: (provider: import('oidc-provider').Provider) => void;
}): Promise<AuthorizationServer> {
  const { default: Provider } = await loadProvider();
  const scopes = options.scopes ?? ['tools.read', 'tools.write', 'admin'];
  const hits = new Map<string, number>();
  let hanging = false;
  const held: ServerResponse[] = [];
  const waiters: { path: string; resolve: () => void }[] = [];
  let keys: JWK[] = [await signingJwk()];

  const server: Server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const issuer = `http://127.0.0.1:${port}`;

  const build = () => {
    const clients = [AS_CLIENTS.jwt, AS_CLIENTS.opaque, AS_CLIENTS.gateway].map((id) => ({
      client_id: id,
      client_secret: clientSecret(id),
      grant_types: id === AS_CLIENTS.gateway ? [] : ['client_credentials'],
      redirect_uris: [],
      response_types: [],
      scope: scopes.join(' '),
      id_token_signed_response_alg: 'ES256',
    }));
    const provider = new Provider(issuer, {
      clients: [...clients, ...(options.extraClients ?? [])],
      jwks: { keys: keys as never },
      scopes,
      features: {
        devInteractions: { enabled: false },
        clientCredentials: { enabled: true },
        introspection: { enabled: true, allowedPolicy: async () => true },
        resourceIndicators: {
          enabled: true,
          defaultResource: () => options.resource,
          useGrantedResource: () => true,
          getResourceServerInfo: (_ctx, resourceIndicator, client) => ({
            scope: scopes.join(' '),
            audience: resourceIndicator,
            accessTokenTTL: options.ttlSeconds ?? 300,
            accessTokenFormat: client.clientId === AS_CLIENTS.opaque ? 'opaque' : 'jwt',
            jwt: { sign: { alg: 'ES256' } },
          }),
        },
      },
      ttl: { ClientCredentials: options.ttlSeconds ?? 300 },
      extraTokenClaims: () => options.claims ?? {},
    });
    options.configure?.(provider);
    return provider.callback();
  };
  let handler = await quietly(build);

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0]!;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    for (const w of waiters.filter((w) => w.path === path)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
    if (hanging) {
      held.push(res);
      return;
    }
    handler(req, res);
  });

  const tokenUrl = `${issuer}/token`;
  return {
    issuer,
    hits,
    nextRequest: (path) => new Promise<void>((resolve) => waiters.push({ path, resolve })),
    get signingKey() {
      return keys[0]!;
    },
    async token({ clientId = AS_CLIENTS.jwt, scope, resource } = {}) {
      const body = new URLSearchParams({ grant_type: 'client_credentials' });
      if (scope) body.set('scope', scope);
      if (resource) body.set('resource', resource);
      const res = await fetch(tokenUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret(clientId)}`).toString('base64')}`,
        },
        body,
      });
      const json = (await res.json()) as { access_token?: string; error?: string };
      if (!json.access_token) throw new Error(`token request failed: ${JSON.stringify(json)}`);
      return json.access_token;
    },
    async rotateKeys({ keepOld = false } = {}) {
      const next = await signingJwk();
      keys = keepOld ? [next, ...keys] : [next];
      handler = await quietly(build);
      return next.kid!;
    },
    hang() {
      hanging = true;
    },
    resume() {
      hanging = false;
      for (const res of held.splice(0)) res.destroy();
    },
    async close() {
      for (const res of held.splice(0)) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/**
 * A gateway's `server.http.auth` trusting `as` for `resource`: JWT access tokens (`at+jwt`) carrying
 * `tenant`, the `tools.read` scope required, opaque tokens introspected as the gateway's client.
 */
export function gatewayAuth(as: AuthorizationServer, resource: string) {
  return {
    issuer: as.issuer,
    resource,
    tokenType: 'at+jwt' as const,
    claims: ['tenant'],
    requiredScopes: ['tools.read'],
    introspection: { clientId: AS_CLIENTS.gateway, clientSecret: clientSecret(AS_CLIENTS.gateway) },
  };
}
