import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningGateway, startGateway } from '../../src/mcp/index.js';
import type { GatewayConfigInput } from '../../src/config/index.js';
import { assignmentsConfig } from '../mcp/helpers/config.js';
import { startUpstream, type Upstream } from '../mcp/helpers/upstream.js';
import { testConfig } from '../helpers/gateway-config.js';
import { INIT_2025, openSession, rawRequest } from './helpers.js';

let upstream: Upstream;
beforeAll(async () => {
  upstream = await startUpstream();
});
afterAll(async () => {
  await upstream?.close();
});

/** A gateway without client auth (every caller anonymous), with the given `server.http` fields. */
async function anonymousGateway(
  http: NonNullable<NonNullable<GatewayConfigInput['server']>['http']>,
  host?: string,
): Promise<RunningGateway> {
  const config = assignmentsConfig(upstream.url);
  config.server = { http };
  return startGateway(testConfig(config), { transport: 'http', ...(host ? { host } : {}) });
}

/** An initialize from `from` (a local address), with extra headers; answers the status. */
async function initFrom(url: string, from: string, headers: Record<string, string> = {}): Promise<number> {
  const r = await rawRequest('POST', url, headers, JSON.stringify(INIT_2025), { localAddress: from });
  return r.status;
}

const xff = (value: string) => ({ 'x-forwarded-for': value });

describe('sessions of callers without a credential are capped per client address', () => {
  it('one anonymous client at maxSessionsPerPrincipal gets 429, another address still opens its own', async () => {
    const gw = await anonymousGateway({ maxSessions: 10, maxSessionsPerPrincipal: 2 });
    try {
      await openSession(gw.url!, {}, '127.0.0.1');
      await openSession(gw.url!, {}, '127.0.0.1');
      const refused = await rawRequest('POST', gw.url!, {}, JSON.stringify(INIT_2025), {
        localAddress: '127.0.0.1',
      });
      expect(refused.status).toBe(429);
      expect(refused.body).toContain('server.http.maxSessionsPerPrincipal');
      expect(refused.body).toContain('client address');
      await openSession(gw.url!, {}, '127.0.0.2');
      await openSession(gw.url!, {}, '127.0.0.2');
      expect(await initFrom(gw.url!, '127.0.0.2')).toBe(429);
    } finally {
      await gw.close();
    }
  });

  it('IPv4-mapped and native addresses on a dual-stack listener: 127.0.0.1 and ::1 are two clients', async () => {
    const gw = await anonymousGateway(
      { maxSessions: 10, maxSessionsPerPrincipal: 1, allowedHosts: ['*'] },
      '::',
    );
    try {
      const port = new URL(gw.url!).port;
      const v4 = `http://127.0.0.1:${port}/mcp`;
      const v6 = `http://[::1]:${port}/mcp`;
      await openSession(v4);
      expect(await initFrom(v4, '127.0.0.1')).toBe(429);
      await openSession(v6);
      expect(await initFrom(v6, '::1')).toBe(429);
    } finally {
      await gw.close();
    }
  });

  it('the global cap still bounds all of them: maxSessions is answered 503', async () => {
    const gw = await anonymousGateway({ maxSessions: 2, maxSessionsPerPrincipal: 5 });
    try {
      await openSession(gw.url!, {}, '127.0.0.1');
      await openSession(gw.url!, {}, '127.0.0.2');
      const refused = await rawRequest('POST', gw.url!, {}, JSON.stringify(INIT_2025), {
        localAddress: '127.0.0.3',
      });
      expect(refused.status).toBe(503);
      expect(refused.body).toContain('server.http.maxSessions');
    } finally {
      await gw.close();
    }
  });

  it('X-Forwarded-For is ignored by default: a client cannot forge its way past its cap', async () => {
    const gw = await anonymousGateway({ maxSessions: 10, maxSessionsPerPrincipal: 2 });
    try {
      await openSession(gw.url!, xff('203.0.113.1'), '127.0.0.1');
      await openSession(gw.url!, xff('203.0.113.2'), '127.0.0.1');
      expect(await initFrom(gw.url!, '127.0.0.1', xff('203.0.113.3'))).toBe(429);
    } finally {
      await gw.close();
    }
  });
});

describe('server.http.trustProxy: the client address from X-Forwarded-For of a trusted proxy', () => {
  it('a trusted proxy’s clients are counted apart; an untrusted peer’s header is ignored', async () => {
    const gw = await anonymousGateway({
      maxSessions: 20,
      maxSessionsPerPrincipal: 1,
      trustProxy: ['127.0.0.1'],
    });
    try {
      await openSession(gw.url!, xff('203.0.113.7'), '127.0.0.1');
      expect(await initFrom(gw.url!, '127.0.0.1', xff('203.0.113.7'))).toBe(429);
      await openSession(gw.url!, xff('203.0.113.8'), '127.0.0.1');
      // 127.0.0.2 is no trusted proxy: it is the client, whatever it claims.
      await openSession(gw.url!, xff('203.0.113.9'), '127.0.0.2');
      expect(await initFrom(gw.url!, '127.0.0.2', xff('203.0.113.10'))).toBe(429);
    } finally {
      await gw.close();
    }
  });

  it('the rightmost untrusted hop is the client: addresses a client prepends are not believed', async () => {
    const gw = await anonymousGateway({
      maxSessions: 20,
      maxSessionsPerPrincipal: 1,
      trustProxy: ['127.0.0.1', '10.0.0.0/8'],
    });
    try {
      await openSession(gw.url!, xff('198.51.100.1, 203.0.113.9, 10.1.2.3'), '127.0.0.1');
      expect(await initFrom(gw.url!, '127.0.0.1', xff('198.51.100.2, 203.0.113.9, 10.9.9.9'))).toBe(429);
      // A port after the address (some proxies add one) names the same client.
      expect(await initFrom(gw.url!, '127.0.0.1', xff('198.51.100.3, 203.0.113.9:51234'))).toBe(429);
      await openSession(gw.url!, xff('203.0.113.9, 198.51.100.1'), '127.0.0.1');
    } finally {
      await gw.close();
    }
  });

  it('IPv6 clients are grouped by /64 and IPv4-mapped ones are the IPv4 address', async () => {
    const gw = await anonymousGateway({
      maxSessions: 20,
      maxSessionsPerPrincipal: 1,
      trustProxy: ['127.0.0.1'],
    });
    try {
      await openSession(gw.url!, xff('2001:db8:1:2::1'), '127.0.0.1');
      expect(await initFrom(gw.url!, '127.0.0.1', xff('2001:db8:1:2:ffff::9'))).toBe(429);
      await openSession(gw.url!, xff('2001:db8:1:3::1'), '127.0.0.1');
      await openSession(gw.url!, xff('203.0.113.7'), '127.0.0.1');
      expect(await initFrom(gw.url!, '127.0.0.1', xff('::ffff:203.0.113.7'))).toBe(429);
    } finally {
      await gw.close();
    }
  });

  it('a malformed header falls back to the socket address', async () => {
    const gw = await anonymousGateway({
      maxSessions: 20,
      maxSessionsPerPrincipal: 1,
      trustProxy: ['127.0.0.1'],
    });
    try {
      await openSession(gw.url!, xff('not an address'), '127.0.0.1');
      expect(await initFrom(gw.url!, '127.0.0.1', xff('203.0.113.7, ,'))).toBe(429);
      expect(await initFrom(gw.url!, '127.0.0.1')).toBe(429);
      await openSession(gw.url!, xff('203.0.113.7'), '127.0.0.1');
    } finally {
      await gw.close();
    }
  });
});
