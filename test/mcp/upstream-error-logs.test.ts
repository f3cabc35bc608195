import { afterEach, describe, expect, it } from 'vitest';
import { createRecordingLogger } from '../../src/core/index.js';
import { type RunningGateway, startGateway } from '../../src/mcp/index.js';
import { testConfig, type UpstreamInput } from '../helpers/gateway-config.js';
import { connectV2 } from './helpers/clients.js';
import { assignmentsConfig } from './helpers/config.js';
import { startUpstream, type Upstream } from './helpers/upstream.js';

// An operator reads the gateway's logs with conduit.yaml open: what to raise is named as written there.
describe("the gateway's upstream error log lines name the config keys to change", () => {
  let upstream: Upstream | undefined;
  let gw: RunningGateway | undefined;
  afterEach(async () => {
    await gw?.close();
    await upstream?.close();
    gw = undefined;
    upstream = undefined;
  });

  /** The `http error` log lines of calls to get_assignment (`calls` of them) on an upstream so set. */
  async function errorLines(settings: Partial<UpstreamInput>, hang: boolean, calls = 1): Promise<string[]> {
    upstream = await startUpstream();
    if (hang) upstream.setFault({ kind: 'hang' });
    const config = assignmentsConfig(upstream.url);
    Object.assign(config.upstreams.assignments!, { retry: { maxAttempts: 1 } }, settings);
    const logger = createRecordingLogger();
    gw = await startGateway(testConfig(config), { transport: 'http', logger });
    const client = await connectV2(gw.url!, 'modern');
    try {
      for (let i = 0; i < calls; i++)
        await client.callTool({ name: 'get_assignment', arguments: { id: '1' } });
    } finally {
      await client.close();
    }
    return logger.records.filter((r) => r.event === 'http.error').map((r) => String(r.message));
  }

  it('the total deadline: upstreams.<name>.timeouts.total or the tool’s timeout', async () => {
    const [line] = await errorLines({ timeouts: { total: 200 } }, true);
    expect(line).toContain("Raise upstreams.assignments.timeouts.total or the tool's timeout");
    expect(line).not.toContain('totalMs');
  });

  it('a phase timeout: upstreams.<name>.timeouts.<phase>', async () => {
    const [line] = await errorLines({ timeouts: { headers: 200, total: 30_000 } }, true);
    expect(line).toContain('Raise upstreams.assignments.timeouts.headers');
    expect(line).not.toContain('headersMs');
  });

  it('the client-side rate limit: upstreams.<name>.rateLimit.perSecond', async () => {
    const lines = await errorLines({ rateLimit: { perSecond: 0.001, burst: 1 } }, false, 2);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('raise upstreams.assignments.rateLimit.perSecond');
    expect(lines[0]).not.toContain('ratePerSec');
  });
});
