import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@modelcontextprotocol/client';
import { InMemoryTransport } from '@modelcontextprotocol/server';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type Clock, createRecordingLogger, systemClock } from '../../src/core/index.js';
import { createGateway, type Gateway } from '../../src/mcp/index.js';
import { withSecrets } from '../../src/config/secrets.js';
import { type TestConfigInput, testConfig } from '../helpers/gateway-config.js';
import { startRecordingUpstream, startScriptedTokenEndpoint } from '../helpers/token-endpoint.js';
import { type RedisHandle, startRedis } from '../helpers/redis-server.js';

const SECRET = 'cc-secret-value-4f1e9a';

/** The real clock, with `now()` movable ahead: timers (retries, deadlines) still run for real. */
function shiftedClock() {
  let offset = 0;
  const clock: Clock & { advance(ms: number): void } = {
    now: () => systemClock.now() + offset,
    setTimeout: systemClock.setTimeout,
    clearTimeout: systemClock.clearTimeout,
    advance(ms) {
      offset += ms;
    },
  };
  return clock;
}

function ccConfig(
  idpUrl: string,
  upstreamUrl: string,
  auth: Record<string, unknown> = {},
  extra: Partial<TestConfigInput> = {},
): TestConfigInput {
  return {
    upstreams: {
      api: {
        baseUrl: upstreamUrl,
        auth: {
          type: 'oauth2',
          grant: 'client_credentials',
          tokenUrl: idpUrl,
          clientId: 'gateway-client',
          clientSecret: SECRET,
          scopes: ['items.read', 'items.write'],
          audience: 'https://api.example.test',
          resource: 'https://api.example.test/',
          ...auth,
        } as never,
      },
    },
    tools: [
      {
        name: 'get_item',
        upstream: 'api',
        path: '/items/{id}',
        input: { type: 'object', properties: { id: { type: 'string' } } },
      },
    ],
    ...extra,
  };
}

async function connect(gw: Gateway) {
  const [a, b] = InMemoryTransport.createLinkedPair();
  const server = gw.createServer();
  await server.connect(a);
  const client = new Client({ name: 'test', version: '1' });
  await client.connect(b);
  return client;
}

type Result = Awaited<ReturnType<Client['callTool']>>;
const codeOf = (r: Result) =>
  (r._meta as Record<string, { code?: string }> | undefined)?.['conduit/error']?.code;
const textOf = (r: Result) => (r.content as { type: string; text: string }[]).map((c) => c.text).join('\n');

describe('upstream auth: oauth2 client_credentials', () => {
  let idp: Awaited<ReturnType<typeof startScriptedTokenEndpoint>>;
  let api: Awaited<ReturnType<typeof startRecordingUpstream>>;
  const open: { gw: Gateway; client: Client }[] = [];
  let rejectNext = 0;
  let rejectAll = false;

  const start = async (
    auth: Record<string, unknown> = {},
    deps: Parameters<typeof createGateway>[1] = {},
    extra: Partial<TestConfigInput> = {},
  ) => {
    const config = withSecrets(testConfig(ccConfig(idp.url, api.url, auth, extra)), [SECRET]);
    const gw = createGateway(config, deps);
    await gw.ready();
    const client = await connect(gw);
    open.push({ gw, client });
    return { gw, client };
  };

  beforeAll(async () => {
    api = await startRecordingUpstream(() => {
      if (rejectAll) return false;
      if (rejectNext > 0) {
        rejectNext--;
        return false;
      }
      return true;
    });
  });
  afterEach(async () => {
    for (const { gw, client } of open.splice(0)) {
      await client.close();
      await gw.close();
    }
    await idp?.close();
    rejectNext = 0;
    rejectAll = false;
    api.seen.length = 0;
  });
  afterAll(async () => {
    await api?.close();
  });

  it('sends the token it got for the client, and asks for it once however many calls wait', async () => {
    idp = await startScriptedTokenEndpoint();
    const release = idp.willHold();
    const { client } = await start();
    const calls = Array.from({ length: 12 }, (_, i) =>
      client.callTool({ name: 'get_item', arguments: { id: String(i) } }),
    );
    await vi.waitFor(() => expect(idp.requests.length).toBe(1));
    release();
    const results = await Promise.all(calls);
    expect(results.every((r) => !r.isError)).toBe(true);
    expect(idp.requests.length).toBe(1);
    expect(new Set(api.seen.map((s) => s.token))).toEqual(new Set(['held-1']));
    // The upstream echoed the token in its answer: the client gets it redacted.
    expect(results[0]!.structuredContent).toMatchObject({ token: '[REDACTED]' });
    const req = idp.requests[0]!;
    expect(req.form.get('grant_type')).toBe('client_credentials');
    expect(req.form.get('scope')).toBe('items.read items.write');
    expect(req.form.get('audience')).toBe('https://api.example.test');
    expect(req.form.get('resource')).toBe('https://api.example.test/');
    // RFC 6749 2.3.1: id and secret are form-encoded before they are joined and base64-encoded.
    const basic = Buffer.from(req.authorization!.replace(/^Basic /, ''), 'base64').toString('utf8');
    expect(basic.split(':').map(decodeURIComponent)).toEqual(['gateway-client', SECRET]);
    // Later calls reuse the held token.
    await client.callTool({ name: 'get_item', arguments: { id: 'x' } });
    expect(idp.requests.length).toBe(1);
  });

  it('authenticates with client_secret_post when told to', async () => {
    idp = await startScriptedTokenEndpoint();
    const { client } = await start({ clientAuth: 'client_secret_post' });
    const r = await client.callTool({ name: 'get_item', arguments: { id: '1' } });
    expect(r.isError).toBeFalsy();
    expect(idp.requests[0]!.authorization).toBeUndefined();
    expect(idp.requests[0]!.form.get('client_id')).toBe('gateway-client');
    expect(idp.requests[0]!.form.get('client_secret')).toBe(SECRET);
  });

  it('on an upstream 401 drops the token, fetches a new one once and retries the call once', async () => {
    idp = await startScriptedTokenEndpoint();
    const { client } = await start();
    expect((await client.callTool({ name: 'get_item', arguments: { id: '1' } })).isError).toBeFalsy();
    rejectNext = 1;
    const r = await client.callTool({ name: 'get_item', arguments: { id: '2' } });
    expect(r.isError).toBeFalsy();
    expect(api.seen.at(-1)!.token).toBe('tok-2');
    expect(idp.requests.length).toBe(2);
    expect(api.seen.slice(-2).map((s) => s.token)).toEqual(['tok-1', 'tok-2']);
  });

  it('a second 401 is the answer: no loop of token requests', async () => {
    idp = await startScriptedTokenEndpoint();
    const { client } = await start();
    rejectAll = true;
    const r = await client.callTool({ name: 'get_item', arguments: { id: '1' } });
    expect(r.isError).toBe(true);
    expect(codeOf(r)).toBe('HTTP_STATUS');
    expect(idp.requests.length).toBe(2);
    expect(api.seen.length).toBe(2);
  });

  it('an already-expired token is used once and never kept: the next call asks again', async () => {
    idp = await startScriptedTokenEndpoint();
    idp.willIssue('dead-on-arrival', 0);
    const { client } = await start();
    await client.callTool({ name: 'get_item', arguments: { id: '1' } });
    expect(api.seen.at(-1)!.token).toBe('dead-on-arrival');
    await client.callTool({ name: 'get_item', arguments: { id: '2' } });
    expect(api.seen.at(-1)!.token).toBe('tok-1');
    expect(idp.requests.length).toBe(2);
  });

  it('a token endpoint answering 500 is retried behind the resilience core', async () => {
    idp = await startScriptedTokenEndpoint();
    idp.willFail(500);
    const { client } = await start();
    const r = await client.callTool({ name: 'get_item', arguments: { id: '1' } });
    expect(r.isError).toBeFalsy();
    expect(idp.requests.length).toBe(2);
  });

  it('a failing token endpoint is a tool error naming the credential; the upstream is never called', async () => {
    idp = await startScriptedTokenEndpoint();
    for (let i = 0; i < 3; i++) idp.willFail(500);
    const { client } = await start();
    const r = await client.callTool({ name: 'get_item', arguments: { id: '1' } });
    expect(r.isError).toBe(true);
    expect(codeOf(r)).toBe('UPSTREAM_CREDENTIAL_UNAVAILABLE');
    expect(api.seen.length).toBe(0);
    expect(idp.requests.length).toBe(3); // the default retry: three attempts
  });

  it('an OAuth error answer (invalid_client) is reported by its code, with no secret', async () => {
    idp = await startScriptedTokenEndpoint();
    idp.willFail(401, { error: 'invalid_client', error_description: `client secret ${SECRET} is wrong` });
    const { client } = await start();
    const r = await client.callTool({ name: 'get_item', arguments: { id: '1' } });
    expect(codeOf(r)).toBe('UPSTREAM_CREDENTIAL_UNAVAILABLE');
    expect(textOf(r)).toContain('invalid_client');
    expect(textOf(r)).not.toContain(SECRET);
    expect(idp.requests.length).toBe(1); // a refusal is not retried
  });

  it('a token endpoint that is down is a tool error, not a crash', async () => {
    idp = await startScriptedTokenEndpoint();
    const url = idp.url;
    await idp.close();
    const config = withSecrets(testConfig(ccConfig(url, api.url)), [SECRET]);
    const gw = createGateway(config);
    const client = await connect(gw);
    open.push({ gw, client });
    const r = await client.callTool({ name: 'get_item', arguments: { id: '1' } });
    expect(codeOf(r)).toBe('UPSTREAM_CREDENTIAL_UNAVAILABLE');
    idp = await startScriptedTokenEndpoint(); // for afterEach
  });

  it('a slow token endpoint is cut at auth.timeout', async () => {
    idp = await startScriptedTokenEndpoint();
    const release = idp.willHold();
    const { client } = await start({ timeout: '150ms' });
    const r = await client.callTool({ name: 'get_item', arguments: { id: '1' } });
    expect(codeOf(r)).toBe('UPSTREAM_CREDENTIAL_UNAVAILABLE');
    expect(textOf(r)).toContain('TIMEOUT');
    release();
  });

  it('replaces a token ahead of expiry with one request while the calls meanwhile are served at once', async () => {
    idp = await startScriptedTokenEndpoint(300);
    const clock = shiftedClock();
    const { client } = await start({}, { clock });
    await client.callTool({ name: 'get_item', arguments: { id: '0' } });
    const release = idp.willHold({ kind: 'token', token: 'ahead-2', expiresIn: 300 });
    clock.advance(250_000); // inside refreshBefore (60 s), not expired
    const calls = await Promise.all(
      Array.from({ length: 10 }, (_, i) => client.callTool({ name: 'get_item', arguments: { id: `r${i}` } })),
    );
    // Answered with the old token while the replacement is still held at the endpoint.
    expect(calls.every((r) => !r.isError)).toBe(true);
    expect(api.seen.slice(-10).every((s) => s.token === 'tok-1')).toBe(true);
    await idp.received(2);
    release();
    await vi.waitFor(async () => {
      await client.callTool({ name: 'get_item', arguments: { id: 'after' } });
      expect(api.seen.at(-1)!.token).toBe('ahead-2');
    });
    expect(idp.requests.length).toBe(2);
  });

  it('during an identity provider outage a still-valid token keeps serving', async () => {
    idp = await startScriptedTokenEndpoint(300);
    const clock = shiftedClock();
    const logger = createRecordingLogger();
    const { client } = await start({}, { clock, logger });
    expect((await client.callTool({ name: 'get_item', arguments: { id: '1' } })).isError).toBeFalsy();
    for (let i = 0; i < 3; i++) idp.willFail(503);
    clock.advance(250_000); // due for refresh (60 s ahead), not expired
    expect((await client.callTool({ name: 'get_item', arguments: { id: '2' } })).isError).toBeFalsy();
    expect(api.seen.at(-1)!.token).toBe('tok-1');
    await vi.waitFor(() =>
      expect(logger.records.some((r) => r.event === 'credentials.refresh_failed')).toBe(true),
    );
    expect((await client.callTool({ name: 'get_item', arguments: { id: '3' } })).isError).toBeFalsy();
    expect(api.seen.at(-1)!.token).toBe('tok-1');
    // Past the real expiry there is nothing valid left: the call waits for a new token.
    clock.advance(60_000);
    expect((await client.callTool({ name: 'get_item', arguments: { id: '4' } })).isError).toBeFalsy();
    expect(api.seen.at(-1)!.token).toBe('tok-2');
  });

  it('a dead identity provider opens the token endpoint breaker: calls then fail without a request, until recovery', async () => {
    idp = await startScriptedTokenEndpoint();
    for (let i = 0; i < 200; i++) idp.willFail(503);
    const clock = shiftedClock();
    const { client } = await start({}, { clock });
    const perCall: number[] = [];
    let failedFast: Result | undefined;
    // Bounded: the default window (10 calls at least, half failing) opens well within 20 calls.
    for (let i = 0; i < 20 && failedFast === undefined; i++) {
      const before = idp.requests.length;
      const r = await client.callTool({ name: 'get_item', arguments: { id: String(i) } });
      expect(codeOf(r)).toBe('UPSTREAM_CREDENTIAL_UNAVAILABLE');
      perCall.push(idp.requests.length - before);
      if (idp.requests.length === before) failedFast = r;
    }
    expect(failedFast, `token requests per call: ${perCall.join(',')}`).toBeDefined();
    expect(textOf(failedFast!)).toContain('CIRCUIT_OPEN');
    expect(api.seen.length).toBe(0);
    // Past the breaker's recovery time a probe goes through; the recovered endpoint issues a token.
    idp.requests.length = 0;
    while (idp.pending > 0) idp.dropQueued();
    clock.advance(30_000);
    const r = await client.callTool({ name: 'get_item', arguments: { id: 'after' } });
    expect(r.isError).toBeFalsy();
    expect(idp.requests.length).toBe(1);
    expect(api.seen.at(-1)!.token).toBe('tok-1');
  });

  it.each([
    [
      'a token type other than bearer',
      { token_type: 'DPoP', access_token: 'dpop-token-1234', expires_in: 300 },
    ],
    ['no access_token', { token_type: 'Bearer', expires_in: 300 }],
    ['an empty access_token', { token_type: 'Bearer', access_token: '', expires_in: 300 }],
    ['a body that is not an object', 'just text'],
    [
      'an expires_in that is not a number',
      { token_type: 'Bearer', access_token: 'odd-token-1234', expires_in: 'soon' },
    ],
  ])(
    'a token endpoint answering 200 with %s is a credential error; nothing is sent upstream',
    async (_what, body) => {
      idp = await startScriptedTokenEndpoint();
      idp.willFail(200, body);
      const { client } = await start();
      const r = await client.callTool({ name: 'get_item', arguments: { id: '1' } });
      expect(codeOf(r)).toBe('UPSTREAM_CREDENTIAL_UNAVAILABLE');
      expect(api.seen.length).toBe(0);
      expect(textOf(r)).not.toMatch(/dpop-token-1234|odd-token-1234/);
    },
  );

  it('an upstream error that quotes the token it was sent carries it to no tool error or log', async () => {
    idp = await startScriptedTokenEndpoint();
    idp.willIssue('echoed-token-77f1c2a9', 300);
    const echo = createServer((req, res) => {
      const auth = String(req.headers.authorization ?? '');
      res.writeHead(403, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({ error: `token ${auth} lacks access`, raw: auth.slice(7), b64: btoa(auth.slice(7)) }),
      );
    });
    echo.listen(0, '127.0.0.1');
    await once(echo, 'listening');
    const echoUrl = `http://127.0.0.1:${(echo.address() as AddressInfo).port}`;
    const logger = createRecordingLogger();
    try {
      const config = withSecrets(testConfig(ccConfig(idp.url, echoUrl)), [SECRET]);
      const gw = createGateway(config, { logger });
      const client = await connect(gw);
      open.push({ gw, client });
      const r = await client.callTool({ name: 'get_item', arguments: { id: '1' } });
      expect(codeOf(r)).toBe('HTTP_STATUS');
      expect(textOf(r)).toContain('lacks access');
      const all = `${textOf(r)}\n${JSON.stringify(r._meta)}\n${JSON.stringify(logger.records)}`;
      expect(all).not.toContain('echoed-token-77f1c2a9');
      expect(all).not.toContain(btoa('echoed-token-77f1c2a9'));
    } finally {
      echo.closeAllConnections();
      await new Promise<void>((r) => echo.close(() => r()));
    }
  });

  it('a client secret written into the config itself, not read from the environment, is scrubbed from upstream answers and the audit too', async () => {
    idp = await startScriptedTokenEndpoint();
    const literal = 'literal-grant-secret-5d2e';
    const leaky = await startRecordingUpstream(() => ({ leak: literal, nested: { b64: btoa(literal) } }));
    const dir = mkdtempSync(join(tmpdir(), 'conduit-cc-audit-'));
    const path = join(dir, 'audit.jsonl');
    try {
      // Built by hand: no value of it came from the environment, so only the grant says it is secret.
      const config = testConfig({
        ...ccConfig(idp.url, leaky.url, { clientSecret: literal }),
        audit: { destination: 'file', path, arguments: { get_item: ['id'] } },
      });
      const gw = createGateway(config);
      const client = await connect(gw);
      const r = await client.callTool({ name: 'get_item', arguments: { id: literal } });
      await client.close();
      await gw.close();
      expect(r.isError).toBeFalsy();
      expect(r.structuredContent).toMatchObject({ leak: '[REDACTED]', nested: { b64: '[REDACTED]' } });
      const audit = readFileSync(path, 'utf8');
      expect(audit).toContain('get_item');
      expect(audit).not.toContain(literal);
    } finally {
      await leaky.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('never lets the client secret or a token reach logs, tool errors or metrics', async () => {
    idp = await startScriptedTokenEndpoint();
    idp.willIssue('tok-secret-aaaaaaaa', 300);
    idp.willIssue('tok-secret-bbbbbbbb', 300);
    const logger = createRecordingLogger();
    const { gw, client } = await start({}, { logger });
    const texts: string[] = [];
    rejectAll = true; // every upstream answer is a 401 that echoes nothing; two tokens are spent
    texts.push(textOf(await client.callTool({ name: 'get_item', arguments: { id: '1' } })));
    rejectAll = false;
    idp.willFail(400, { error: 'invalid_scope', error_description: `bad ${SECRET} tok-secret-aaaaaaaa` });
    for (let i = 0; i < 3; i++) idp.willFail(500, { error: 'server_error', error_description: SECRET });
    texts.push(textOf(await client.callTool({ name: 'get_item', arguments: { id: '2' } })));
    const all = [JSON.stringify(logger.records), ...texts, await gw.metrics!.metrics()].join('\n');
    for (const secret of [SECRET, 'tok-secret-aaaaaaaa', 'tok-secret-bbbbbbbb']) {
      expect(all).not.toContain(secret);
      expect(all).not.toContain(Buffer.from(secret).toString('base64'));
    }
    expect(all).not.toContain(Buffer.from(`gateway-client:${SECRET}`).toString('base64'));
  });
});

describe('upstream auth: client_credentials shared by two instances through Redis', () => {
  let redis: RedisHandle;
  let idp: Awaited<ReturnType<typeof startScriptedTokenEndpoint>>;
  let api: Awaited<ReturnType<typeof startRecordingUpstream>>;
  beforeAll(async () => {
    redis = await startRedis();
    idp = await startScriptedTokenEndpoint();
    api = await startRecordingUpstream();
  });
  afterAll(async () => {
    await idp?.close();
    await api?.close();
    await redis?.stop();
  });

  it('two instances asking at the same moment cost the identity provider one request', async () => {
    const extra = { cache: { prefix: `cc-${Date.now()}`, redis: { url: redis.url } } };
    const make = async () => {
      const gw = createGateway(withSecrets(testConfig(ccConfig(idp.url, api.url, {}, extra)), [SECRET]));
      await gw.ready();
      return { gw, client: await connect(gw) };
    };
    const a = await make();
    const b = await make();
    try {
      const release = idp.willHold();
      const first = a.client.callTool({ name: 'get_item', arguments: { id: 'a' } });
      await vi.waitFor(() => expect(idp.requests.length).toBe(1));
      const second = b.client.callTool({ name: 'get_item', arguments: { id: 'b' } });
      release();
      const [ra, rb] = await Promise.all([first, second]);
      expect(ra.isError || rb.isError).toBeFalsy();
      expect(api.seen.map((x) => x.token)).toEqual(['held-1', 'held-1']);
      expect(idp.requests.length).toBe(1);
      // A third instance started later adopts the stored token too.
      const c = await make();
      try {
        await c.client.callTool({ name: 'get_item', arguments: { id: 'c' } });
        expect(api.seen.at(-1)!.token).toBe('held-1');
        expect(idp.requests.length).toBe(1);
      } finally {
        await c.client.close();
        await c.gw.close();
      }
    } finally {
      for (const x of [a, b]) {
        await x.client.close();
        await x.gw.close();
      }
    }
  });

  it("a token the upstream revoked is replaced once for both instances: the second adopts the first's replacement", async () => {
    const revoked = new Set<string>();
    const strict = await startRecordingUpstream((token) => !revoked.has(token));
    const extra = { cache: { prefix: `cc-revoke-${Date.now()}`, redis: { url: redis.url } } };
    const make = async () => {
      const gw = createGateway(withSecrets(testConfig(ccConfig(idp.url, strict.url, {}, extra)), [SECRET]));
      await gw.ready();
      return { gw, client: await connect(gw) };
    };
    const a = await make();
    const b = await make();
    try {
      const before = idp.requests.length;
      await a.client.callTool({ name: 'get_item', arguments: { id: 'a1' } });
      await b.client.callTool({ name: 'get_item', arguments: { id: 'b1' } });
      const first = strict.seen.at(-1)!.token!;
      expect(strict.seen.map((x) => x.token)).toEqual([first, first]);
      revoked.add(first);
      const ra = await a.client.callTool({ name: 'get_item', arguments: { id: 'a2' } });
      const rb = await b.client.callTool({ name: 'get_item', arguments: { id: 'b2' } });
      expect(ra.isError || rb.isError).toBeFalsy();
      const second = strict.seen.at(-1)!.token!;
      expect(second).not.toBe(first);
      // a: refused, replaced; b: refused with the old one, then the replacement a stored.
      expect(strict.seen.slice(2).map((x) => x.token)).toEqual([first, second, first, second]);
      expect(idp.requests.length - before).toBe(2);
    } finally {
      for (const x of [a, b]) {
        await x.client.close();
        await x.gw.close();
      }
      await strict.close();
    }
  });
});
