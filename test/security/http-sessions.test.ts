import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as TransportV1 } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningGateway, startGateway } from '../../src/mcp/index.js';
import { connectV1, connectV2, textOf } from '../mcp/helpers/clients.js';
import { assignmentsConfig } from '../mcp/helpers/config.js';
import { startUpstream, type Upstream } from '../mcp/helpers/upstream.js';
import { openSession, rawRequest, sessionHeaders } from './helpers.js';
import { testConfig } from '../helpers/gateway-config.js';

// Two clients with two valid tokens share one gateway. B learns A's Mcp-Session-Id (a log, a proxy,
// a shared screen): whatever B does with it must look exactly like an unknown session.

const A = { authorization: 'Bearer token-of-client-a' };
const B = { authorization: 'Bearer token-of-client-b' };
const CALL = JSON.stringify({
  jsonrpc: '2.0',
  id: 7,
  method: 'tools/call',
  params: { name: 'get_assignment', arguments: { id: '1' } },
});

let upstream: Upstream;
let gw: RunningGateway;
beforeAll(async () => {
  upstream = await startUpstream();
  const config = assignmentsConfig(upstream.url);
  config.server = { http: { authTokens: ['token-of-client-a', 'token-of-client-b'] } };
  gw = await startGateway(testConfig(config), { transport: 'http' });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

describe('a session belongs to the credential that opened it', () => {
  it('another token calling with the session id gets 404, and no upstream call is made', async () => {
    const id = await openSession(gw.url!, A);
    const before = upstream.count('/assignments/1');
    const stolen = await rawRequest('POST', gw.url!, sessionHeaders(id, B), CALL);
    expect(stolen.status).toBe(404);
    expect(stolen.body).toContain('Session not found');
    expect(upstream.count('/assignments/1')).toBe(before);
    const own = await rawRequest('POST', gw.url!, sessionHeaders(id, A), CALL);
    expect(own.status).toBe(200);
    expect(own.body).toContain('Write tests');
  });

  it("another token cannot take over the session's GET stream: 404, and the owner's stream still opens", async () => {
    const id = await openSession(gw.url!, A);
    const takeover = await rawRequest('GET', gw.url!, sessionHeaders(id, B), undefined, { stream: true });
    expect(takeover.status).toBe(404);
    const own = await rawRequest('GET', gw.url!, sessionHeaders(id, A), undefined, { stream: true });
    expect(own.status).toBe(200);
  });

  it('another token cannot delete the session: 404, and the session still serves its owner', async () => {
    const id = await openSession(gw.url!, A);
    const del = await rawRequest('DELETE', gw.url!, sessionHeaders(id, B));
    expect(del.status).toBe(404);
    const own = await rawRequest('POST', gw.url!, sessionHeaders(id, A), CALL);
    expect(own.status).toBe(200);
    const ownDelete = await rawRequest('DELETE', gw.url!, sessionHeaders(id, A));
    expect(ownDelete.status).toBe(200);
  });

  it("a v1 SDK client given A's session id and B's token fails; the v2 client A keeps working", async () => {
    const a = await connectV2(gw.url!, 'legacy', A);
    try {
      const transport = (a as unknown as { transport?: { sessionId?: string } }).transport;
      const id = transport?.sessionId;
      expect(typeof id).toBe('string');
      // With a session id the v1 client skips initialize and uses the session straight away.
      const b = new ClientV1({ name: 'intruder', version: '1' });
      await b.connect(new TransportV1(new URL(gw.url!), { sessionId: id!, requestInit: { headers: B } }));
      await expect(b.callTool({ name: 'get_assignment', arguments: { id: '2' } })).rejects.toThrow(
        /404|not found/i,
      );
      await b.close();
      const r = await a.callTool({ name: 'get_assignment', arguments: { id: '2' } });
      expect(textOf(r)).toContain('Ship it');
    } finally {
      await a.close();
    }
  });

  it('clients with the same token as the opener are still served (v1 and v2)', async () => {
    const v1 = await connectV1(gw.url!, B);
    expect(textOf(await v1.callTool({ name: 'get_assignment', arguments: { id: '1' } }))).toContain('Write');
    await v1.close();
  });
});
