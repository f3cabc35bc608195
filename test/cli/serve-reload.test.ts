import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { afterEach, describe, expect, it } from 'vitest';
import { startHeldUpstream, type HeldUpstream } from '../mcp/helpers/held-upstream.js';
import { serveCommand } from '../mcp/helpers/spawn-gateway.js';
import { type RedisHandle, startRedis } from '../helpers/redis-server.js';

const SECRET = 'reload-secret-4f1d9c';

/** The config as YAML, one tool per name; line numbers below count from this text. */
function configYaml(url: string, tools: string[], method = 'GET', head: string[] = []): string {
  return [
    ...head,
    'upstreams:',
    '  u:',
    `    baseUrl: ${url}`,
    '    headers:',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the config's own ${ENV} syntax
    '      x-api-key: ${RELOAD_TEST_KEY}',
    'tools:',
    ...tools.flatMap((name) => [
      `  - name: ${name}`,
      '    upstream: u',
      `    method: ${method}`,
      '    path: /who',
    ]),
    '',
  ].join('\n');
}

/** JSON lines of the process's stderr, and a wait for the first one that matches. */
function jsonLines(stream: Readable) {
  const lines: Record<string, unknown>[] = [];
  let text = '';
  const waiters: {
    test: (l: Record<string, unknown>) => boolean;
    resolve: (l: Record<string, unknown>) => void;
  }[] = [];
  createInterface({ input: stream }).on('line', (line) => {
    text += `${line}\n`;
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    lines.push(parsed);
    for (const w of [...waiters])
      if (w.test(parsed)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(parsed);
      }
  });
  return {
    text: () => text,
    next(test: (l: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
      return new Promise((resolve) => waiters.push({ test, resolve }));
    },
    seen(test: (l: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
      const found = lines.find(test);
      return found ? Promise.resolve(found) : this.next(test);
    },
  };
}

let upstream: HeldUpstream | undefined;
let client: Client | undefined;

afterEach(async () => {
  await client?.close().catch(() => {});
  client = undefined;
  await upstream?.close();
  upstream = undefined;
});

describe('conduit serve reloads its config on SIGHUP', () => {
  it('a new tool reaches the connected client (list_changed, tools/list); an invalid file is kept out with each problem at its line; a call in flight finishes', async () => {
    upstream = await startHeldUpstream('A');
    const dir = mkdtempSync(join(tmpdir(), 'conduit-reload-'));
    const file = join(dir, 'conduit.yaml');
    writeFileSync(file, configYaml(upstream.url, ['who']));
    const transport = new StdioClientTransport({
      ...serveCommand(file),
      env: { ...(process.env as Record<string, string>), RELOAD_TEST_KEY: SECRET, LOG_LEVEL: 'info' },
      stderr: 'pipe',
    });
    const log = jsonLines(transport.stderr as Readable);
    client = new Client({ name: 'reload-cli-test', version: '1.0.0' });
    let listChanged = 0;
    let onListChanged: (() => void) | undefined;
    client.setNotificationHandler('notifications/tools/list_changed', () => {
      listChanged++;
      onListChanged?.();
    });
    await client.connect(transport);
    await log.seen((l) => l.event === 'config.reload.ready');
    const pid = transport.pid as number;

    // Held by the upstream across both reloads.
    const inFlight = client.callTool({ name: 'who', arguments: {} });
    await upstream.received(1);

    writeFileSync(file, configYaml(upstream.url, ['who', 'who_else']));
    const heard = new Promise<void>((resolve) => {
      onListChanged = resolve;
    });
    const applied = log.next((l) => l.event === 'config.reload');
    process.kill(pid, 'SIGHUP');
    expect(await applied).toMatchObject({ outcome: 'applied', trigger: 'SIGHUP', toolsAdded: ['who_else'] });
    await heard;
    expect(listChanged).toBe(1);
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['who', 'who_else']);

    // `FETCH` is no method: validate's problem, at the line of the third tool's method.
    const invalid = configYaml(upstream.url, ['who', 'who_else', 'broken']).replace(
      /GET\n {4}path: \/who\n$/,
      'FETCH\n    path: /who\n',
    );
    writeFileSync(file, invalid);
    const fetchLine = invalid.split('\n').indexOf('    method: FETCH') + 1;
    const problem = log.next((l) => l.event === 'config.reload.problem');
    const refused = log.next((l) => l.event === 'config.reload');
    process.kill(pid, 'SIGHUP');
    expect(await problem).toMatchObject({ outcome: 'invalid', path: 'tools[2].method', line: fetchLine });
    expect(await refused).toMatchObject({ outcome: 'invalid', problems: 1 });
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['who', 'who_else']);

    upstream.releaseAll();
    const answer = (await inFlight) as { isError?: boolean; content: { text?: string }[] };
    expect(answer.isError).toBeFalsy();
    expect(JSON.parse(answer.content[0]?.text ?? '{}')).toEqual({ from: 'A' });
    expect(log.text()).not.toContain(SECRET);
  });

  it('answers every SIGHUP with its own problem and outcome lines, a repeated invalid file included (never held back as a repeat)', async () => {
    upstream = await startHeldUpstream('A');
    const dir = mkdtempSync(join(tmpdir(), 'conduit-reload-again-'));
    const file = join(dir, 'conduit.yaml');
    writeFileSync(file, configYaml(upstream.url, ['who']));
    const transport = new StdioClientTransport({
      ...serveCommand(file),
      env: { ...(process.env as Record<string, string>), RELOAD_TEST_KEY: SECRET, LOG_LEVEL: 'info' },
      stderr: 'pipe',
    });
    const log = jsonLines(transport.stderr as Readable);
    client = new Client({ name: 'reload-again-test', version: '1.0.0' });
    await client.connect(transport);
    await log.seen((l) => l.event === 'config.reload.ready');
    const pid = transport.pid as number;

    // The operator's loop: edit, SIGHUP, read the answer, try again. Each try gets its answer.
    const invalid = configYaml(upstream.url, ['who']).replace('method: GET', 'method: FETCH');
    writeFileSync(file, invalid);
    const fetchLine = invalid.split('\n').indexOf('    method: FETCH') + 1;
    for (let attempt = 1; attempt <= 2; attempt++) {
      const problem = log.next((l) => l.event === 'config.reload.problem');
      const refused = log.next((l) => l.event === 'config.reload');
      process.kill(pid, 'SIGHUP');
      expect(await problem, `attempt ${attempt}`).toMatchObject({ path: 'tools[0].method', line: fetchLine });
      expect(await refused, `attempt ${attempt}`).toMatchObject({ outcome: 'invalid', problems: 1 });
    }
  });
});

describe('conduit serve reloads past a change to an address it does not use', () => {
  it('over stdio, a changed server.http.port does not hold back the new tools (stdio binds no HTTP port)', async () => {
    upstream = await startHeldUpstream('A');
    const dir = mkdtempSync(join(tmpdir(), 'conduit-reload-stdio-port-'));
    const file = join(dir, 'conduit.yaml');
    const port = (n: number) => ['server:', '  http:', `    port: ${n}`, '    host: 127.0.0.1'];
    writeFileSync(file, configYaml(upstream.url, ['who'], 'GET', port(3999)));
    const transport = new StdioClientTransport({
      ...serveCommand(file),
      env: { ...(process.env as Record<string, string>), RELOAD_TEST_KEY: SECRET, LOG_LEVEL: 'info' },
      stderr: 'pipe',
    });
    const log = jsonLines(transport.stderr as Readable);
    client = new Client({ name: 'reload-stdio-port-test', version: '1.0.0' });
    await client.connect(transport);
    await log.seen((l) => l.event === 'config.reload.ready');
    writeFileSync(
      file,
      configYaml(upstream.url, ['who', 'who_else'], 'GET', [...port(3998).slice(0, 3), '    host: 0.0.0.0']),
    );
    const outcome = log.next((l) => l.event === 'config.reload');
    process.kill(transport.pid as number, 'SIGHUP');
    expect(await outcome).toMatchObject({ outcome: 'applied', toolsAdded: ['who_else'] });
  });

  it('over HTTP with --port, a changed server.http.port does not hold back the new tools (--port is in force)', async () => {
    upstream = await startHeldUpstream('A');
    const dir = mkdtempSync(join(tmpdir(), 'conduit-reload-http-port-'));
    const file = join(dir, 'conduit.yaml');
    const port = (n: number) => ['server:', '  http:', `    port: ${n}`];
    writeFileSync(file, configYaml(upstream.url, ['who'], 'GET', port(3999)));
    const { command, args } = serveCommand(file);
    const child = spawn(command, [...args, '--transport', 'http', '--port', '0'], {
      env: { ...(process.env as Record<string, string>), RELOAD_TEST_KEY: SECRET, LOG_LEVEL: 'info' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      const log = jsonLines(child.stderr);
      await log.seen((l) => l.event === 'config.reload.ready');
      writeFileSync(file, configYaml(upstream.url, ['who', 'who_else'], 'GET', port(3998)));
      const outcome = log.next((l) => l.event === 'config.reload');
      child.kill('SIGHUP');
      expect(await outcome).toMatchObject({ outcome: 'applied', toolsAdded: ['who_else'] });
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  });
});

describe('conduit serve and a config file that is gone at a reload', () => {
  it('says the file is gone and to put it back (not "pass --config", which a reload cannot change); once back, the reload finds nothing changed', async () => {
    upstream = await startHeldUpstream('A');
    const dir = mkdtempSync(join(tmpdir(), 'conduit-reload-gone-'));
    const file = join(dir, 'conduit.yaml');
    const text = configYaml(upstream.url, ['who']);
    writeFileSync(file, text);
    const transport = new StdioClientTransport({
      ...serveCommand(file),
      env: { ...(process.env as Record<string, string>), RELOAD_TEST_KEY: SECRET, LOG_LEVEL: 'info' },
      stderr: 'pipe',
    });
    const log = jsonLines(transport.stderr as Readable);
    client = new Client({ name: 'reload-gone-test', version: '1.0.0' });
    await client.connect(transport);
    await log.seen((l) => l.event === 'config.reload.ready');
    const pid = transport.pid as number;

    rmSync(file);
    const problem = log.next((l) => l.event === 'config.reload.problem');
    const refused = log.next((l) => l.event === 'config.reload');
    process.kill(pid, 'SIGHUP');
    const line = await problem;
    expect(String(line.msg)).toMatch(
      /conduit\.yaml is gone \(moved or deleted\): put it back and send SIGHUP again/,
    );
    expect(String(line.msg)).not.toContain('--config');
    expect(await refused).toMatchObject({ outcome: 'invalid', problems: 1 });
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['who']);

    writeFileSync(file, text);
    const back = log.next((l) => l.event === 'config.reload');
    process.kill(pid, 'SIGHUP');
    expect(await back).toMatchObject({ outcome: 'unchanged' });
  });
});

describe('conduit serve with server.reload.watch', () => {
  it('reloads when the file is written, without a signal', async () => {
    upstream = await startHeldUpstream('A');
    const dir = mkdtempSync(join(tmpdir(), 'conduit-watch-'));
    const file = join(dir, 'conduit.yaml');
    const watching = ['server:', '  reload:', '    watch: true', '    debounce: 50ms'];
    writeFileSync(file, configYaml(upstream.url, ['who'], 'GET', watching));
    const transport = new StdioClientTransport({
      ...serveCommand(file),
      env: { ...(process.env as Record<string, string>), RELOAD_TEST_KEY: SECRET, LOG_LEVEL: 'info' },
      stderr: 'pipe',
    });
    const log = jsonLines(transport.stderr as Readable);
    client = new Client({ name: 'reload-watch-test', version: '1.0.0' });
    await client.connect(transport);
    expect(await log.seen((l) => l.event === 'config.reload.ready')).toMatchObject({ watch: true });
    const applied = log.next((l) => l.event === 'config.reload');
    writeFileSync(file, configYaml(upstream.url, ['who', 'watched'], 'GET', watching));
    expect(await applied).toMatchObject({ outcome: 'applied', trigger: 'watch', toolsAdded: ['watched'] });
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['who', 'watched']);
  });
});

/**
 * A TCP proxy to `port` that holds every connection until `release()`: a process whose start-up waits
 * on Redis stays in that phase, and `connected` says it got there.
 */
async function heldProxy(port: number) {
  const waiting: Socket[] = [];
  let released = false;
  let reached!: () => void;
  const connected = new Promise<void>((resolve) => {
    reached = resolve;
  });
  const pipe = (socket: Socket) => {
    const target = connect(port, '127.0.0.1');
    socket.pipe(target).pipe(socket);
    socket.on('error', () => target.destroy());
    target.on('error', () => socket.destroy());
  };
  const server: Server = createServer((socket) => {
    reached();
    if (released) pipe(socket);
    else {
      socket.pause();
      waiting.push(socket);
    }
  });
  server.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  return {
    url: `redis://127.0.0.1:${(server.address() as { port: number }).port}`,
    connected,
    release(): void {
      released = true;
      for (const socket of waiting.splice(0)) {
        pipe(socket);
        socket.resume();
      }
    },
    close(): Promise<void> {
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

describe('conduit serve and a SIGHUP during start-up', () => {
  let redis: RedisHandle | undefined;
  afterEach(async () => {
    await redis?.stop();
    redis = undefined;
  });

  it('is held while the gateway starts (the process lives), logged, and served by one reload once ready', async () => {
    upstream = await startHeldUpstream('A');
    redis = await startRedis();
    const proxy = await heldProxy(redis.port);
    const dir = mkdtempSync(join(tmpdir(), 'conduit-early-hup-'));
    const file = join(dir, 'conduit.yaml');
    writeFileSync(
      file,
      configYaml(upstream.url, ['who'], 'GET', ['cache:', '  redis:', `    url: ${proxy.url}`]),
    );
    const transport = new StdioClientTransport({
      ...serveCommand(file),
      env: { ...(process.env as Record<string, string>), RELOAD_TEST_KEY: SECRET, LOG_LEVEL: 'info' },
      stderr: 'pipe',
    });
    const log = jsonLines(transport.stderr as Readable);
    const exited = new Promise<string>((resolve) => {
      transport.onclose = () => resolve('the process ended');
    });
    client = new Client({ name: 'early-hup-test', version: '1.0.0' });
    const connecting = client.connect(transport);
    // Awaited below once start-up may go on; a process that ended fails it (seen through `exited`).
    connecting.catch(() => {});
    try {
      // The gateway waits on Redis in its start: the reload handler of a started gateway is not there yet.
      await proxy.connected;
      process.kill(transport.pid as number, 'SIGHUP');
      const held = await Promise.race([log.seen((l) => l.event === 'config.reload.held'), exited]);
      expect(held).toMatchObject({ event: 'config.reload.held', trigger: 'SIGHUP' });
      const reload = log.next((l) => l.event === 'config.reload');
      proxy.release();
      await connecting;
      expect(await reload).toMatchObject({ trigger: 'SIGHUP', outcome: 'unchanged' });
      expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['who']);
    } finally {
      proxy.release();
      await client.close().catch(() => {});
      await proxy.close();
    }
  });
});
