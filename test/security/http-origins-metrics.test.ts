import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningGateway, startGateway } from '../../src/mcp/index.js';
import { connectV1, connectV2 } from '../mcp/helpers/clients.js';
import { assignmentsConfig } from '../mcp/helpers/config.js';
import { startUpstream, type Upstream } from '../mcp/helpers/upstream.js';
import { INIT_2025, rawRequest } from './helpers.js';
import { testConfig } from '../helpers/gateway-config.js';

let upstream: Upstream;
beforeAll(async () => {
  upstream = await startUpstream();
});
afterAll(async () => {
  await upstream?.close();
});

describe('server.http.allowedOrigins compares scheme, host and port', () => {
  let gw: RunningGateway;
  beforeAll(async () => {
    const config = assignmentsConfig(upstream.url);
    config.server = {
      http: { allowedOrigins: ['https://app.example.com:8443', 'https://plain.example.com'] },
    };
    gw = await startGateway(testConfig(config), { transport: 'http' });
  });
  afterAll(async () => {
    await gw?.close();
  });

  const init = (origin: string) => rawRequest('POST', gw.url!, { origin }, JSON.stringify(INIT_2025));

  it('admits the configured origin exactly', async () => {
    expect((await init('https://app.example.com:8443')).status).toBe(200);
    expect((await init('https://plain.example.com')).status).toBe(200);
    expect((await init('https://plain.example.com:443')).status).toBe(200);
  });

  it.each([
    'http://app.example.com',
    'https://app.example.com',
    'http://app.example.com:8443',
    'https://app.example.com:9443',
    'http://plain.example.com',
    'https://plain.example.com:8443',
    'null',
  ])('refuses %s with 403', async (origin) => {
    const r = await init(origin);
    expect(r.status).toBe(403);
    expect(r.body).toContain('allowedOrigins');
  });

  it('still admits loopback pages on any port, and clients that send no Origin (v1 and v2)', async () => {
    expect((await init('http://localhost:5173')).status).toBe(200);
    const v2 = await connectV2(gw.url!, 'legacy');
    expect((await v2.listTools()).tools.length).toBeGreaterThan(0);
    await v2.close();
    const v1 = await connectV1(gw.url!);
    expect((await v1.listTools()).tools.length).toBeGreaterThan(0);
    await v1.close();
  });
});

describe('/metrics with client auth on', () => {
  const tokens = ['client-token-one', 'client-token-two'];
  const scrape = (gw: RunningGateway, headers: Record<string, string> = {}) =>
    rawRequest('GET', gw.url!.replace(/\/mcp$/, '/metrics'), headers);

  it('asks for a client token by default', async () => {
    const config = assignmentsConfig(upstream.url);
    config.server = { http: { authTokens: tokens } };
    const gw = await startGateway(testConfig(config), { transport: 'http' });
    try {
      const open = await scrape(gw);
      expect(open.status).toBe(401);
      expect(open.headers['www-authenticate']).toMatch(/^Bearer/);
      expect(open.body).not.toContain('conduit_');
      expect((await scrape(gw, { authorization: 'Bearer wrong-token' })).status).toBe(401);
      const ok = await scrape(gw, { authorization: 'Bearer client-token-two' });
      expect(ok.status).toBe(200);
      expect(ok.body).toContain('conduit_');
    } finally {
      await gw.close();
    }
  });

  it('metrics.token wins over the client tokens', async () => {
    const config = assignmentsConfig(upstream.url);
    config.server = { http: { authTokens: tokens } };
    config.metrics = { token: 'scraper-token' };
    const gw = await startGateway(testConfig(config), { transport: 'http' });
    try {
      expect((await scrape(gw, { authorization: 'Bearer client-token-one' })).status).toBe(401);
      expect((await scrape(gw, { authorization: 'Bearer scraper-token' })).status).toBe(200);
    } finally {
      await gw.close();
    }
  });

  it('metrics.public: true opens it on purpose', async () => {
    const config = assignmentsConfig(upstream.url);
    config.server = { http: { authTokens: tokens } };
    config.metrics = { public: true };
    const gw = await startGateway(testConfig(config), { transport: 'http' });
    try {
      expect((await scrape(gw)).status).toBe(200);
    } finally {
      await gw.close();
    }
  });
});
