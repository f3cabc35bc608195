import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport as StdioV1 } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { textOf } from './helpers/clients.js';
import { assignmentsConfig } from './helpers/config.js';
import { serveCommand, spawnRaw, writeConfig } from './helpers/spawn-gateway.js';
import { startUpstream, type Upstream } from './helpers/upstream.js';
import { JsonLines } from '../../src/mcp/transport/json-lines.js';

let upstream: Upstream;
let configPath: string;

beforeAll(async () => {
  upstream = await startUpstream();
  configPath = writeConfig(assignmentsConfig(upstream.url));
});
afterAll(async () => {
  await upstream?.close();
});

const INIT_PARAMS = {
  protocolVersion: '2025-06-18',
  capabilities: {},
  clientInfo: { name: 'raw-test', version: '1.0.0' },
};

describe('stdio: the spawned gateway with real clients', () => {
  it.each([
    ['2025 handshake', {}],
    ['2026-07-28', { versionNegotiation: { mode: { pin: '2026-07-28' as const } } }],
  ])('serves the v2 client (%s)', async (_label, options) => {
    const client = new Client({ name: 'stdio-v2', version: '1.0.0' }, options);
    await client.connect(new StdioClientTransport({ ...serveCommand(configPath), stderr: 'ignore' }));
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toContain('get_assignment');
      const ok = await client.callTool({ name: 'get_assignment', arguments: { id: '1' } });
      expect(ok.structuredContent).toMatchObject({ id: '1', title: 'Write tests' });
      const bad = await client.callTool({ name: 'get_assignment', arguments: {} });
      expect(bad.isError).toBe(true);
      expect(textOf(bad)).toContain('field "id" is required');
    } finally {
      await client.close();
    }
  });

  it('serves the v1 client', async () => {
    const client = new ClientV1({ name: 'stdio-v1', version: '1.0.0' });
    await client.connect(new StdioV1({ ...serveCommand(configPath), stderr: 'ignore' }));
    try {
      const r = await client.callTool({ name: 'get_assignment', arguments: { id: '404' } });
      expect(r.isError).toBe(true);
      expect(textOf(r)).toContain('HTTP 404');
    } finally {
      await client.close();
    }
  });
});

describe('stdio: the raw byte stream', () => {
  // One spawned process for both checks: spawning through tsx costs seconds on a busy machine.
  it('writes nothing but JSON-RPC to stdout with debug logging on, and on SIGTERM finishes calls in flight then exits 0', async () => {
    const server = spawnRaw(configPath, { LOG_LEVEL: 'debug' });
    server.send({ jsonrpc: '2.0', id: 1, method: 'initialize', params: INIT_PARAMS });
    await server.response(1);
    server.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    server.send({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
    const call = (id: number, name: string, args: Record<string, unknown>) =>
      server.send({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } });
    call(3, 'get_assignment', { id: '1' });
    call(4, 'get_assignment', { id: '404' });
    call(5, 'get_assignment', {});
    call(6, 'no_such_tool', {});
    const [list, ok, notFound, invalid, unknown] = await Promise.all(
      [2, 3, 4, 5, 6].map((id) => server.response(id)),
    );
    expect((list!.result as { tools: unknown[] }).tools.length).toBe(3);
    expect((ok!.result as { isError?: boolean }).isError).toBeFalsy();
    expect((notFound!.result as { isError?: boolean }).isError).toBe(true);
    expect((invalid!.result as { isError?: boolean }).isError).toBe(true);
    expect(unknown!.error ?? (unknown!.result as { isError?: boolean }).isError).toBeTruthy();

    // Two calls hang on the upstream; SIGTERM arrives; the calls must still be answered.
    upstream.setFault({ kind: 'hang' });
    const arrived = [upstream.nextRequest(), upstream.nextRequest()];
    call(7, 'get_assignment', { id: '1' });
    call(8, 'get_assignment', { id: '2' });
    await Promise.all(arrived);
    server.child.kill('SIGTERM');
    await server.stderrIncludes('shutting down: waiting for calls in flight');
    upstream.setFault({ kind: 'none' });
    upstream.release({ id: 'x', title: 'finished after SIGTERM' });
    const [a, b] = await Promise.all([server.response(7), server.response(8)]);
    expect(a.result).toMatchObject({ structuredContent: { title: 'finished after SIGTERM' } });
    expect(b.result).toMatchObject({ structuredContent: { title: 'finished after SIGTERM' } });
    const { code } = await server.exit;
    expect(code).toBe(0);

    expect(server.stdoutLines.length).toBeGreaterThanOrEqual(8);
    for (const line of server.stdoutLines) {
      const msg = JSON.parse(line) as { jsonrpc?: string };
      expect(msg.jsonrpc).toBe('2.0');
    }
    // Debug logging was on, and it went to stderr.
    expect(server.stderr()).toMatch(/"level":20/);
  });

  it('answers a line that is not JSON with a parse error (id null), logs it once on stderr cut short and without secrets, and serves the next line', async () => {
    const secret = 'stdio-secret-value-0123456789';
    const config = assignmentsConfig(upstream.url);
    // A `${ENV}` value is a secret: the log line must not show it, though the client sent it.
    config.upstreams.assignments!.headers = { 'x-api-key': `\${STDIO_TEST_KEY}` };
    const server = spawnRaw(writeConfig(config), { STDIO_TEST_KEY: secret });
    const tail = 'the-end-of-a-long-line';
    const garbage = `${secret} is not JSON ${'x'.repeat(500)}${tail}`;
    // A blank line is no message: it gets no answer.
    server.child.stdin.write(`\n${garbage}\n`);
    server.send({ jsonrpc: '2.0', id: 1, method: 'initialize', params: INIT_PARAMS });
    const init = await server.response(1);
    expect(init.result).toMatchObject({ serverInfo: expect.any(Object) });
    // Answered in the order the lines came: the parse error is out before the answer to 1.
    const [parseError, ...rest] = server.stdoutLines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(parseError).toEqual({
      jsonrpc: '2.0',
      id: null,
      error: { code: -32700, message: expect.stringMatching(/^Parse error/) },
    });
    expect(rest).toEqual([init]);

    await server.stderrIncludes('not valid JSON');
    server.child.stdin.end();
    expect((await server.exit).code).toBe(0);
    const logged = server
      .stderr()
      .split('\n')
      .filter((l) => l.includes('not valid JSON'));
    expect(logged).toHaveLength(1);
    const line = JSON.parse(logged[0]!) as { level: number; bytes: number; start: string };
    expect(line.level).toBe(40);
    expect(line.bytes).toBe(Buffer.byteLength(garbage));
    expect(line.start.length).toBeLessThan(64);
    expect(line.start).toMatch(/^\[REDACTED\] is not JSON/);
    expect(server.stderr()).not.toContain(secret);
    expect(server.stderr()).not.toContain(tail);
  });

  it('answers a JSON line that is no JSON-RPC message with Invalid Request, with its id when it names one', async () => {
    const server = spawnRaw(configPath);
    server.send({ jsonrpc: '2.0', id: 1, method: 'initialize', params: INIT_PARAMS });
    await server.response(1);
    // Params that are no object, and a batch (MCP has none): the SDK's read buffer drops both without a word.
    server.send({ jsonrpc: '2.0', id: 7, method: 'tools/list', params: 'x' });
    server.send([{ jsonrpc: '2.0', id: 8, method: 'ping' }]);
    server.send({ jsonrpc: '2.0', id: 9, method: 'ping' });
    const invalid = { code: -32600, message: expect.stringMatching(/^Invalid Request/) };
    expect(await server.response(7)).toEqual({ jsonrpc: '2.0', id: 7, error: invalid });
    expect(await server.response(null)).toEqual({ jsonrpc: '2.0', id: null, error: invalid });
    expect((await server.response(9)).result).toEqual({});
    server.child.stdin.end();
    expect((await server.exit).code).toBe(0);
  });

  it('answers lines nested 10,000 and 100,000 levels deep clearly for their ids, and keeps serving', async () => {
    const server = spawnRaw(configPath);
    server.send({ jsonrpc: '2.0', id: 1, method: 'initialize', params: INIT_PARAMS });
    await server.response(1);
    server.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    // Written as text: JSON.stringify itself overflows the stack on values this deep.
    const arrays = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
    const call = (id: number, depth: number) =>
      `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"echo","arguments":{"tags":${arrays(depth)}}}}\n`;
    server.child.stdin.write(call(7, 10_000));
    server.child.stdin.write(call(8, 100_000));
    // Deep where no tool input is: the SDK reads past it.
    server.child.stdin.write(
      `{"jsonrpc":"2.0","id":9,"method":"ping","params":{"_meta":{"x":${arrays(100_000)}}}}\n`,
    );
    server.send({ jsonrpc: '2.0', id: 10, method: 'ping' });
    for (const id of [7, 8]) {
      const r = (await server.response(id)).result as { isError?: boolean; content: { text?: string }[] };
      expect(r.isError).toBe(true);
      expect(r.content[0]?.text).toMatch(/ARGUMENTS_TOO_DEEP: arguments are nested more than 64 levels deep/);
    }
    expect((await server.response(9)).result).toEqual({});
    expect((await server.response(10)).result).toEqual({});
    server.child.stdin.end();
    expect((await server.exit).code).toBe(0);
    expect(server.stderr()).not.toMatch(/call stack|RangeError/i);
  });

  it('exits 0 by itself when the client closes stdin', async () => {
    const server = spawnRaw(configPath);
    server.send({ jsonrpc: '2.0', id: 1, method: 'initialize', params: INIT_PARAMS });
    await server.response(1);
    server.child.stdin.end();
    expect((await server.exit).code).toBe(0);
  });
});

describe('stdio: the lines stdin is read as', () => {
  /** What `JsonLines` passes on and reports, given these chunks (ended after the last). */
  async function sorted(chunks: string[], maxLine?: number) {
    const reported: { line: string; bytes: number }[] = [];
    const lines = new JsonLines((line, bytes) => reported.push({ line, bytes }), maxLine);
    const out: string[] = [];
    lines.on('data', (b: Buffer) => out.push(b.toString('utf8')));
    const ended = new Promise((resolve) => lines.on('end', resolve));
    for (const c of chunks) lines.write(Buffer.from(c));
    lines.end();
    await ended;
    return { passed: out.join(''), reported };
  }

  it('passes JSON lines on whole, split across chunks or with CRLF; reports the rest and drops blank lines', async () => {
    const m = (name: string) => `{"jsonrpc":"2.0","method":"${name}"}`;
    const { passed, reported } = await sorted([
      m('a').slice(0, 9),
      `${m('a').slice(9)}\n\r\n`,
      `nope\r\n${m('b')}\r\n${m('é').slice(0, 31)}`,
      `${m('é').slice(31)}\n`,
    ]);
    expect(passed).toBe(`${m('a')}\n${m('b')}\r\n${m('é')}\n`);
    expect(reported).toEqual([{ line: 'nope', bytes: 4 }]);
  });

  it('passes a line longer than the limit, and all after it, on unread (the SDK refuses it)', async () => {
    const { passed, reported } = await sorted(['x'.repeat(10), 'y'.repeat(10), '\nnot json\n'], 16);
    expect(passed).toBe(`${'x'.repeat(10)}${'y'.repeat(10)}\nnot json\n`);
    expect(reported).toEqual([]);
  });
});
