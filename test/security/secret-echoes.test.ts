import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { domainToASCII } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.js';
import { createRecordingLogger } from '../../src/core/index.js';
import { type RunningGateway, startGateway } from '../../src/mcp/index.js';
import { connectV1, connectV2, textOf } from '../mcp/helpers/clients.js';
import { memoryTracing } from '../telemetry/memory-tracing.js';
import { standardWebhookHeaders } from '../helpers/standard-webhook.js';

interface Result {
  isError?: boolean;
  content: { type: string; text?: string }[];
  _meta?: Record<string, unknown>;
}

// Secrets with characters that encode differently: '/', '+', ' ', '"', upper case.
const PRIV = 'Priv/Tok+en 9f3A';
const USER = 'svc-user';
const PASS = 'pa55/w0rd"Xy';
const env = { PRIV_TOKEN: PRIV, API_USER: USER, API_PASS: PASS };
const basic = Buffer.from(`${USER}:${PASS}`).toString('base64');

/** Each character but letters and digits escaped its own way, as encoders other than JavaScript's write them. */
const uEscaped = (v: string) =>
  v.replace(/[^A-Za-z0-9]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
const ESCAPED_FORMS: Record<string, string> = {
  // A URL's path (undici, WHATWG URL) keeps '/' and '+' and writes a space as %20.
  urlPath: PRIV.replace(/ /g, '%20'),
  // application/x-www-form-urlencoded (URLSearchParams, HTML forms).
  formEncoded: new URLSearchParams([['', PRIV]]).toString().slice(1),
  // Python's json.dumps (ensure_ascii), Go's HTML-safe JSON and the like: \u00XX.
  jsonUnicode: uEscaped(PRIV),
  mixed: 'Priv%2fTok\\u002ben+9f3A',
  htmlNamedAndHex: PASS.replace('/', '&#x2F;').replace('"', '&quot;'),
  htmlDecimal: PASS.replace('/', '&#47;').replace('"', '&#34;'),
};

/** Every form of a secret an upstream has been seen to echo. */
const FORMS: Record<string, string> = {
  verbatim: PRIV,
  urlEncoded: encodeURIComponent(PRIV),
  urlEncodedLower: encodeURIComponent(PRIV).toLowerCase(),
  plusForSpace: encodeURIComponent(PRIV).replace(/%20/g, '+'),
  jsonSlash: PRIV.replace(/\//g, '\\/'),
  lowerCased: PRIV.toLowerCase(),
  upperCased: PRIV.toUpperCase(),
  basicBase64: basic,
  basicDecoded: `${USER}:${PASS}`,
  basicPassword: PASS,
  passwordJsonEscaped: JSON.stringify(PASS).slice(1, -1),
  ...ESCAPED_FORMS,
};

/** The bytes of a secret as encoders other than percent- and JSON-escaping write them (whole values). */
const b64 = Buffer.from(PRIV, 'utf8').toString('base64');
const BYTE_FORMS: Record<string, string> = {
  hex: Buffer.from(PRIV, 'utf8').toString('hex'),
  hexUpper: Buffer.from(PRIV, 'utf8').toString('hex').toUpperCase(),
  base64: b64,
  base64Unpadded: b64.replace(/=+$/, ''),
  base64url: Buffer.from(PRIV, 'utf8').toString('base64url'),
  passwordHex: Buffer.from(PASS, 'utf8').toString('hex'),
};
const BYTE_NEEDLES = [
  Buffer.from(PRIV, 'utf8').toString('hex'),
  b64.replace(/=+$/, ''),
  Buffer.from(PRIV, 'utf8').toString('base64url'),
  Buffer.from(PASS, 'utf8').toString('hex'),
].map((n) => n.toLowerCase());

/** Strings that must never reach a client or a log line. */
const NEEDLES = [
  PRIV,
  encodeURIComponent(PRIV),
  PRIV.toLowerCase(),
  PRIV.replace(/\//g, '\\/'),
  basic,
  PASS,
  JSON.stringify(PASS).slice(1, -1),
  `${USER}:${PASS}`,
  ...Object.values(ESCAPED_FORMS),
];
const lower = NEEDLES.map((n) => n.toLowerCase());
const leaks = (text: string) => lower.filter((n) => text.toLowerCase().includes(n));

/** `/fail?form=x` answers 500 with that form of the secret in its body; `/ok?form=x` answers 200. */
async function startEchoingUpstream() {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const name = url.searchParams.get('form') ?? '';
    const form = FORMS[name] ?? BYTE_FORMS[name] ?? '';
    if (url.pathname === '/not-json') {
      // Declared JSON, but text that starts with (and later holds) the secret: a parse error quotes its start.
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(url.searchParams.get('at') === 'start' ? `${PRIV} was sent` : `{"a":"x","echo":${PRIV}}`);
      return;
    }
    const status = url.pathname === '/fail' ? 500 : 200;
    res.writeHead(status, { 'content-type': 'application/json' });
    // Written by hand, so a `\/` stays as the upstream wrote it (a bare quote is escaped, as JSON needs).
    res.end(
      `{"error":"bad token","echo":"${form.replace(/(?<!\\)"/g, '\\"')}","seen":${JSON.stringify(req.headers['x-private-token'] ?? '')}}`,
    );
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

let upstream: Awaited<ReturnType<typeof startEchoingUpstream>>;
let running: RunningGateway;
const logger = createRecordingLogger();
beforeAll(async () => {
  upstream = await startEchoingUpstream();
  const config = parseConfig(
    `
upstreams:
  priv:
    baseUrl: ${upstream.url}
    headers: { x-private-token: "\${PRIV_TOKEN}" }
    auth: { type: basic, username: "\${API_USER}", password: "\${API_PASS}" }
    retry: { maxAttempts: 1 }
    breaker: { failureThreshold: 1000 }
tools:
  - name: fail
    upstream: priv
    path: /fail
    input: { type: object, properties: { form: { type: string } } }
  - name: not_json
    upstream: priv
    path: /not-json
    input: { type: object, properties: { at: { type: string } } }
  - name: ok
    upstream: priv
    path: /ok
    input: { type: object, properties: { form: { type: string } } }
    cache: { ttl: 60s }
`,
    { env },
  );
  running = await startGateway(config, { transport: 'http', port: 0, logger });
});
afterAll(async () => {
  await running?.close();
  await upstream?.close();
});

describe('every environment value is a secret, in every encoding', () => {
  it('tool errors and http.error logs never show a configured header, the Basic credentials or their echoes', async () => {
    const clients = [await connectV2(running.url!, 'modern'), await connectV1(running.url!)];
    try {
      for (const client of clients)
        for (const form of Object.keys(FORMS)) {
          const r = (await client.callTool({ name: 'fail', arguments: { form } })) as Result;
          expect(r.isError).toBe(true);
          expect(textOf(r)).toContain('[REDACTED]');
          expect(leaks(JSON.stringify(r)), form).toEqual([]);
        }
    } finally {
      for (const c of clients) await c.close();
    }
    const errors = logger.records.filter((r) => r.event === 'http.error');
    expect(errors.length).toBeGreaterThanOrEqual(Object.keys(FORMS).length * 2);
    expect(leaks(JSON.stringify(logger.records))).toEqual([]);
  });

  it('an echo of a secret hex-encoded, base64 without padding or base64url is redacted in tool errors, answers and logs too', async () => {
    const client = await connectV2(running.url!, 'modern');
    const byteLeaks = (text: string) => BYTE_NEEDLES.filter((n) => text.toLowerCase().includes(n));
    const from = logger.records.length;
    try {
      for (const form of Object.keys(BYTE_FORMS)) {
        const failed = (await client.callTool({ name: 'fail', arguments: { form } })) as Result;
        expect(failed.isError).toBe(true);
        expect(byteLeaks(JSON.stringify(failed)), form).toEqual([]);
        const ok = (await client.callTool({ name: 'ok', arguments: { form } })) as Result;
        expect(ok.isError, textOf(ok)).toBeFalsy();
        expect(byteLeaks(JSON.stringify(ok)), form).toEqual([]);
      }
    } finally {
      await client.close();
    }
    expect(byteLeaks(JSON.stringify(logger.records.slice(from)))).toEqual([]);
  });

  it('an answer that is not the JSON it declares shows no part of a secret it holds in the tool error or logs', async () => {
    const client = await connectV2(running.url!, 'modern');
    const from = logger.records.length;
    // The parser quotes the first characters around where it stopped: a secret cut short no scrub knows.
    const start = PRIV.slice(0, 6);
    try {
      for (const at of ['start', 'inside']) {
        const r = (await client.callTool({ name: 'not_json', arguments: { at } })) as Result;
        expect(r.isError).toBe(true);
        expect((r._meta?.['conduit/error'] as { code?: string } | undefined)?.code).toBe(
          'RESPONSE_INVALID_JSON',
        );
        expect(JSON.stringify(r), at).not.toContain(start);
      }
    } finally {
      await client.close();
    }
    expect(JSON.stringify(logger.records.slice(from))).not.toContain(start);
  });

  it('a successful answer that echoes a secret is served and cached with the echo replaced', async () => {
    const client = await connectV2(running.url!, 'modern');
    try {
      for (const form of Object.keys(FORMS)) {
        const first = (await client.callTool({ name: 'ok', arguments: { form } })) as Result;
        const cached = (await client.callTool({ name: 'ok', arguments: { form } })) as Result;
        expect(first.isError, textOf(first)).toBeFalsy();
        expect((cached._meta?.['conduit/cache'] as { source?: string } | undefined)?.source).toBe('cache');
        for (const r of [first, cached]) {
          expect(leaks(JSON.stringify(r)), form).toEqual([]);
          expect(textOf(r)).toContain('[REDACTED]');
        }
      }
    } finally {
      await client.close();
    }
    expect(logger.records.some((r) => r.event === 'upstream.secret_echo')).toBe(true);
  });
});

// A value that is only part of a config string: a header template, a host name.
const KEY = 'K3y/Part+of 7Q';
const TENANT = 'acme-tenant-7q';

/** Every form of KEY alone (without the template around it) an upstream may echo. */
const PART_FORMS: Record<string, (v: string) => string> = {
  verbatim: (v) => v,
  urlEncoded: (v) => encodeURIComponent(v),
  plusForSpace: (v) => encodeURIComponent(v).replace(/%20/g, '+'),
  jsonSlash: (v) => v.replace(/\//g, '\\/'),
  lowerCased: (v) => v.toLowerCase(),
  base64: (v) => Buffer.from(v).toString('base64'),
  base64url: (v) => Buffer.from(v).toString('base64url'),
  hex: (v) => Buffer.from(v).toString('hex'),
};
const partNeedles = (v: string) => Object.values(PART_FORMS).map((f) => f(v).toLowerCase());
const partLeaks = (text: string) =>
  [...partNeedles(KEY), ...partNeedles(TENANT)].filter((n) => text.toLowerCase().includes(n));

/** Echoes the part of `x-tenant-auth` after `key=` in the form `?form=` names; 500 on `/fail`. */
async function startPartEchoingUpstream() {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const header = String(req.headers['x-tenant-auth'] ?? '');
    const value = header.startsWith('key=') ? header.slice(4) : '';
    const form = PART_FORMS[url.searchParams.get('form') ?? ''] ?? (() => '');
    res.writeHead(url.pathname === '/fail' ? 500 : 200, { 'content-type': 'application/json' });
    res.end(`{"error":"bad key","echo":"${form(value).replace(/(?<!\\)"/g, '\\"')}"}`);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('an environment value inside a longer config string is a secret on its own', () => {
  let partUpstream: Awaited<ReturnType<typeof startPartEchoingUpstream>>;
  let gw: RunningGateway;
  const partLogger = createRecordingLogger();
  const mem = memoryTracing();
  beforeAll(async () => {
    partUpstream = await startPartEchoingUpstream();
    const config = parseConfig(
      `
upstreams:
  keyed:
    baseUrl: ${partUpstream.url}
    headers: { x-tenant-auth: "key=\${TENANT_KEY}" }
    retry: { maxAttempts: 1 }
    breaker: { failureThreshold: 1000 }
  tenant:
    # .invalid never resolves: the lookup error names the host.
    baseUrl: "http://\${TENANT}.invalid"
    retry: { maxAttempts: 1 }
    breaker: { failureThreshold: 1000 }
tools:
  - name: keyed_fail
    upstream: keyed
    path: /fail
    input: { type: object, properties: { form: { type: string } } }
  - name: keyed_ok
    upstream: keyed
    path: /ok
    input: { type: object, properties: { form: { type: string } } }
  - name: tenant_call
    upstream: tenant
    path: /things
`,
      { env: { TENANT_KEY: KEY, TENANT } },
    );
    gw = await startGateway(config, {
      transport: 'http',
      port: 0,
      logger: partLogger,
      tracer: mem.tracing.tracer,
    });
  });
  afterAll(async () => {
    await gw?.close();
    await mem.tracing.close();
    await partUpstream?.close();
  });

  it('an upstream echoing only the value of a header template leaks it in no tool result, error, log line or metric', async () => {
    const client = await connectV2(gw.url!, 'modern');
    try {
      for (const form of Object.keys(PART_FORMS)) {
        const failed = (await client.callTool({ name: 'keyed_fail', arguments: { form } })) as Result;
        expect(failed.isError).toBe(true);
        expect(textOf(failed)).toContain('[REDACTED]');
        expect(partLeaks(JSON.stringify(failed)), form).toEqual([]);
        const ok = (await client.callTool({ name: 'keyed_ok', arguments: { form } })) as Result;
        expect(ok.isError, textOf(ok)).toBeFalsy();
        expect(textOf(ok)).toContain('[REDACTED]');
        expect(partLeaks(JSON.stringify(ok)), form).toEqual([]);
      }
    } finally {
      await client.close();
    }
    expect(partLogger.records.some((r) => r.event === 'http.error')).toBe(true);
    expect(partLeaks(JSON.stringify(partLogger.records))).toEqual([]);
    const metrics = await fetch(gw.url!.replace(/\/mcp$/, '/metrics'));
    expect(metrics.status).toBe(200);
    expect(partLeaks(await metrics.text())).toEqual([]);
  });

  it('a host name taken from the environment shows in no tool error, log line or span attribute', async () => {
    const client = await connectV2(gw.url!, 'modern');
    try {
      const r = (await client.callTool({ name: 'tenant_call', arguments: {} })) as Result;
      expect(r.isError).toBe(true);
      expect(partLeaks(JSON.stringify(r))).toEqual([]);
    } finally {
      await client.close();
    }
    const attempt = await mem.exporter.waitFor('GET /things');
    expect(attempt.attributes['server.address']).toBe('tenant');
    expect(attempt.attributes['server.port']).toBeUndefined();
    expect(partLeaks(JSON.stringify(attempt.attributes))).toEqual([]);
    expect(partLeaks(JSON.stringify(attempt.events))).toEqual([]);
    expect(partLeaks(JSON.stringify(attempt.status))).toEqual([]);
    expect(partLeaks(JSON.stringify(partLogger.records))).toEqual([]);
  });
});

// A host that is only part of a value: a whole base URL, or host:port, from the environment.
const UPSTREAM_URL = 'http://api-internal-7f3.invalid:8443/v1';
const UPSTREAM_HOSTPORT = 'svc-hostport-9c.invalid:8080';
const hostNeedles = ['api-internal-7f3', 'svc-hostport-9c', ':8443', ':8080'];
const hostLeaks = (text: string) => hostNeedles.filter((n) => text.toLowerCase().includes(n));

describe('a host name that is part of an environment value (a whole base URL, host:port)', () => {
  let gw: RunningGateway;
  const hostLogger = createRecordingLogger();
  const mem = memoryTracing();
  beforeAll(async () => {
    const config = parseConfig(
      `
upstreams:
  wholeurl:
    # .invalid never resolves: the lookup error names the host.
    baseUrl: "\${UPSTREAM_URL}"
    retry: { maxAttempts: 1 }
    breaker: { failureThreshold: 1000 }
  hostport:
    baseUrl: "http://\${UPSTREAM_HOSTPORT}/v2"
    retry: { maxAttempts: 1 }
    breaker: { failureThreshold: 1000 }
tools:
  - name: wholeurl_call
    upstream: wholeurl
    path: /whole
  - name: hostport_call
    upstream: hostport
    path: /hostport
`,
      { env: { UPSTREAM_URL, UPSTREAM_HOSTPORT } },
    );
    gw = await startGateway(config, {
      transport: 'http',
      port: 0,
      logger: hostLogger,
      tracer: mem.tracing.tracer,
    });
  });
  afterAll(async () => {
    await gw?.close();
    await mem.tracing.close();
  });

  it('spans name the upstream as server.address, without server.port; the host shows in no tool error, log line, span or metric', async () => {
    const client = await connectV2(gw.url!, 'modern');
    try {
      for (const name of ['wholeurl_call', 'hostport_call']) {
        const r = (await client.callTool({ name, arguments: {} })) as Result;
        expect(r.isError).toBe(true);
        expect(hostLeaks(JSON.stringify(r)), name).toEqual([]);
      }
    } finally {
      await client.close();
    }
    for (const [spanName, upstream] of [
      ['GET /whole', 'wholeurl'],
      ['GET /hostport', 'hostport'],
    ] as const) {
      const span = await mem.exporter.waitFor(spanName);
      expect(span.attributes['server.address']).toBe(upstream);
      expect(span.attributes['server.port']).toBeUndefined();
      expect(span.attributes['url.template']).toBe(spanName.slice(4));
      expect(
        hostLeaks(JSON.stringify([span.name, span.attributes, span.events, span.status])),
        spanName,
      ).toEqual([]);
    }
    expect(hostLogger.records.some((r) => r.event === 'http.error')).toBe(true);
    expect(hostLeaks(JSON.stringify(hostLogger.records))).toEqual([]);
    const metrics = await fetch(gw.url!.replace(/\/mcp$/, '/metrics'));
    expect(metrics.status).toBe(200);
    expect(hostLeaks(await metrics.text())).toEqual([]);
  });
});

// Non-ASCII values in a host name: URL and undici write the host in its IDNA (punycode) form.
const IDN_HOST = 'bücher-tenant';
const IDN_LABEL = 'zürich';
/** Every form of the two values that a host name and its lookup error may show. */
const idnNeedles = [IDN_HOST, IDN_LABEL, domainToASCII(IDN_HOST), domainToASCII(`${IDN_LABEL}-eu`)].map((n) =>
  n.toLowerCase(),
);
const idnLeaks = (text: string) => idnNeedles.filter((n) => text.toLowerCase().includes(n));

describe('an environment value in a host name is a secret in its punycode form too', () => {
  let gw: RunningGateway;
  const idnLogger = createRecordingLogger();
  const mem = memoryTracing();
  beforeAll(async () => {
    const config = parseConfig(
      `
upstreams:
  whole:
    # .invalid never resolves: the lookup error names the host, as xn--…
    baseUrl: "http://\${IDN_HOST}.invalid"
    retry: { maxAttempts: 1 }
    breaker: { failureThreshold: 1000 }
  part:
    baseUrl: "http://\${IDN_LABEL}-eu.invalid"
    retry: { maxAttempts: 1 }
    breaker: { failureThreshold: 1000 }
tools:
  - name: whole_call
    upstream: whole
    path: /whole
  - name: part_call
    upstream: part
    path: /part
`,
      { env: { IDN_HOST, IDN_LABEL } },
    );
    gw = await startGateway(config, {
      transport: 'http',
      port: 0,
      logger: idnLogger,
      tracer: mem.tracing.tracer,
    });
  });
  afterAll(async () => {
    await gw?.close();
    await mem.tracing.close();
  });

  it('a host name whose label is, or holds, a non-ASCII value shows it in no tool error, log line, span or metric', async () => {
    const client = await connectV2(gw.url!, 'modern');
    try {
      for (const name of ['whole_call', 'part_call']) {
        const r = (await client.callTool({ name, arguments: {} })) as Result;
        expect(r.isError).toBe(true);
        expect(textOf(r)).toContain('[REDACTED]');
        expect(idnLeaks(JSON.stringify(r)), name).toEqual([]);
      }
    } finally {
      await client.close();
    }
    for (const span of [await mem.exporter.waitFor('GET /whole'), await mem.exporter.waitFor('GET /part')]) {
      expect(span.attributes['server.address']).toBeDefined();
      expect(idnLeaks(JSON.stringify([span.attributes, span.events, span.status])), span.name).toEqual([]);
    }
    expect(idnLogger.records.some((r) => r.event === 'http.error')).toBe(true);
    expect(idnLeaks(JSON.stringify(idnLogger.records))).toEqual([]);
    const metrics = await fetch(gw.url!.replace(/\/mcp$/, '/metrics'));
    expect(idnLeaks(await metrics.text())).toEqual([]);
  });
});

// Values in a URL's path: in the tool's path template (a route) and in the base URL, where a space is %20.
const ROUTE_PART = 'route-Secr3t';
const BASE_PART = 'base seg/Q(7)';
const pathNeedles = [ROUTE_PART, BASE_PART, 'base%20seg', 'base%20'].map((n) => n.toLowerCase());
const pathLeaks = (text: string) => pathNeedles.filter((n) => text.toLowerCase().includes(n));

describe('an environment value in a URL path is a secret in its route and in the path as sent', () => {
  it('shows in no tool error, metric label, span name or attribute, or log field', async () => {
    const server = createServer((req, res) => {
      res.writeHead(500, { 'content-type': 'text/html' });
      res.end(`<p>no such path: ${req.url}</p>`);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const config = parseConfig(
      `
upstreams:
  u:
    baseUrl: "${url}/b/\${BASE_PART}"
    retry: { maxAttempts: 1 }
tools:
  - name: routed
    upstream: u
    path: "/t/\${ROUTE_PART}/x"
`,
      { env: { ROUTE_PART, BASE_PART } },
    );
    const pathLogger = createRecordingLogger();
    const mem = memoryTracing();
    const gw = await startGateway(config, {
      transport: 'http',
      port: 0,
      logger: pathLogger,
      tracer: mem.tracing.tracer,
    });
    const client = await connectV2(gw.url!, 'modern');
    try {
      const r = (await client.callTool({ name: 'routed', arguments: {} })) as Result;
      expect(r.isError).toBe(true);
      expect(textOf(r)).toContain('[REDACTED]');
      expect(pathLeaks(JSON.stringify(r))).toEqual([]);
      const metrics = await (await fetch(gw.url!.replace(/\/mcp$/, '/metrics'))).text();
      expect(metrics).toContain('conduit_upstream_requests_total{upstream="u"');
      expect(pathLeaks(metrics)).toEqual([]);
      await mem.exporter.waitFor('tools/call routed');
      const attempt = mem.spans().find((s) => s.attributes['conduit.upstream'] === 'u');
      expect(attempt).toBeDefined();
      expect(pathLeaks(JSON.stringify([attempt!.name, attempt!.attributes, attempt!.status]))).toEqual([]);
      expect(pathLogger.records.some((l) => l.event === 'http.error')).toBe(true);
      expect(pathLeaks(JSON.stringify(pathLogger.records))).toEqual([]);
    } finally {
      await client.close();
      await gw.close();
      await mem.tracing.close();
      server.closeAllConnections();
      server.close();
    }
  });
});

// A value in the cache tags a tool stores its answers under, and a webhook invalidates.
const TAG_PART = 'Tag-Secr3t-77';
const WEBHOOK_KEY = Buffer.from('tag-test-webhook-key-0123456789ab');

describe('an environment value in cache tags', () => {
  it('shows in no span attribute or event of the cache lookup or the webhook invalidation', async () => {
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"id":"1"}');
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const config = parseConfig(
      `
upstreams:
  u: { baseUrl: "${url}" }
tools:
  - name: tagged
    upstream: u
    path: /items/{id}
    input: { type: object, properties: { id: { type: string } }, required: [id] }
    cache: { ttl: 60s, tags: ["tenant:\${TAG_PART}:{id}"] }
webhooks:
  endpoints:
    - path: /hooks/items
      name: items
      scheme: standard
      secrets: ["whsec_${WEBHOOK_KEY.toString('base64')}"]
      events: { "item.*": { invalidate: { tags: ["tenant:\${TAG_PART}:{data.id}"] } } }
`,
      { env: { TAG_PART } },
    );
    const mem = memoryTracing();
    const gw = await startGateway(config, { transport: 'http', port: 0, tracer: mem.tracing.tracer });
    const client = await connectV2(gw.url!, 'modern');
    try {
      const r = (await client.callTool({ name: 'tagged', arguments: { id: '1' } })) as Result;
      expect(r.isError, textOf(r)).toBeFalsy();
      const body = JSON.stringify({ type: 'item.updated', data: { id: '1' } });
      const delivered = await fetch(gw.url!.replace(/\/mcp$/, '/hooks/items'), {
        method: 'POST',
        body,
        headers: standardWebhookHeaders('evt_1', body, Math.floor(Date.now() / 1000), WEBHOOK_KEY),
      });
      expect(delivered.status).toBe(200);
      const lookup = await mem.exporter.waitFor('cache lookup');
      expect(lookup.attributes['conduit.cache.tags']).toBeDefined();
      const hook = await mem.exporter.waitFor('webhook items');
      expect(hook.events.length).toBeGreaterThan(0);
      const seen = JSON.stringify(mem.spans().map((x) => [x.name, x.attributes, x.events, x.status]));
      expect(seen.toLowerCase()).not.toContain(TAG_PART.toLowerCase());
    } finally {
      await client.close();
      await gw.close();
      await mem.tracing.close();
      server.closeAllConnections();
      server.close();
    }
  });
});

describe('an environment value that is also JSON text (a count of 1000)', () => {
  it('leaves an answer that holds it JSON: strings are scrubbed, a number that is the value becomes [REDACTED]', async () => {
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"id":"7","count":1000,"total":21000,"done":true,"note":"threshold 1000"}');
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const config = parseConfig(
      `
upstreams:
  u:
    baseUrl: ${url}
    breaker: { failureThreshold: "\${THRESHOLD}" }
tools:
  - name: counted
    upstream: u
    path: /x
`,
      { env: { THRESHOLD: '1000' } },
    );
    const gw = await startGateway(config, { transport: 'http', port: 0 });
    const client = await connectV2(gw.url!, 'modern');
    try {
      const r = (await client.callTool({ name: 'counted', arguments: {} })) as Result;
      expect(r.isError, textOf(r)).toBeFalsy();
      expect(JSON.parse(textOf(r))).toEqual({
        id: '7',
        count: '[REDACTED]',
        total: 21000,
        done: true,
        note: 'threshold [REDACTED]',
      });
    } finally {
      await client.close();
      await gw.close();
      server.closeAllConnections();
      server.close();
    }
  });
  it('keeps every number of an answer that echoes a secret exactly as the upstream wrote it, past 2^53 too', async () => {
    const body =
      '{"id":12345678901234567890,"ids":[-98765432109876543210,1.000000000000000000001,2e400],' +
      '"echo":"tok-\\u0053ecret-42","count":1000}';
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(body);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const config = parseConfig(
      `
upstreams:
  u:
    baseUrl: ${url}
    headers: { x-token: "\${TOKEN}" }
    breaker: { failureThreshold: "\${THRESHOLD}" }
tools:
  - name: numbers
    upstream: u
    path: /x
`,
      { env: { TOKEN: 'tok-Secret-42', THRESHOLD: '1000' } },
    );
    const gw = await startGateway(config, { transport: 'http', port: 0 });
    const client = await connectV2(gw.url!, 'modern');
    try {
      const r = (await client.callTool({ name: 'numbers', arguments: {} })) as Result;
      expect(r.isError, textOf(r)).toBeFalsy();
      expect(textOf(r)).toBe(
        '{"id":12345678901234567890,"ids":[-98765432109876543210,1.000000000000000000001,2e400],' +
          '"echo":"[REDACTED]","count":"[REDACTED]"}',
      );
    } finally {
      await client.close();
      await gw.close();
      server.closeAllConnections();
      server.close();
    }
  });
});
