import { Redis } from 'ioredis';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningGateway, startGateway } from '../../src/mcp/index.js';
import {
  AS_CLIENTS,
  type AuthorizationServer,
  clientSecret,
  startAuthorizationServer,
} from '../helpers/authorization-server.js';
import { testConfig } from '../helpers/gateway-config.js';
import { type RedisHandle, startRedis } from '../helpers/redis-server.js';
import { startRecordingUpstream } from '../helpers/token-endpoint.js';
import { TOKEN_EXCHANGE_GRANT, tokenExchangeGrant } from '../helpers/token-exchange-grant.js';
import { connectV1, connectV2 } from '../mcp/helpers/clients.js';

// Two gateway instances behind one public name: callers' tokens are issued for it.
const GATEWAY_RESOURCE = 'https://mcp.example.test/mcp';
const UPSTREAM_AUDIENCE = 'https://api.example.test/';
const SECOND_CALLER = 'agent-two';
const EXCHANGER = 'gateway-exchanger';

type AnyClient = {
  callTool(p: { name: string; arguments: Record<string, unknown> }): Promise<unknown>;
  close(): Promise<void>;
};
type Answer = {
  structuredContent?: { owner?: string; n?: number };
  _meta?: Record<string, Record<string, unknown>>;
  isError?: boolean;
};

let as: AuthorizationServer | undefined;
let redis: RedisHandle;
let api: Awaited<ReturnType<typeof startRecordingUpstream>>;
const grant = tokenExchangeGrant(() => as);
/** Which subject the upstream saw on each call, verified from the exchanged token. */
const owners: string[] = [];
let gwA: RunningGateway;
let gwB: RunningGateway;
const tokens: Record<'alice' | 'bob', string> = { alice: '', bob: '' };
/** When set, the upstream holds each request until `n` have arrived: misses in flight at once. */
let barrier: { arrive(): Promise<void> } | undefined;
function holdUntil(n: number) {
  let arrived = 0;
  let release!: () => void;
  const all = new Promise<void>((r) => {
    release = r;
  });
  barrier = {
    arrive() {
      if (++arrived === n) release();
      return all;
    },
  };
}

function gatewayConfig(prefix: string) {
  return testConfig({
    server: { http: { auth: { issuer: as!.issuer, resource: GATEWAY_RESOURCE } } },
    cache: { prefix, redis: { url: redis.url } },
    upstreams: {
      api: {
        baseUrl: api.url,
        auth: {
          type: 'token-exchange',
          tokenUrl: `${as!.issuer}/token`,
          clientId: EXCHANGER,
          clientSecret: clientSecret(EXCHANGER),
          audience: UPSTREAM_AUDIENCE,
        },
      },
    },
    tools: [
      // The answer depends on who asks (the upstream reads the exchanged token): private by default.
      { name: 'my_items', upstream: 'api', path: '/items', cache: { ttl: '5m', key: 'items' } },
      // Not cached: every call needs the exchanged token.
      { name: 'live_items', upstream: 'api', path: '/live' },
      // Declared the same for everyone.
      { name: 'catalog', upstream: 'api', path: '/catalog', cache: { ttl: '5m', scope: 'shared' } },
      {
        name: 'touch_items',
        upstream: 'api',
        method: 'POST',
        path: '/items',
        invalidates: { keys: ['items'] },
      },
    ],
  });
}

beforeAll(async () => {
  redis = await startRedis();
  as = await startAuthorizationServer({
    resource: GATEWAY_RESOURCE,
    configure: grant.configure,
    extraClients: [
      {
        client_id: SECOND_CALLER,
        client_secret: clientSecret(SECOND_CALLER),
        grant_types: ['client_credentials'],
        redirect_uris: [],
        response_types: [],
        scope: 'tools.read',
        id_token_signed_response_alg: 'ES256',
      },
      {
        client_id: EXCHANGER,
        client_secret: clientSecret(EXCHANGER),
        grant_types: [TOKEN_EXCHANGE_GRANT],
        redirect_uris: [],
        response_types: [],
        id_token_signed_response_alg: 'ES256',
      },
    ],
  });
  api = await startRecordingUpstream(async (token) => {
    if (barrier) await barrier.arrive();
    try {
      const keys = (await (await fetch(`${as!.issuer}/jwks`)).json()) as never;
      const { payload } = await jwtVerify(token, createLocalJWKSet(keys), {
        issuer: as!.issuer,
        audience: UPSTREAM_AUDIENCE,
      });
      owners.push(String(payload.sub));
      return { owner: payload.sub };
    } catch {
      return false;
    }
  });
  const prefix = `pcc-${Date.now()}`;
  gwA = await startGateway(gatewayConfig(prefix), { transport: 'http' });
  gwB = await startGateway(gatewayConfig(prefix), { transport: 'http' });
  tokens.alice = await as.token({ clientId: AS_CLIENTS.jwt, resource: GATEWAY_RESOURCE });
  tokens.bob = await as.token({ clientId: SECOND_CALLER, resource: GATEWAY_RESOURCE });
});
afterAll(async () => {
  await gwA?.close();
  await gwB?.close();
  await api?.close();
  await as?.close();
  await redis?.stop();
});

const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
const connectors: [string, (url: string, h: Record<string, string>) => Promise<AnyClient>][] = [
  ['v2 client, 2026-07-28', (url, h) => connectV2(url, 'modern', h) as Promise<AnyClient>],
  ['v2 client, 2025 session', (url, h) => connectV2(url, 'legacy', h) as Promise<AnyClient>],
  ['v1 client, 2025 session', (url, h) => connectV1(url, h) as Promise<AnyClient>],
];

describe('per-caller upstream credentials never mix cached answers', () => {
  it.each(connectors)(
    'two principals, two instances, one Redis: each only ever gets their own answer (%s)',
    async (_name, connect) => {
      const touch = await connect(gwA.url!, bearer(tokens.alice));
      await touch.callTool({ name: 'touch_items', arguments: {} }); // a clean slate for this era
      await touch.close();
      const aliceA = await connect(gwA.url!, bearer(tokens.alice));
      const bobB = await connect(gwB.url!, bearer(tokens.bob));
      const aliceB = await connect(gwB.url!, bearer(tokens.alice));
      const bobA = await connect(gwA.url!, bearer(tokens.bob));
      try {
        const seen: { who: string; token: string | undefined }[] = [];
        const call = async (client: AnyClient, who: 'alice' | 'bob') => {
          const before = api.seen.length;
          const r = (await client.callTool({ name: 'my_items', arguments: {} })) as Answer;
          expect(r.isError).toBeFalsy();
          expect(r._meta?.['conduit/cache']).toMatchObject({ cacheScope: 'private', ttlMs: 300_000 });
          // A fresh answer: the upstream saw this caller's exchanged token. A cached one: it was stored
          // under this caller's key (the upstream saw no call).
          if (api.seen.length > before) seen.push({ who, token: api.seen.at(-1)!.token });
          // Fresh or cached, the answer is the one the upstream gave this caller.
          expect(r.structuredContent?.owner).toBe(who === 'alice' ? AS_CLIENTS.jwt : SECOND_CALLER);
          return r;
        };
        const ownersBefore = owners.length;
        await call(aliceA, 'alice');
        await call(bobB, 'bob');
        const aliceCached = await call(aliceB, 'alice'); // from Redis, written by instance A
        const bobCached = await call(bobA, 'bob');
        expect(aliceCached._meta?.['conduit/cache']?.source).toBe('cache');
        expect(bobCached._meta?.['conduit/cache']?.source).toBe('cache');
        // The upstream was called once per principal, each time with that principal's own token.
        expect(owners.slice(ownersBefore)).toEqual([AS_CLIENTS.jwt, SECOND_CALLER]);
        expect(seen.map((s) => s.who)).toEqual(['alice', 'bob']);
        // Again, in the other order, on the other instances: still each their own.
        await call(bobA, 'bob');
        await call(aliceB, 'alice');
        await call(aliceA, 'alice');
        await call(bobB, 'bob');
        expect(owners.length - ownersBefore).toBe(2);
      } finally {
        for (const c of [aliceA, bobB, aliceB, bobA]) await c.close();
      }
    },
  );

  it('Redis holds private answers under keys that name no caller, client or issuer in clear', async () => {
    const alice = await connectV2(gwA.url!, 'modern', bearer(tokens.alice));
    const raw = new Redis(redis.url);
    try {
      const r = (await alice.callTool({ name: 'my_items', arguments: {} })) as Answer;
      expect(r.isError).toBeFalsy();
      const keys = await raw.keys('*');
      const items = keys.filter((k) => k.includes('items'));
      expect(items.length).toBeGreaterThan(0);
      const issuerHost = new URL(as!.issuer).host;
      for (const k of keys) {
        expect(k).not.toContain(AS_CLIENTS.jwt);
        expect(k).not.toContain(encodeURIComponent(AS_CLIENTS.jwt));
        expect(k).not.toContain(issuerHost);
        expect(k).not.toContain(encodeURIComponent(issuerHost));
      }
    } finally {
      raw.disconnect();
      await alice.close();
    }
  });

  it('two principals missing the same key at the same moment each get their own upstream answer', async () => {
    const alice = await connectV2(gwA.url!, 'modern', bearer(tokens.alice));
    const bob = await connectV1(gwA.url!, bearer(tokens.bob));
    try {
      await alice.callTool({ name: 'touch_items', arguments: {} }); // both copies gone
      const before = owners.length;
      // Neither request is answered before both reached the upstream: no single-flight joins them.
      holdUntil(2);
      const [a, b] = (await Promise.all([
        alice.callTool({ name: 'my_items', arguments: {} }),
        bob.callTool({ name: 'my_items', arguments: {} }),
      ])) as [Answer, Answer];
      barrier = undefined;
      expect(a.structuredContent?.owner).toBe(AS_CLIENTS.jwt);
      expect(b.structuredContent?.owner).toBe(SECOND_CALLER);
      expect(new Set(owners.slice(before))).toEqual(new Set([AS_CLIENTS.jwt, SECOND_CALLER]));
    } finally {
      barrier = undefined;
      await alice.close();
      await bob.close();
    }
  });

  it("invalidating the key reaches every caller's private copy", async () => {
    const alice = await connectV2(gwA.url!, 'modern', bearer(tokens.alice));
    const bob = await connectV2(gwB.url!, 'modern', bearer(tokens.bob));
    try {
      await alice.callTool({ name: 'my_items', arguments: {} });
      await bob.callTool({ name: 'my_items', arguments: {} });
      const before = owners.length;
      await alice.callTool({ name: 'touch_items', arguments: {} });
      const a = (await alice.callTool({ name: 'my_items', arguments: {} })) as Answer;
      const b = (await bob.callTool({ name: 'my_items', arguments: {} })) as Answer;
      expect(a._meta?.['conduit/cache']?.source).toBe('upstream');
      expect(b._meta?.['conduit/cache']?.source).toBe('upstream');
      // touch_items itself went upstream as alice; then each caller's fresh copy.
      expect(owners.slice(before)).toEqual([AS_CLIENTS.jwt, AS_CLIENTS.jwt, SECOND_CALLER]);
    } finally {
      await alice.close();
      await bob.close();
    }
  });

  it('a tool declared cache.scope: shared serves one answer to every caller, hinted public', async () => {
    const alice = await connectV2(gwA.url!, 'modern', bearer(tokens.alice));
    const bob = await connectV2(gwB.url!, 'modern', bearer(tokens.bob));
    try {
      const before = api.seen.length;
      const a = (await alice.callTool({ name: 'catalog', arguments: {} })) as Answer;
      const b = (await bob.callTool({ name: 'catalog', arguments: {} })) as Answer;
      expect(a._meta?.['conduit/cache']).toMatchObject({ cacheScope: 'public' });
      expect(b._meta?.['conduit/cache']?.source).toBe('cache');
      expect(api.seen.length - before).toBe(1);
    } finally {
      await alice.close();
      await bob.close();
    }
  });

  it('exchanges each caller token once and reuses it per subject', () => {
    // Two subjects, two instances sharing exchanged tokens through Redis: at most one exchange per subject.
    expect(new Set(grant.stats.subjects)).toEqual(new Set([AS_CLIENTS.jwt, SECOND_CALLER]));
    expect(grant.stats.exchanges).toBe(2);
  });

  it("two instances share one caller token's exchange through Redis: one exchange, the same token upstream", async () => {
    // A new token of the same user: its own exchange, which neither instance holds yet.
    const fresh = await as!.token({ clientId: AS_CLIENTS.jwt, resource: GATEWAY_RESOURCE });
    const before = grant.stats.exchanges;
    const onA = await connectV2(gwA.url!, 'modern', bearer(fresh));
    const onB = await connectV1(gwB.url!, bearer(fresh));
    try {
      const sent: (string | undefined)[] = [];
      for (const client of [onA, onB, onA, onB]) {
        const r = (await client.callTool({ name: 'live_items', arguments: {} })) as Answer;
        expect(r.isError).toBeFalsy();
        expect(r.structuredContent?.owner).toBe(AS_CLIENTS.jwt);
        sent.push(api.seen.at(-1)!.token);
      }
      expect(grant.stats.exchanges - before).toBe(1);
      expect(new Set(sent).size).toBe(1);
    } finally {
      await onA.close();
      await onB.close();
    }
  });
});
