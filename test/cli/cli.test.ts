import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { ExitCode } from '../../src/cli/exit-codes.js';
import { runCli } from '../../src/cli/run.js';
import { createRecordingLogger } from '../../src/core/index.js';
import { type AssignmentsUpstream, startAssignmentsUpstream } from '../../src/demo/index.js';
import { EXAMPLE_CONFIG, memoryIo, ROOT } from './helpers.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};
// The example's tool count, read from the file itself so adding a tool to the example keeps this honest,
// and the recent_changes tool its resources section adds.
const exampleTools =
  Object.keys((parseYaml(readFileSync(EXAMPLE_CONFIG, 'utf8')) as { tools: Record<string, unknown> }).tools)
    .length + 1;
const dir = mkdtempSync(join(tmpdir(), 'conduit-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('conduit: help, version, usage errors', () => {
  it('prints the version from package.json', async () => {
    for (const flag of ['--version', '-v']) {
      const m = memoryIo();
      expect(await runCli([flag], m.io)).toBe(ExitCode.OK);
      expect(m.stdout()).toBe(`${pkg.version}\n`);
    }
  });

  it('prints help for the program and for each command', async () => {
    const m = memoryIo();
    expect(await runCli(['--help'], m.io)).toBe(0);
    expect(m.stdout()).toMatch(/Commands:[\s\S]*serve[\s\S]*validate[\s\S]*demo/);
    expect(m.stdout()).toContain('Exit codes: 0 ok, 1 invalid config, 2 usage error');
    for (const [args, text] of [
      [['serve', '--help'], '--transport <t>'],
      [['validate', '-h'], '--json'],
      [['demo', '--help'], 'REDIS_URL'],
      [['help', 'serve'], 'SIGINT/SIGTERM'],
      // docs/cli.md: SIGHUP reloads the config; --help says so too.
      [['serve', '--help'], 'SIGHUP reloads the config'],
    ] as const) {
      const h = memoryIo();
      expect(await runCli([...args], h.io)).toBe(0);
      expect(h.stdout()).toContain(text);
    }
  });

  it('names the docs and examples it points to by paths that exist from any folder, not clone-relative ones', async () => {
    for (const args of [['--help'], ['init', '--help'], ['demo', '--help']]) {
      const m = memoryIo();
      expect(await runCli(args, m.io)).toBe(ExitCode.OK);
      const paths = [...m.stdout().matchAll(/(\S*(?:docs|examples)\/[\w./-]+\.(?:md|ya?ml))/g)].map(
        (p) => p[1]!,
      );
      expect(paths.length, args.join(' ')).toBeGreaterThan(0);
      for (const path of paths) {
        expect(isAbsolute(path), path).toBe(true);
        expect(existsSync(path), path).toBe(true);
      }
    }
  });

  it('exits 2 with a pointer to --help on usage errors', async () => {
    const cases: [string[], RegExp][] = [
      [[], /Usage:/],
      [['serv'], /unknown command "serv" \(did you mean "serve"\?\)[\s\S]*conduit --help/],
      [['--bogus'], /unknown option --bogus/],
      [['validate', '--bogus'], /Unknown option '--bogus'[\s\S]*conduit validate --help/],
      [['serve', '--confg', 'x.yaml'], /Unknown option '--confg': did you mean --config\?/],
      [['serve', '--trasnport', 'http'], /did you mean --transport\?/],
      [['validate', '--jsno'], /did you mean --json\?/],
      [['init', '--opneapi', 'spec.yaml'], /did you mean --openapi\?/],
      [['demo', '--log-levl', 'debug'], /did you mean --log-level\?/],
      [['validate', 'extra-positional'], /positional/i],
      // The first thing a new user types: the file as an argument. Say which option takes it.
      [
        ['validate', 'conduit.yaml'],
        /Unexpected argument 'conduit\.yaml'.*did you mean --config conduit\.yaml\?/,
      ],
      [['serve', 'conduit.yaml'], /did you mean --config conduit\.yaml\?[\s\S]*conduit serve --help/],
      [['init', 'openapi.yaml'], /did you mean --openapi openapi\.yaml\?/],
      [['serve', '--transport', 'carrier-pigeon'], /--transport must be stdio or http/],
      [['serve', '--transport', 'http', '--port', '99999'], /--port must be an integer/],
      [['serve', '--port', '3000'], /apply to --transport http only/],
      [
        ['serve', '--log-level', 'loud'],
        /--log-level must be one of trace, debug[\s\S]*conduit serve --help/,
      ],
      [['demo', '--log-level', 'loud'], /--log-level must be one of[\s\S]*conduit demo --help/],
    ];
    for (const [args, pattern] of cases) {
      const m = memoryIo();
      // A person at a terminal: serve's plain lines (spawned by a host, they are JSON: process.test.ts).
      m.io.stderrIsTTY = true;
      expect(await runCli(args, m.io), args.join(' ')).toBe(ExitCode.USAGE);
      expect(m.stderr()).toMatch(pattern);
      expect(m.stdout()).toBe('');
    }
    const env = memoryIo({ LOG_LEVEL: 'chatty' });
    env.io.stderrIsTTY = true;
    expect(await runCli(['serve', '--config', EXAMPLE_CONFIG], env.io)).toBe(ExitCode.USAGE);
    expect(env.stderr()).toMatch(/LOG_LEVEL must be one of[\s\S]*conduit serve --help/);
  });
});

describe('conduit validate', () => {
  it('accepts a valid config, exit 0', async () => {
    const m = memoryIo();
    expect(await runCli(['validate', '--config', EXAMPLE_CONFIG], m.io)).toBe(0);
    expect(m.stdout()).toBe(
      `${EXAMPLE_CONFIG}: valid (1 upstream, ${exampleTools} tools, 1 of them built in: recent_changes)\n`,
    );
  });

  it('warns of a cache ttl or breaker recovery written as a plain number under 1000: milliseconds, where seconds were meant', async () => {
    const bare = file(
      'bare-ttl.yaml',
      'upstreams:\n  api: { baseUrl: "http://127.0.0.1:9", breaker: { recovery: 30 } }\ntools:\n  - { name: t, upstream: api, path: /x, cache: { ttl: 60, staleIfError: 10m } }\n',
    );
    const m = memoryIo();
    expect(await runCli(['validate', '--config', bare], m.io)).toBe(ExitCode.OK);
    expect(m.stdout()).toContain(
      'tools[0].cache.ttl: 60 is read as 60 ms (a plain number is milliseconds); write "60s" if seconds were meant',
    );
    expect(m.stdout()).toContain('upstreams.api.breaker.recovery: 30 is read as 30 ms');
    expect(m.stdout()).not.toContain('staleIfError');
  });

  it('a path with {holes} left unquoted in a { } mapping says to quote it, not only what the YAML parser saw', async () => {
    const flow = file(
      'flow-hole.yaml',
      'upstreams:\n  api: { baseUrl: "http://127.0.0.1:9" }\ntools:\n  - { name: get_item, upstream: api, path: /items/{id} }\n',
    );
    const m = memoryIo();
    expect(await runCli(['validate', '--config', flow], m.io)).toBe(ExitCode.CONFIG);
    expect(m.stdout()).toMatch(
      /flow-hole\.yaml:4:\d+ {2}not valid YAML: .*; inside \{ \} or \[ \], quote a value that holds \{holes\} \("\/items\/\{id\}"/,
    );
  });

  it('counts the tools an openapi section serves in compact mode (two) and says how many operations they reach', async () => {
    const spec = join(ROOT, 'examples/openapi/assignments.openapi.yaml');
    const compact = file(
      'compact.yaml',
      `upstreams:
  assignments:
    baseUrl: http://127.0.0.1:4010
    openapi: { document: ${JSON.stringify(spec)}, mode: compact }
`,
    );
    const m = memoryIo();
    expect(await runCli(['validate', '--config', compact], m.io)).toBe(0);
    expect(m.stdout()).toBe(`${compact}: valid (1 upstream, 2 tools; compact mode: 8 operations)\n`);
    const j = memoryIo();
    expect(await runCli(['validate', '--config', compact, '--json'], j.io)).toBe(0);
    expect(JSON.parse(j.stdout())).toMatchObject({ ok: true, upstreams: 1, tools: 2, compactOperations: 8 });
  });

  it('places a missing or unreadable openapi.document at its line, under its upstream', async () => {
    const missing = file(
      'missing-doc.yaml',
      `upstreams:
  other:
    baseUrl: http://127.0.0.1:4010
  assignments:
    baseUrl: http://127.0.0.1:4010
    openapi:
      document: ./no-such.openapi.yaml
`,
    );
    const j = memoryIo();
    expect(await runCli(['validate', '--config', missing, '--json'], j.io)).toBe(ExitCode.CONFIG);
    const { problems } = JSON.parse(j.stdout()) as { problems: { path: string; line?: number }[] };
    expect(problems).toMatchObject([{ path: 'upstreams.assignments.openapi.document', line: 7 }]);
    const m = memoryIo();
    expect(await runCli(['validate', '--config', missing], m.io)).toBe(ExitCode.CONFIG);
    expect(m.stdout()).toContain(`${missing}:7:`);
  });

  it('prints every problem with file:line:column and path, exit 1', async () => {
    const bad = file(
      'bad.yaml',
      `upstreams:
  api:
    baseUrl: \${API_URL}
    retry: { maxAttempts: 0 }
tools:
  - name: get_item
    upstream: api
    path: /items/{id}
    cache: { ttl: forever }
`,
    );
    const m = memoryIo();
    expect(await runCli(['validate', '-c', bad], m.io)).toBe(ExitCode.CONFIG);
    const out = m.stdout();
    expect(out).toContain(`${bad}: 4 problems`);
    expect(out).toContain(`${bad}:3:14  upstreams.api.baseUrl: environment variable API_URL is not set`);
    expect(out).toContain(`${bad}:4:27  upstreams.api.retry.maxAttempts: expected an integer from 1 to 100`);
    expect(out).toContain(`${bad}:8:11  tools[0].path: path parameter {id} is not an input property`);
    expect(out).toContain(
      `${bad}:9:19  tools[0].cache.ttl: expected a duration like "30s" or a number of ms`,
    );
  });

  it('warns of a valid config that serves no tool, saying what adds one', async () => {
    const empty = file(
      'no-tools.yaml',
      'upstreams: { api: { baseUrl: "https://api.example.com" } }\ntools: []\n',
    );
    const m = memoryIo();
    expect(await runCli(['validate', '--config', empty], m.io)).toBe(0);
    expect(m.stdout()).toBe(
      `${empty}: valid (1 upstream, 0 tools)\n  warning: tools: no tools: MCP clients would see an empty tools/list; add entries under tools, or an openapi section to an upstream\n`,
    );
  });

  it('reports as JSON with --json', async () => {
    const bad = file('bad.json', '{ "upstreams": {}, "tols": [] }');
    const m = memoryIo();
    expect(await runCli(['validate', '--config', bad, '--json'], m.io)).toBe(1);
    const report = JSON.parse(m.stdout());
    expect(report).toMatchObject({ ok: false, file: bad, problems: [{ path: 'tols', line: 1 }] });
    const ok = memoryIo();
    expect(await runCli(['validate', '--config', EXAMPLE_CONFIG, '--json'], ok.io)).toBe(0);
    expect(JSON.parse(ok.stdout())).toMatchObject({
      ok: true,
      upstreams: 1,
      tools: exampleTools,
      builtInTools: ['recent_changes'],
      problems: [],
    });
  });

  it('exits 1 for a missing file and for YAML syntax errors', async () => {
    const m = memoryIo();
    expect(await runCli(['validate', '--config', join(dir, 'missing.yaml')], m.io)).toBe(1);
    expect(m.stdout()).toContain('does not exist');
    const broken = file('broken.yaml', 'tools: [\n');
    const b = memoryIo();
    expect(await runCli(['validate', '--config', broken], b.io)).toBe(1);
    expect(b.stdout()).toMatch(/not valid YAML/);
  });
});

describe('conduit serve (in process)', () => {
  let upstream: AssignmentsUpstream;
  beforeAll(async () => {
    upstream = await startAssignmentsUpstream({ token: 'cli-test-token' });
  });
  afterAll(() => upstream.close());

  it('exits 1 on an invalid config, naming the problem', async () => {
    const m = memoryIo({});
    const bad = file('serve-bad.yaml', 'upstreams: { api: { baseUrl: nope } }\n');
    expect(await runCli(['serve', '--config', bad], m.io)).toBe(ExitCode.CONFIG);
    expect(m.stderr()).toContain('upstreams.api.baseUrl (line 1): expected an http(s) URL');
  });

  it('serves over HTTP until a stop signal, then closes and returns 0', async () => {
    const m = memoryIo({ ASSIGNMENTS_API_URL: upstream.url, ASSIGNMENTS_API_TOKEN: 'cli-test-token' });
    const logger = createRecordingLogger();
    const levels: unknown[] = [];
    const exit = runCli(
      ['serve', '--config', EXAMPLE_CONFIG, '--transport', 'http', '--port', '0', '-l', 'debug'],
      m.io,
      {
        createLogger: (o) => {
          levels.push(o?.level);
          return logger;
        },
      },
    );
    const url = await Promise.race([
      m.waitForStderr(/Conduit MCP server on (http:\/\/\S+)/).then((match) => match[1]!),
      exit.then((code) => Promise.reject(new Error(`serve exited with ${code}: ${m.stderr()}`))),
    ]);
    expect(levels).toEqual(['debug']);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
    const client = new Client({ name: 'cli-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(url)));
    const result = await client.callTool({ name: 'get_assignment', arguments: { id: 'a2' } });
    expect(result.isError).not.toBe(true);
    expect(result.structuredContent).toMatchObject({ id: 'a2', title: 'Lab report: titration' });
    await client.close();
    expect(m.stdout()).toBe('');
    expect(m.listeners()).toBe(1);
    m.stop('SIGTERM');
    expect(await exit).toBe(ExitCode.OK);
    expect(m.listeners()).toBe(0);
    expect(logger.records.map((r) => r.msg)).toEqual(expect.arrayContaining(['shutting down', 'stopped']));
    await expect(fetch(url, { method: 'POST' })).rejects.toThrow();
  });

  it('announces its URL and tool count in words that fit one tool', async () => {
    const one = file(
      'serve-one.yaml',
      `upstreams: { api: { baseUrl: "${upstream.url}" } }\ntools:\n  - { name: ping, upstream: api, path: /health }\n`,
    );
    const m = memoryIo({});
    const exit = runCli(['serve', '--config', one, '--transport', 'http', '--port', '0'], m.io, {
      createLogger: () => createRecordingLogger(),
    });
    const banner = await Promise.race([
      m.waitForStderr(/Conduit MCP server on .*\n/).then((match) => match[0]),
      exit.then((code) => Promise.reject(new Error(`serve exited with ${code}: ${m.stderr()}`))),
    ]);
    expect(banner).toMatch(
      /^Conduit MCP server on http:\/\/127\.0\.0\.1:\d+\/mcp \(1 tool\); Ctrl-C to stop\n$/,
    );
    // A round trip to the server: by then serve listens for the stop signal.
    const client = new Client({ name: 'cli-one-tool', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(banner.split(' ')[4]!)));
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['ping']);
    await client.close();
    m.stop('SIGTERM');
    expect(await exit).toBe(ExitCode.OK);
  });

  it('exits 3 when the gateway cannot start (port taken)', async () => {
    const m = memoryIo({ ASSIGNMENTS_API_URL: upstream.url });
    const code = await runCli(
      ['serve', '--config', EXAMPLE_CONFIG, '--transport', 'http', '--port', String(upstream.port)],
      m.io,
      { createLogger: () => createRecordingLogger() },
    );
    expect(code).toBe(ExitCode.RUNTIME);
    expect(m.stderr()).toMatch(/could not start: .*EADDRINUSE/);
    // What to do about it, in the command's own terms.
    expect(m.stderr()).toContain(
      `port ${upstream.port} is taken by another process: stop it, or pass --port with a free port (0 picks one)`,
    );
  });

  it('exits 3 when --host is no address of this machine, saying which addresses to give', async () => {
    const m = memoryIo({ ASSIGNMENTS_API_URL: upstream.url });
    // 192.0.2.1 is TEST-NET-1 (RFC 5737): never an address of this machine, so the bind fails at once.
    const code = await runCli(
      ['serve', '--config', EXAMPLE_CONFIG, '--transport', 'http', '--host', '192.0.2.1', '--port', '0'],
      m.io,
      { createLogger: () => createRecordingLogger() },
    );
    expect(code).toBe(ExitCode.RUNTIME);
    expect(m.stderr()).toMatch(/could not start: .*EADDRNOTAVAIL/);
    expect(m.stderr()).toContain(
      '192.0.2.1 is not an address of this machine: pass --host 127.0.0.1 (loopback), an address this machine has, or 0.0.0.0 (every interface)',
    );
  });
});

describe('conduit serve: start-up failures quote no value from the environment', () => {
  // Parts of longer strings: a directory in a file path, a host in a seed URL.
  const CERT_DIR = '/srv/tenant-certs-4q7z';
  const REDIS_HOST = 'tenant-redis-9k2w';
  const cases: [string, string, RegExp][] = [
    [
      'tls-file.yaml',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the config's own ${ENV} syntax
      'upstreams: { api: { baseUrl: "http://127.0.0.1:9", tls: { caFile: "${CERT_DIR}/ca.pem" } } }\ntools: [{ name: t, upstream: api, path: /x }]\n',
      /tls\.caFile: cannot read/,
    ],
    [
      'cluster-seed.yaml',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the config's own ${ENV} syntax
      'cache: { redis: { cluster: ["redis://${REDIS_HOST}:6379/2"] } }\nupstreams: { api: { baseUrl: "http://127.0.0.1:9" } }\ntools: [{ name: t, upstream: api, path: /x, cache: { ttl: 60s } }]\n',
      /Redis Cluster seed 0/,
    ],
  ];
  for (const [name, yaml, says] of cases)
    it(`${name}: stderr and the log say what failed, with the value scrubbed`, async () => {
      const m = memoryIo({ CERT_DIR, REDIS_HOST });
      const logger = createRecordingLogger();
      const code = await runCli(
        ['serve', '--config', file(name, yaml), '--transport', 'http', '--port', '0'],
        m.io,
        {
          createLogger: () => logger,
        },
      );
      expect(code, m.stderr()).toBe(ExitCode.RUNTIME);
      expect(m.stderr()).toMatch(says);
      const seen = m.stderr() + JSON.stringify(logger.records);
      expect(seen).toContain('[REDACTED]');
      for (const value of [CERT_DIR, REDIS_HOST]) {
        expect(seen.toLowerCase()).not.toContain(value.toLowerCase());
        expect(seen.toLowerCase()).not.toContain(encodeURIComponent(value).toLowerCase());
      }
    });

  it('a taken port from the environment: the hint says what to do without naming the port', async () => {
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const BIND_PORT = String((taken.address() as AddressInfo).port);
    try {
      const m = memoryIo({ BIND_PORT });
      const logger = createRecordingLogger();
      const yaml =
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the config's own ${ENV} syntax
        'server: { http: { port: "${BIND_PORT}" } }\nupstreams: { api: { baseUrl: "http://127.0.0.1:9" } }\ntools: [{ name: t, upstream: api, path: /x }]\n';
      const code = await runCli(
        ['serve', '--config', file('port-env.yaml', yaml), '--transport', 'http'],
        m.io,
        {
          createLogger: () => logger,
        },
      );
      expect(code, m.stderr()).toBe(ExitCode.RUNTIME);
      expect(m.stderr()).toContain('is taken by another process: stop it, or pass --port with a free port');
      expect(m.stderr() + JSON.stringify(logger.records)).not.toContain(BIND_PORT);
    } finally {
      taken.close();
    }
  });
});
