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

  /**
   * The tool results and `http error` log lines of calls to get_assignment (`calls` of them) on an
   * upstream so set, which hangs or answers 200 with `body`.
   */
  async function callsTo(settings: Partial<UpstreamInput>, answer: 'hang' | { body: string }, calls = 1) {
    upstream = await startUpstream();
    upstream.setFault(
      answer === 'hang' ? { kind: 'hang' } : { kind: 'status', status: 200, body: answer.body },
    );
    const config = assignmentsConfig(upstream.url);
    Object.assign(config.upstreams.assignments!, { retry: { maxAttempts: 1 } }, settings);
    const logger = createRecordingLogger();
    gw = await startGateway(testConfig(config), { transport: 'http', logger });
    const client = await connectV2(gw.url!, 'modern');
    const results: { isError?: boolean; text: string; code?: unknown }[] = [];
    try {
      for (let i = 0; i < calls; i++) {
        const r = (await client.callTool({ name: 'get_assignment', arguments: { id: '1' } })) as {
          isError?: boolean;
          content: { text?: string }[];
          _meta?: Record<string, { code?: unknown }>;
        };
        results.push({
          isError: r.isError,
          text: r.content[0]?.text ?? '',
          code: r._meta?.['conduit/error']?.code,
        });
      }
    } finally {
      await client.close();
    }
    const lines = logger.records.filter((r) => r.event === 'http.error').map((r) => String(r.message));
    return { results, lines };
  }

  async function errorLines(settings: Partial<UpstreamInput>, hang: boolean, calls = 1): Promise<string[]> {
    return (await callsTo(settings, hang ? 'hang' : { body: '{"id":"1"}' }, calls)).lines;
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

  it('an answer over the size limit: upstreams.<name>.maxResponseBytes, in the tool error and the log', async () => {
    const body = JSON.stringify({ id: '1', notes: 'x'.repeat(2000) });
    const { results, lines } = await callsTo({ maxResponseBytes: 1024 }, { body });
    expect(results[0]).toMatchObject({ isError: true, code: 'RESPONSE_TOO_LARGE' });
    expect(results[0]!.text).toContain('Raise upstreams.assignments.maxResponseBytes');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('Raise upstreams.assignments.maxResponseBytes');
    expect(lines[0]).not.toContain('for this client or request');
  });

  it('upstreams.<name>.maxResponseBytes raised past the answer lets it through', async () => {
    const body = JSON.stringify({ id: '1', notes: 'x'.repeat(2000) });
    const { results, lines } = await callsTo({ maxResponseBytes: '4KiB' }, { body });
    expect(results[0]?.isError, results[0]?.text).toBeFalsy();
    expect(results[0]?.text).toContain('x'.repeat(2000));
    expect(lines).toEqual([]);
  });

  it('an answer nested too deep: upstreams.<name>.maxResponseDepth', async () => {
    const body = `${'['.repeat(12)}1${']'.repeat(12)}`;
    const { results, lines } = await callsTo({ maxResponseDepth: 10 }, { body });
    expect(results[0]).toMatchObject({ isError: true, code: 'RESPONSE_TOO_DEEP' });
    expect(results[0]!.text).toContain('upstreams.assignments.maxResponseDepth');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('Raise upstreams.assignments.maxResponseDepth');
  });
});
