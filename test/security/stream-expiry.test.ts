import { type IncomingMessage, request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/index.js';
import { type RunningGateway, startGateway } from '../../src/mcp/index.js';
import { forgeToken } from '../auth/token-forge.js';
import { type AuthorizationServer, startAuthorizationServer } from '../helpers/authorization-server.js';
import { freePort } from '../helpers/free-ports.js';
import { testConfig } from '../helpers/gateway-config.js';
import { connectV2 } from '../mcp/helpers/clients.js';
import { openSession, sessionHeaders } from './helpers.js';

let as: AuthorizationServer;
let resource: string;
let gw: RunningGateway;
const clock = new ManualClock(Date.now());

beforeAll(async () => {
  const port = await freePort();
  resource = `http://127.0.0.1:${port}/mcp`;
  as = await startAuthorizationServer({ resource });
  gw = await startGateway(
    testConfig({
      server: { http: { port, auth: { issuer: as.issuer, resource } } },
      upstreams: {},
      tools: [],
    }),
    { transport: 'http', clock },
  );
});
afterAll(async () => {
  await gw?.close();
  await as?.close();
});

const nowSeconds = () => Math.floor(clock.now() / 1000);
const tokenFor = (lifetimeSeconds: number) =>
  forgeToken({
    issuer: as.issuer,
    audience: resource,
    key: as.signingKey,
    nowSeconds: nowSeconds(),
    exp: nowSeconds() + lifetimeSeconds,
  });

/** Opens a GET (SSE) stream with `headers`; resolves with its response once the headers came. */
function openStream(headers: Record<string, string>): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = request(
      resource,
      { method: 'GET', headers: { accept: 'text/event-stream', ...headers } },
      resolve,
    );
    req.on('error', reject);
    req.end();
  });
}

describe('a stream ends when the access token that opened it expires', () => {
  it("a 2025-era session's standalone SSE stream is ended at its token's expiry, not held open", async () => {
    const token = await tokenFor(120);
    const auth = { authorization: `Bearer ${token}` };
    const id = await openSession(resource, auth);
    const stream = await openStream({ ...auth, ...sessionHeaders(id) });
    expect(stream.statusCode).toBe(200);
    let ended = false;
    // The server drops the connection: the client sees the stream aborted, as after any drop.
    stream.on('error', () => {});
    const closed = new Promise<void>((resolve) =>
      stream.once('close', () => {
        ended = true;
        resolve();
      }),
    );
    stream.resume();
    await clock.advanceAsync(60_000);
    expect(ended).toBe(false);
    await clock.advanceAsync(61_000);
    await closed;
    expect(ended).toBe(true);
  });

  it("a 2026-07-28 subscriptions/listen stream is ended at its token's expiry: the client sees it drop", async () => {
    const token = await tokenFor(120);
    const client = await connectV2(resource, 'modern', { authorization: `Bearer ${token}` });
    try {
      const sub = await client.listen({ toolsListChanged: true });
      let how: string | undefined;
      const closed = sub.closed.then((h) => {
        how = h;
      });
      await clock.advanceAsync(60_000);
      expect(how).toBeUndefined();
      await clock.advanceAsync(61_000);
      await closed;
      expect(how).toBe('remote');
    } finally {
      await client.close();
    }
  });
});
