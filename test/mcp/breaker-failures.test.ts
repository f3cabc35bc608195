import { describe, expect, it } from 'vitest';
import { startGateway } from '../../src/mcp/index.js';
import { connectV2, textOf } from './helpers/clients.js';
import { assignmentsConfig } from './helpers/config.js';
import { startUpstream } from './helpers/upstream.js';
import { testConfig } from '../helpers/gateway-config.js';

const garbage = { kind: 'status', status: 200, body: '<html>proxy error page, sent as 200</html>' } as const;

describe('what the gateway breaker counts as an upstream failure', () => {
  it('a 200 whose body is not JSON for a JSON tool is a failure: the breaker opens and spares the upstream', async () => {
    const upstream = await startUpstream();
    const config = assignmentsConfig(upstream.url);
    config.upstreams.assignments!.breaker = { failureThreshold: 3 };
    const gw = await startGateway(testConfig(config), { transport: 'http' });
    const client = await connectV2(gw.url!, 'modern');
    try {
      upstream.setFault(garbage);
      for (let i = 0; i < 3; i++) {
        const r = await client.callTool({ name: 'get_assignment', arguments: { id: '1' } });
        expect(r._meta?.['conduit/error']).toMatchObject({ code: 'RESPONSE_INVALID_JSON' });
      }
      const open = await client.callTool({ name: 'get_assignment', arguments: { id: '1' } });
      expect(open._meta?.['conduit/error']).toMatchObject({ code: 'CIRCUIT_OPEN' });
      expect(textOf(open)).toContain('circuit breaker is open');
      expect(upstream.seen).toHaveLength(3);
    } finally {
      await client.close();
      await gw.close();
      await upstream.close();
    }
  });

  it('with breaker.countInvalidJson: false such answers fail the call but never open the breaker', async () => {
    const upstream = await startUpstream();
    const config = assignmentsConfig(upstream.url);
    config.upstreams.assignments!.breaker = { failureThreshold: 3, countInvalidJson: false };
    const gw = await startGateway(testConfig(config), { transport: 'http' });
    const client = await connectV2(gw.url!, 'modern');
    try {
      upstream.setFault(garbage);
      for (let i = 0; i < 5; i++) {
        const r = await client.callTool({ name: 'get_assignment', arguments: { id: '1' } });
        expect(r._meta?.['conduit/error']).toMatchObject({ code: 'RESPONSE_INVALID_JSON' });
      }
      expect(upstream.seen).toHaveLength(5);
    } finally {
      await client.close();
      await gw.close();
      await upstream.close();
    }
  });
});
