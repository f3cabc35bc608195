import { once } from 'node:events';
import { rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run.js';
import { createLogger, type Logger } from '../../src/core/index.js';
import { memoryIo, ROOT } from './helpers.js';

// Every auth kind takes its secret from the environment; with trace logging on, none may show up in
// the process's stderr or in any tool result, even when the upstream echoes the request back in an error.
const SECRETS = {
  Q_TOKEN: 'sekret-query-0001',
  B_PASS: 'sekret-basic-0002',
  H_TOKEN: 'sekret-header-0003',
  T_TOKEN: 'sekret-bearer-0004',
};
const SHOWN = [...Object.values(SECRETS), Buffer.from(`alice:${SECRETS.B_PASS}`).toString('base64')];

const tool = (name: string, upstream: string, path = '/x/{id}') =>
  `  - { name: ${name}, upstream: ${upstream}, method: GET, path: "${path}", timeout: 300ms, input: { type: object, properties: { id: { type: string } }, required: [id] } }\n`;
const CONFIG = `upstreams:
  q: { baseUrl: "\${UP_URL}", auth: { type: query, name: api_key, value: "\${Q_TOKEN}" }, retry: { maxAttempts: 2, baseDelay: 5ms, maxDelay: 10ms } }
  b: { baseUrl: "\${UP_URL}", auth: { type: basic, username: alice, password: "\${B_PASS}" }, retry: { maxAttempts: 1 } }
  h: { baseUrl: "\${UP_URL}", auth: { type: header, name: x-custom-key, value: "\${H_TOKEN}" }, retry: { maxAttempts: 1 } }
  t: { baseUrl: "\${UP_URL}", auth: { type: bearer, token: "\${T_TOKEN}" }, retry: { maxAttempts: 1 } }
tools:
${tool('q_get', 'q')}${tool('b_get', 'b')}${tool('h_get', 'h')}${tool('t_get', 't')}${tool('q_hang', 'q', '/hang/{id}')}`;

let upstream: Server;
let upstreamUrl: string;
const received: string[] = [];

beforeAll(async () => {
  upstream = createServer((req, res) => {
    received.push(JSON.stringify({ url: req.url, headers: req.headers }));
    if (req.url?.startsWith('/hang')) return; // never answers: the tool's timeout fires
    const id = (req.url ?? '').split('?')[0]!.split('/')[2] ?? '';
    const status = Number(id) || 200;
    res.writeHead(status, { 'content-type': 'application/json' });
    // Error bodies echo the request back (as some servers do); a success is the upstream's own data,
    // passed through as it is, so it does not echo here.
    res.end(JSON.stringify(status === 200 ? { id } : { echoed_url: req.url, echoed_headers: req.headers }));
  });
  upstream.listen(0, '127.0.0.1');
  await once(upstream, 'listening');
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
});
afterAll(() => {
  upstream.closeAllConnections();
  upstream.close();
});

describe('secrets from the environment, at trace log level', () => {
  it('reach the upstream but appear in no log line and no tool result, whatever the outcome', async () => {
    const configPath = join(tmpdir(), `conduit-secrets-${process.pid}.yaml`);
    writeFileSync(configPath, CONFIG);
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--config', configPath, '--log-level', 'trace'],
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', UP_URL: upstreamUrl, ...SECRETS },
      stderr: 'pipe',
    });
    let stderr = '';
    transport.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString('utf8');
    });
    const client = new Client({ name: 'secrets-test', version: '1.0.0' });
    await client.connect(transport);
    const results: unknown[] = [];
    try {
      for (const name of ['q_get', 'b_get', 'h_get', 't_get'])
        for (const id of ['ok', '401', '500'])
          results.push(await client.callTool({ name, arguments: { id } }));
      results.push(await client.callTool({ name: 'q_hang', arguments: { id: '1' } }));
    } finally {
      await client.close();
      rmSync(configPath, { force: true });
    }
    // The calls happened, with the credentials, and were logged at trace level…
    const sent = received.join('\n');
    expect(sent).toContain(`api_key=${SECRETS.Q_TOKEN}`);
    expect(sent).toContain(`"x-custom-key":"${SECRETS.H_TOKEN}"`);
    expect(sent).toContain(`Bearer ${SECRETS.T_TOKEN}`);
    expect(sent).toContain(`Basic ${SHOWN[4]}`);
    expect(stderr).toMatch(/"level":20,.*"msg":"http request"/);
    expect(stderr).toContain('"msg":"http response"');
    expect(JSON.stringify(results)).toMatch(/answered HTTP 500.*echoed_headers/);
    expect(JSON.stringify(results)).toMatch(/did not answer in time/);
    // …and no secret, nor the basic credentials' encoding, left the process in writing.
    for (const secret of SHOWN) {
      expect(stderr).not.toContain(secret);
      expect(JSON.stringify(results)).not.toContain(secret);
    }
  });
});

/**
 * Runs `conduit serve` in process on `config` with `env`, its log lines written to memory; once it
 * serves, `log` writes with the logger serve made. Returns the lines written, serve stopped.
 */
async function servedLog(
  name: string,
  config: string,
  env: Record<string, string>,
  log: (logger: Logger) => void,
): Promise<string> {
  const configPath = join(tmpdir(), `conduit-secrets-${name}-${process.pid}.yaml`);
  writeFileSync(configPath, config);
  const written: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      written.push(String(chunk));
      done();
    },
  });
  let made: Logger | undefined;
  const m = memoryIo(env);
  const exit = runCli(['serve', '--config', configPath, '--transport', 'http', '--port', '0'], m.io, {
    createLogger: (options) => {
      made = createLogger({ ...options, destination: sink });
      return made;
    },
  });
  try {
    await Promise.race([
      m.waitForStopListener(),
      exit.then((code) => Promise.reject(new Error(`serve exited with ${code}: ${m.stderr()}`))),
    ]);
    log(made!);
  } finally {
    m.stop('SIGTERM');
    await exit;
    rmSync(configPath, { force: true });
  }
  return written.join('');
}

describe("serve's logger", () => {
  it("scrubs the config's secrets, in every encoding, from any line, whichever code writes it", async () => {
    const secret = 'sekret-any-line-0005';
    const text = await servedLog(
      'lines',
      `upstreams:\n  t: { baseUrl: "${upstreamUrl}", auth: { type: bearer, token: "\${T_TOKEN}" } }\ntools:\n${tool('t_get', 't')}`,
      { T_TOKEN: secret },
      // A line that quotes the secret, as a library's error message or a new code path might.
      (logger) =>
        logger.warn(
          { detail: `failed for ${secret}`, b64: Buffer.from(secret).toString('base64') },
          `as text: ${encodeURIComponent(secret)}`,
        ),
    );
    expect(text).toContain('failed for [REDACTED]');
    for (const shown of [secret, Buffer.from(secret).toString('base64')]) expect(text).not.toContain(shown);
    for (const line of text.trim().split('\n')) expect(() => JSON.parse(line)).not.toThrow();
  });
});

describe("serve's logger, when an environment value is also JSON's own text", () => {
  it('keeps every line JSON: strings are scrubbed, a number that is a secret becomes [REDACTED], a flag stays', async () => {
    // Quotes and a backslash in the token (a header may carry them); a line break and beyond Latin-1 elsewhere.
    const secret = 'sekret "quoted" \\ back-0006';
    const other = 'note\nline ü-0007';
    const text = await servedLog(
      'json',
      `server: { http: { stateless: "\${STATELESS}", maxSessions: "\${MAX_SESSIONS}" } }\nupstreams:\n  t: { baseUrl: "${upstreamUrl}", auth: { type: bearer, token: "\${T_TOKEN}" } }\ntools:\n${tool('t_get', 't')}  - { name: t_note, upstream: t, method: GET, path: /n, description: "\${NOTE}" }\n`,
      { T_TOKEN: secret, NOTE: other, STATELESS: 'false', MAX_SESSIONS: '8080' },
      (logger) =>
        logger.warn(
          { detail: `failed for ${secret}`, [`key ${other}`]: 1, cached: false, tries: 8080, next: 80801 },
          'a line',
        ),
    );
    const lines = text.trim().split('\n');
    const parsed = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const listening = parsed.find((l) => l.msg === 'MCP Streamable HTTP listening');
    expect(listening?.stateless).toBe(false);
    const warned = parsed.find((l) => l.msg === 'a line');
    expect(warned).toMatchObject({
      detail: 'failed for [REDACTED]',
      'key [REDACTED]': 1,
      cached: false,
      tries: '[REDACTED]',
      // Digits of a longer number (a timestamp's, by chance) are not the secret: the number stays.
      next: 80801,
    });
    for (const l of parsed) expect(typeof l.time).toBe('number');
    for (const v of [secret, other])
      for (const shown of [v, JSON.stringify(v).slice(1, -1)]) expect(text).not.toContain(shown);
  });
});
