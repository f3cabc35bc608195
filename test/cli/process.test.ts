import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AssignmentsUpstream, startAssignmentsUpstream } from '../../src/demo/index.js';
import { EXAMPLE_CONFIG, spawnCli } from './helpers.js';

const HOOKS_BLOCK_MAIN_THREAD = Number(process.versions.node.split('.')[0]) >= 24;

const INITIALIZE = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
};

// The real process: signals, stdout discipline, exit codes.
describe('conduit serve (spawned)', () => {
  let upstream: AssignmentsUpstream;
  let env: Record<string, string>;
  beforeAll(async () => {
    upstream = await startAssignmentsUpstream({ token: 'proc-token' });
    env = { ASSIGNMENTS_API_URL: upstream.url, ASSIGNMENTS_API_TOKEN: 'proc-token' };
  });
  afterAll(() => upstream.close());

  it('serves HTTP, and on SIGTERM shuts down gracefully with exit 0', async () => {
    const cli = spawnCli(['serve', '--config', EXAMPLE_CONFIG, '--transport', 'http', '--port', '0'], env);
    const [, url] = await cli.waitFor(/Conduit MCP server on (http:\/\/\S+)/);
    const client = new Client({ name: 'proc-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(url!)));
    const result = await client.callTool({ name: 'list_user_assignments', arguments: { userId: 'u3' } });
    expect(result.structuredContent).toMatchObject({ total: 4 });
    await client.close();
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toEqual({ code: 0, signal: null });
    expect(cli.stdout()).toBe('');
    expect(cli.stderr()).toMatch(/"msg":"shutting down"/);
    expect(cli.stderr()).not.toContain('a handle was still open');
  });

  it('speaks only JSON-RPC on stdout in stdio mode, and exits 0 when the client closes stdin', async () => {
    const cli = spawnCli(['serve', '--config', EXAMPLE_CONFIG, '--log-level', 'debug'], env);
    cli.child.stdin.write(`${JSON.stringify(INITIALIZE)}\n`);
    await cli.waitFor(/"id":1/, 'stdout');
    cli.child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })}\n`);
    cli.child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' })}\n`);
    await cli.waitFor(/"id":2/, 'stdout');
    cli.child.stdin.end();
    expect(await cli.exited).toEqual({ code: 0, signal: null });
    const lines = cli.stdout().split('\n').filter(Boolean);
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const line of lines) expect(JSON.parse(line)).toMatchObject({ jsonrpc: '2.0' });
    const list = lines.map((l) => JSON.parse(l)).find((m) => m.id === 2);
    expect(list.result.tools.map((t: { name: string }) => t.name)).toContain('get_assignment');
    expect(cli.stderr()).not.toContain('a handle was still open');
    // Logs went to stderr, as pino JSON lines.
    const logLines = cli.stderr().split('\n').filter(Boolean);
    expect(logLines.length).toBeGreaterThan(0);
    for (const line of logLines) expect(JSON.parse(line)).toHaveProperty('level');
  });

  it('over stdio with server.listener, every stderr line is a JSON log line, the listener URL among them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'conduit-stdio-listener-'));
    const config = join(dir, 'conduit.yaml');
    writeFileSync(
      config,
      `server: { listener: { host: 127.0.0.1, port: 0 } }\nupstreams: { api: { baseUrl: "${upstream.url}" } }\ntools: [{ name: ping, upstream: api, path: /health }]\n`,
    );
    const cli = spawnCli(['serve', '--config', config], env);
    cli.child.stdin.write(`${JSON.stringify(INITIALIZE)}\n`);
    await cli.waitFor(/"id":1/, 'stdout');
    cli.child.stdin.end();
    expect(await cli.exited).toEqual({ code: 0, signal: null });
    const lines = cli.stderr().split('\n').filter(Boolean);
    for (const line of lines) expect(() => JSON.parse(line), line).not.toThrow();
    const records = lines.map((l) => JSON.parse(l) as { msg?: string; listenerUrl?: string });
    const ready = records.find((r) => r.msg === 'MCP stdio server ready');
    expect(ready?.listenerUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('over stdio, a listener that cannot bind is said in a JSON log line, with what to change', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'conduit-stdio-taken-'));
    const config = join(dir, 'conduit.yaml');
    writeFileSync(
      config,
      `server: { listener: { host: 127.0.0.1, port: ${upstream.port} } }\nupstreams: { api: { baseUrl: "${upstream.url}" } }\ntools: [{ name: ping, upstream: api, path: /health }]\n`,
    );
    const cli = spawnCli(['serve', '--config', config], env);
    expect(await cli.exited).toEqual({ code: 3, signal: null });
    const lines = cli.stderr().split('\n').filter(Boolean);
    for (const line of lines) expect(() => JSON.parse(line), line).not.toThrow();
    const failed = lines
      .map((l) => JSON.parse(l) as { msg?: string; err?: string })
      .find((r) => r.msg === 'gateway failed to start');
    expect(failed?.err).toContain(
      `port ${upstream.port} is taken by another process: stop it, or change server.listener.port`,
    );
    expect(failed).toMatchObject({ code: 'START_FAILED', errno: 'EADDRINUSE', exitCode: 3 });
  });

  it('over stdio with --log-level silent, a failed start still says why, in one JSON line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'conduit-stdio-silent-'));
    const config = join(dir, 'conduit.yaml');
    writeFileSync(
      config,
      `server: { listener: { host: 127.0.0.1, port: ${upstream.port} } }\nupstreams: { api: { baseUrl: "${upstream.url}" } }\ntools: [{ name: ping, upstream: api, path: /health }]\n`,
    );
    const cli = spawnCli(['serve', '--config', config, '--log-level', 'silent'], env);
    expect(await cli.exited).toEqual({ code: 3, signal: null });
    const lines = cli.stderr().split('\n').filter(Boolean);
    expect(lines).toHaveLength(1);
    const failed = JSON.parse(lines[0]!) as { msg?: string; err?: string; level?: number };
    expect(failed.msg).toBe('gateway failed to start');
    expect(failed.err).toContain(`change server.listener.port`);
    expect(failed).toMatchObject({ code: 'START_FAILED', errno: 'EADDRINUSE', exitCode: 3 });
  });

  it('exits 0 when the client closes stdin while serve is still starting', async () => {
    // The fixture holds serve's start-up after the stdio server began reading until stdin ends.
    const release = join(mkdtempSync(join(tmpdir(), 'conduit-held-start-')), 'release');
    const cli = spawnCli(
      ['serve', '--config', EXAMPLE_CONFIG],
      { ...env, HOLD_RELEASE_FILE: release },
      'test/cli/fixtures/serve-held-start.ts',
    );
    cli.child.stdin.write(`${JSON.stringify(INITIALIZE)}\n`);
    await cli.waitFor(/"gate":"held"/);
    // Node 24 blocks the main thread while a module hook resolves: there the answer waits for the
    // hold, the end of stdin cannot release it and the file does, so the interleaving is forced on
    // 20 and 22 only.
    if (!HOOKS_BLOCK_MAIN_THREAD) await cli.waitFor(/"id":1/, 'stdout');
    cli.child.stdin.end();
    if (HOOKS_BLOCK_MAIN_THREAD) writeFileSync(release, '');
    expect(await cli.exited).toEqual({ code: 0, signal: null });
    expect(cli.stderr()).toMatch(/"reason":"stdin closed","msg":"shutting down"/);
    expect(cli.stderr()).toMatch(/"msg":"stopped"/);
  });

  it('lives through a SIGHUP that arrives while its modules still load, and reloads once started', async () => {
    const release = join(mkdtempSync(join(tmpdir(), 'conduit-held-load-')), 'release');
    const cli = spawnCli(
      ['serve', '--config', EXAMPLE_CONFIG],
      { ...env, LOG_LEVEL: 'info', HOLD_RELEASE_FILE: release },
      'test/cli/fixtures/serve-held-load.ts',
    );
    await cli.waitFor(/"gate":"held"/);
    // Without a listener from the entry's first line, this hangup ends the process here.
    cli.child.kill('SIGHUP');
    writeFileSync(release, '');
    cli.child.stdin.write(`${JSON.stringify(INITIALIZE)}\n`);
    await cli.waitFor(/"id":1/, 'stdout');
    await cli.waitFor(/"event":"config\.reload","outcome":"unchanged","trigger":"SIGHUP"/);
    cli.child.stdin.end();
    expect(await cli.exited).toEqual({ code: 0, signal: null });
  });

  it('a second SIGTERM while calls are in flight exits at once with 130', async () => {
    upstream.setFault({ kind: 'hang' });
    try {
      const cli = spawnCli(['serve', '--config', EXAMPLE_CONFIG, '--transport', 'http', '--port', '0'], env);
      const [, url] = await cli.waitFor(/Conduit MCP server on (http:\/\/\S+)/);
      const client = new Client({ name: 'proc-test', version: '1.0.0' });
      await client.connect(new StreamableHTTPClientTransport(new URL(url!)));
      const before = upstream.stats().requests;
      const call = client.callTool({ name: 'get_assignment', arguments: { id: 'a1' } }).catch(() => 'failed');
      await upstream.waitForRequests(before + 1);
      cli.child.kill('SIGTERM');
      await cli.waitFor(/"msg":"shutting down"/);
      cli.child.kill('SIGTERM');
      expect(await cli.exited).toEqual({ code: 130, signal: null });
      expect(cli.stderr()).toContain('second stop request');
      // The SDK client does not notice a dead server until closed; closing settles the call.
      await client.close().catch(() => {});
      expect(await call).toBe('failed');
    } finally {
      upstream.setFault(undefined);
    }
  });
});

// `conduit validate --config x.yaml | head -1`: the reader leaves before the output is written.
describe('conduit output into a pipe whose reader has gone', () => {
  it("ends with the command's own exit code and no stack trace (help: 0, an invalid config: 1)", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'conduit-epipe-'));
    const invalid = join(dir, 'bad.yaml');
    writeFileSync(invalid, 'upstreams: {}\ntools: []\nbogus: 1\n');
    for (const [args, code] of [
      [['--help'], 0],
      [['validate', '--config', invalid], 1],
    ] as const) {
      const cli = spawnCli([...args]);
      // Closed before the process has loaded its modules, so every write it makes meets EPIPE.
      cli.child.stdout.destroy();
      const exit = await cli.exited;
      expect(cli.stderr(), args.join(' ')).not.toMatch(/EPIPE|Unhandled|at /);
      expect(exit, args.join(' ')).toEqual({ code, signal: null });
    }
  });
});

/** The one stderr line of a serve that ended before serving, parsed; fails when stderr is not one JSON line. */
async function onlyJsonLine(cli: ReturnType<typeof spawnCli>): Promise<Record<string, unknown>> {
  await cli.exited;
  const lines = cli.stderr().split('\n').filter(Boolean);
  expect(lines, cli.stderr()).toHaveLength(1);
  return JSON.parse(lines[0]!) as Record<string, unknown>;
}

// An MCP client host logs the stderr of the server it spawned and may read it as JSON lines.
describe('conduit serve over stdio, failing before it serves (spawned)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'conduit-stdio-refused-'));

  it('a config file that does not exist is one JSON line with code INVALID_CONFIG and the human message; exit 1', async () => {
    const cli = spawnCli(['serve', '--config', join(dir, 'missing.yaml')]);
    const line = await onlyJsonLine(cli);
    expect(await cli.exited).toEqual({ code: 1, signal: null });
    expect(line).toMatchObject({ level: 50, name: 'conduit', code: 'INVALID_CONFIG', exitCode: 1 });
    expect(line.msg).toBe('gateway failed to start');
    expect(line.err).toContain('missing.yaml does not exist');
    expect(cli.stdout()).toBe('');
  });

  it('a config that is refused lists its problems with their lines in the JSON line', async () => {
    const config = join(dir, 'typo.yaml');
    writeFileSync(
      config,
      'upstreams: { api: { baseUrl: "http://127.0.0.1:9" } }\ntools:\n  - name: ping\n    upstrem: api\n    path: /x\n',
    );
    const cli = spawnCli(['serve', '--config', config]);
    const line = await onlyJsonLine(cli);
    expect(line).toMatchObject({ code: 'INVALID_CONFIG', exitCode: 1 });
    expect(line.problems).toContainEqual(
      expect.objectContaining({
        path: 'tools[0].upstrem',
        line: 4,
        message: expect.stringContaining('did you mean "upstream"'),
      }),
    );
  });

  it('a bad flag or transport is one JSON line with code USAGE and where to read more; exit 2', async () => {
    for (const args of [
      ['--confg', 'x.yaml'],
      ['--transport', 'carrier-pigeon'],
      ['-l', 'loud'],
    ]) {
      const cli = spawnCli(['serve', ...args]);
      const line = await onlyJsonLine(cli);
      expect(await cli.exited, args.join(' ')).toEqual({ code: 2, signal: null });
      expect(line).toMatchObject({ code: 'USAGE', exitCode: 2, hint: 'See conduit serve --help.' });
    }
  });

  it('a handle left open after serve ended is said in a JSON line too, and the process still exits with its code', async () => {
    const cli = spawnCli(
      ['serve', '--config', join(dir, 'missing.yaml')],
      {},
      'test/cli/fixtures/stray-handle.ts',
    );
    expect(await cli.exited).toEqual({ code: 1, signal: null });
    const lines = cli.stderr().split('\n').filter(Boolean);
    for (const line of lines) expect(() => JSON.parse(line), line).not.toThrow();
    expect(lines.map((l) => JSON.parse(l) as { msg?: string }).map((r) => r.msg)).toEqual([
      'gateway failed to start',
      'a handle was still open 2 s after the command finished; exiting anyway',
    ]);
  });

  it('with --transport http the same failure stays a plain line for the person who started it', async () => {
    const cli = spawnCli(['serve', '--transport', 'http', '--config', join(dir, 'missing.yaml')]);
    expect(await cli.exited).toEqual({ code: 1, signal: null });
    expect(cli.stderr()).toMatch(/^conduit: config file .*missing\.yaml does not exist/);
  });
});
