import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/cli/exit-codes.js';
import { withFetchedDocument } from '../../src/cli/init-fetch.js';
import { runCli } from '../../src/cli/run.js';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { loadConfig, parseConfig } from '../../src/config/index.js';
import { createRecordingLogger } from '../../src/core/index.js';
import { freePorts } from '../helpers/free-ports.js';
import { parse, stringify } from 'yaml';
import { memoryIo, ROOT } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'conduit-init-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const SPEC = join(ROOT, 'examples/openapi/assignments.openapi.yaml');

/**
 * The example document in one file, as a server would publish it: a fetched document may not refer
 * to other files, so its ./components/shared.yaml parts are moved into its own components.
 */
function bundledSpec(): string {
  const shared = parse(
    readFileSync(join(ROOT, 'examples/openapi/components/shared.yaml'), 'utf8').replaceAll(
      '"#/schemas/',
      '"#/components/schemas/',
    ),
  ) as Record<string, Record<string, unknown>>;
  const main = parse(
    readFileSync(SPEC, 'utf8').replaceAll('./components/shared.yaml#/', '#/components/'),
  ) as { components: Record<string, Record<string, unknown>> };
  for (const [section, entries] of Object.entries(shared))
    main.components[section] = { ...main.components[section], ...entries };
  return stringify(main);
}

describe('conduit init (through the CLI entry point)', () => {
  it('is listed in the main help and has its own help', async () => {
    const main = memoryIo();
    expect(await runCli(['--help'], main.io)).toBe(ExitCode.OK);
    expect(main.stdout()).toMatch(/^\s+init\s+/m);
    const own = memoryIo();
    expect(await runCli(['init', '--help'], own.io)).toBe(ExitCode.OK);
    expect(own.stdout()).toContain('--openapi');
  });

  it('without --openapi writes a commented starter that validates and serves, never overwriting it', async () => {
    const out = join(dir, 'starter.yaml');
    const m = memoryIo();
    expect(await runCli(['init', '--out', out], m.io)).toBe(ExitCode.OK);
    const text = readFileSync(out, 'utf8');
    expect(text.split('\n').filter((l) => l.trim().startsWith('#')).length).toBeGreaterThan(5);
    const checked = memoryIo();
    expect(await runCli(['validate', '--config', out], checked.io)).toBe(ExitCode.OK);
    expect(checked.stdout()).toContain('valid (1 upstream, 2 tools)');
    expect(await runCli(['init', '--out', out], memoryIo().io)).toBe(ExitCode.USAGE);
    expect(readFileSync(out, 'utf8')).toBe(text);

    const served = memoryIo();
    const exit = runCli(['serve', '--config', out, '--transport', 'http', '--port', '0'], served.io, {
      createLogger: () => createRecordingLogger(),
    });
    const [, url] = await Promise.race([
      served.waitForStderr(/Conduit MCP server on (http:\/\/\S+)/),
      exit.then((code) => Promise.reject(new Error(`serve exited with ${code}: ${served.stderr()}`))),
    ]);
    const client = new Client({ name: 'starter', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(url!)));
    const { tools } = await client.listTools();
    await client.close();
    served.stop('SIGTERM');
    expect(await exit).toBe(ExitCode.OK);
    expect(tools.map((t) => t.name).sort()).toEqual(['get_item', 'update_item']);
  });

  it("points the editor's $schema and the docs line at this Conduit's own files, from the config's folder", async () => {
    // A clone or a global install has no ./node_modules/conduit-mcp beside the config.
    for (const args of [[], ['--openapi', SPEC]]) {
      const out = join(mkdtempSync(join(dir, 'refs-')), 'conduit.yaml');
      expect(await runCli(['init', ...args, '--out', out], memoryIo().io)).toBe(ExitCode.OK);
      const text = readFileSync(out, 'utf8');
      const schema = /^# yaml-language-server: \$schema=(\S+)$/m.exec(text)?.[1];
      expect(schema, text.slice(0, 300)).toBeDefined();
      expect(existsSync(join(dirname(out), schema!))).toBe(true);
      expect(JSON.parse(readFileSync(join(dirname(out), schema!), 'utf8')).$schema).toMatch(/json-schema/);
      const docs = /^# Every key: (\S+)$/m.exec(text)?.[1];
      expect(docs).toBeDefined();
      expect(existsSync(join(dirname(out), docs!))).toBe(true);
    }
  });

  it('through a project whose node_modules/conduit-mcp links to this Conduit (pnpm, npm link), names the link, not its target', async () => {
    // pnpm's target is node_modules/.pnpm/conduit-mcp@<version>/…: a path that breaks at the next upgrade.
    const project = mkdtempSync(join(dir, 'linked-'));
    mkdirSync(join(project, 'node_modules'));
    symlinkSync(ROOT, join(project, 'node_modules', 'conduit-mcp'), 'dir');
    mkdirSync(join(project, 'config'));
    const out = join(project, 'config', 'conduit.yaml');
    expect(await runCli(['init', '--out', out], memoryIo().io)).toBe(ExitCode.OK);
    const text = readFileSync(out, 'utf8');
    expect(text).toContain(
      '# yaml-language-server: $schema=../node_modules/conduit-mcp/schema/conduit.schema.json\n',
    );
    expect(text).toContain('# Every key: ../node_modules/conduit-mcp/docs/gateway-config.md\n');
  });

  it('writes a config that validates, and refuses to overwrite it without --force', async () => {
    const out = join(dir, 'conduit.yaml');
    const first = memoryIo();
    expect(await runCli(['init', '--openapi', SPEC, '--out', out], first.io)).toBe(ExitCode.OK);
    expect(existsSync(out)).toBe(true);
    const config = parseConfig(readFileSync(out, 'utf8'), { format: 'yaml', env: {} });
    expect(config.tools.length).toBeGreaterThan(0);

    const again = memoryIo();
    expect(await runCli(['init', '--openapi', SPEC, '--out', out], again.io)).toBe(ExitCode.USAGE);
    expect(await runCli(['init', '--openapi', SPEC, '--out', out, '--force'], memoryIo().io)).toBe(
      ExitCode.OK,
    );
  });
});

describe('conduit init ends with the next commands, as a project that installed conduit-mcp runs them', () => {
  // Installed with `npm install conduit-mcp`, a bare `conduit` is no command of the shell.
  it('the starter and the --openapi config: npx conduit validate / serve', async () => {
    const starter = join(dir, 'next-starter.yaml');
    const s = memoryIo();
    expect(await runCli(['init', '--out', starter], s.io)).toBe(ExitCode.OK);
    expect(s.stdout()).toContain(
      `  npx conduit validate --config ${starter}\n  npx conduit serve --config ${starter}\n`,
    );
    const generated = join(dir, 'next-openapi.yaml');
    const g = memoryIo();
    expect(await runCli(['init', '--openapi', SPEC, '--out', generated], g.io)).toBe(ExitCode.OK);
    expect(g.stdout()).toContain(`next: npx conduit validate --config ${generated}\n`);
    expect(readFileSync(generated, 'utf8')).toContain(
      `# Check it: npx conduit validate --config ${generated}    Serve it: npx conduit serve --config ${generated}`,
    );
  });
});

describe('conduit init says what it wrote on stdout, and only warnings on stderr', () => {
  it('the starter and the --openapi config alike: the summary is stdout, a clean run leaves stderr empty', async () => {
    const s = memoryIo();
    expect(await runCli(['init', '--out', join(dir, 'streams-starter.yaml')], s.io)).toBe(ExitCode.OK);
    expect(s.stdout()).toMatch(/^wrote .*streams-starter\.yaml: a commented starter/);
    expect(s.stderr()).toBe('');
    const g = memoryIo();
    expect(await runCli(['init', '--openapi', SPEC, '--out', join(dir, 'streams-openapi.yaml')], g.io)).toBe(
      ExitCode.OK,
    );
    expect(g.stdout()).toMatch(/^wrote .*streams-openapi\.yaml: upstream "assignments"/);
    expect(g.stderr()).not.toContain('wrote ');
  });
});

describe('conduit init on a document too large to copy into a config', () => {
  it('writes the compact-mode openapi section it recommends instead, which loads and serves every operation', async () => {
    // 30 operations sharing one wide schema (1 000 described properties): each is within the
    // per-operation limit, together they would be over 5 MB of YAML once inlined into every tool.
    const schemas: Record<string, unknown> = {
      S0: {
        type: 'object',
        properties: Object.fromEntries(
          Array.from({ length: 1000 }, (_, j) => [`p${j}`, { type: 'string', description: 'd'.repeat(150) }]),
        ),
      },
    };
    const paths: Record<string, unknown> = {};
    for (let i = 0; i < 30; i++)
      paths[`/r${i}`] = {
        post: {
          operationId: `post${i}`,
          requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/S0' } } } },
          responses: { '200': { description: 'ok' } },
        },
      };
    const spec = join(dir, 'large.json');
    writeFileSync(
      spec,
      JSON.stringify({
        openapi: '3.0.3',
        info: { title: 'Large', version: '1' },
        servers: [{ url: 'http://127.0.0.1:9' }],
        paths,
        components: { schemas },
      }),
    );
    const out = join(dir, 'large.yaml');
    const m = memoryIo();
    expect(await runCli(['init', '--openapi', spec, '--out', out, '--force'], m.io)).toBe(ExitCode.OK);
    expect(m.stderr()).toMatch(
      /the 30 operations' schemas come to more than \d+ MB once their \$refs are inlined.*compact mode instead/,
    );
    expect(m.stdout()).toMatch(/compact mode: 2 tools serving 30 operations/);
    const config = await loadConfig(out, { env: {} });
    expect(config.upstreams.large!.openapi).toMatchObject({ document: 'large.json', mode: 'compact' });
    expect(config.openapiSets!.large!.catalog.operations).toHaveLength(30);
  });
});

describe('conduit init on a document with form, multipart or deepObject operations', () => {
  it('writes an openapi section in tools mode, so the served tools encode those bodies as the document says', async () => {
    const spec = join(ROOT, 'test/openapi/fixtures/multipart.yaml');
    const local = join(dir, 'multipart.yaml');
    writeFileSync(local, readFileSync(spec));
    const out = join(dir, 'multipart-conduit.yaml');
    const m = memoryIo();
    expect(await runCli(['init', '--openapi', local, '--out', out, '--force'], m.io)).toBe(ExitCode.OK);
    expect(m.stderr()).toMatch(/2 operations send form-encoded or multipart bodies.*tools mode instead/);
    expect(m.stdout()).toMatch(/an openapi section serving 2 tools/);
    const config = await loadConfig(out, { env: {} });
    expect(config.upstreams.files!.openapi).toMatchObject({ document: 'multipart.yaml', mode: 'tools' });
    expect(config.tools.find((t) => t.name === 'uploadPhoto')?.wire?.bodyEncoding).toBe('multipart');
  });
});

describe('conduit init never exits 0 with nothing served', () => {
  it('a document none of whose operations can be served writes nothing and exits 1, listing each reason', async () => {
    const spec = join(dir, 'cookies.json');
    writeFileSync(
      spec,
      JSON.stringify({
        openapi: '3.0.3',
        info: { title: 'Cookies', version: '1' },
        servers: [{ url: 'http://127.0.0.1:9' }],
        paths: {
          '/a': {
            get: {
              operationId: 'getA',
              parameters: [{ name: 's', in: 'cookie', schema: { type: 'string' } }],
            },
          },
          '/b': {
            get: {
              operationId: 'getB',
              parameters: [{ name: 's', in: 'cookie', schema: { type: 'string' } }],
            },
          },
        },
      }),
    );
    const out = join(dir, 'cookies.yaml');
    const m = memoryIo();
    expect(await runCli(['init', '--openapi', spec, '--out', out], m.io)).toBe(ExitCode.CONFIG);
    expect(m.stderr()).toMatch(/skipped operation getA \(GET \/a\): parameter "s" \(in cookie\)/);
    expect(m.stderr()).toMatch(/skipped operation getB/);
    expect(m.stderr()).toMatch(/none of the document's 2 operations can be served/);
    expect(existsSync(out)).toBe(false);
  });
});

describe('conduit init says why it wrote nothing, and what to do', () => {
  it('a document without operations says its paths are empty, not that reasons are listed above', async () => {
    const spec = join(dir, 'no-paths.yaml');
    writeFileSync(
      spec,
      'openapi: 3.0.3\ninfo: { title: Empty, version: "1" }\nservers: [{ url: "http://127.0.0.1:9" }]\npaths: {}\n',
    );
    const out = join(dir, 'no-paths.conduit.yaml');
    const m = memoryIo();
    expect(await runCli(['init', '--openapi', spec, '--out', out], m.io)).toBe(ExitCode.CONFIG);
    expect(m.stderr()).toContain('the document has no operations (its paths are empty); nothing written');
    expect(m.stderr()).not.toContain('reasons above');
    expect(existsSync(out)).toBe(false);
  });

  it('an --out in a folder that does not exist names the folder and how to make it', async () => {
    const out = join(dir, 'no-such-folder', 'conduit.yaml');
    const m = memoryIo();
    expect(await runCli(['init', '--out', out], m.io)).toBe(ExitCode.CONFIG);
    expect(m.stderr()).toContain(
      `cannot write ${out}: the folder ${dirname(out)} does not exist; create it (mkdir -p ${dirname(out)}) or pass another --out`,
    );
  });

  it('an --out that is a folder says to name a file in it', async () => {
    const m = memoryIo();
    expect(await runCli(['init', '--out', dir, '--force'], m.io)).toBe(ExitCode.CONFIG);
    expect(m.stderr()).toContain(
      `cannot write ${dir}: it is a folder; pass --out with a file name, e.g. ${join(dir, 'conduit.yaml')}`,
    );
  });
});

describe('conduit init says what it changed to serve an operation', () => {
  it('a pattern JavaScript cannot compile is dropped from the written tool, and stderr says so', async () => {
    const spec = join(dir, 'patterns.json');
    writeFileSync(
      spec,
      JSON.stringify({
        openapi: '3.0.3',
        info: { title: 'Patterns', version: '1' },
        servers: [{ url: 'http://127.0.0.1:9' }],
        paths: {
          '/keys/{key}': {
            get: {
              operationId: 'getKey',
              parameters: [
                {
                  name: 'key',
                  in: 'path',
                  required: true,
                  schema: { type: 'string', pattern: '^[a-zA-Z0-9_\\-\\:]+$' },
                },
              ],
            },
          },
        },
      }),
    );
    const out = join(dir, 'patterns.yaml');
    const m = memoryIo();
    expect(await runCli(['init', '--openapi', spec, '--out', out], m.io)).toBe(ExitCode.OK);
    const config = parseConfig(readFileSync(out, 'utf8'), { format: 'yaml', env: {} });
    expect(config.tools[0]!.input.properties!.key).toEqual({ type: 'string' });
    expect(m.stderr()).toMatch(
      /conduit init: adjusted operation getKey \(GET \/keys\/\{key\}\): pattern .* dropped, values are not checked against it/,
    );
  });
});

describe('conduit init on a document whose text carries control characters', () => {
  it('prints and writes none of them: no terminal escapes, no fake lines on stderr, none in the config', async () => {
    const ESC = '\u001b';
    const spec = join(dir, 'escapes.json');
    writeFileSync(
      spec,
      JSON.stringify({
        openapi: '3.1.0',
        info: { title: `Evil${ESC}[31m API\u0007`, version: '1\u0000' },
        servers: [{ url: 'http://127.0.0.1:9' }],
        paths: {
          '/a': {
            get: {
              operationId: 'listItems',
              summary: `List${ESC}]0;pwned\u0007`,
              'x-mcp-annotations': { [`odd${ESC}[2J`]: 1 },
            },
            post: {
              operationId: `bad${ESC}[31m\nconduit init: FAKE LINE`,
              parameters: [{ name: 'c', in: 'cookie' }],
            },
          },
        },
      }),
    );
    const out = join(dir, 'escapes.yaml');
    const m = memoryIo();
    expect(await runCli(['init', '--openapi', spec, '--out', out], m.io), m.stderr()).toBe(ExitCode.OK);
    expect(m.stderr()).toMatch(/skipped operation bad/);
    expect(m.stderr()).toMatch(/adjusted operation listItems/);
    expect(m.stderr() + m.stdout()).not.toMatch(/(?!\n)\p{Cc}/u);
    expect(m.stderr()).not.toMatch(/^conduit init: FAKE LINE/m);
    expect(readFileSync(out, 'utf8')).not.toMatch(/(?!\n)\p{Cc}/u);
  });
});

describe('conduit init --openapi <URL>', () => {
  it('fetches the document from a 127.0.0.1 server, saves it next to the config, and writes the config', async () => {
    const body = bundledSpec();
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/yaml' });
      res.end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const { port } = server.address() as AddressInfo;
      const out = join(dir, 'fetched.yaml');
      const m = memoryIo();
      expect(
        await runCli(['init', '--openapi', `http://127.0.0.1:${port}/spec.yaml`, '--out', out], m.io),
      ).toBe(ExitCode.OK);
      expect(readFileSync(join(dir, 'fetched.openapi.yaml'), 'utf8')).toBe(body);
      expect(
        parseConfig(readFileSync(out, 'utf8'), { format: 'yaml', env: {} }).tools.length,
      ).toBeGreaterThan(0);
    } finally {
      server.close();
    }
  });

  it('follows a redirect on the same origin and refuses one to another origin, writing nothing', async () => {
    const body = bundledSpec();
    const seen: string[] = [];
    const other = createServer((req, res) => {
      seen.push(`other ${req.url}`);
      res.writeHead(200, { 'content-type': 'application/yaml' });
      res.end(body);
    });
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
    const otherPort = (other.address() as AddressInfo).port;
    const server = createServer((req, res) => {
      seen.push(`home ${req.url}`);
      if (req.url === '/old.yaml') res.writeHead(301, { location: '/spec.yaml' }).end();
      else if (req.url === '/away.yaml')
        res.writeHead(302, { location: `http://127.0.0.1:${otherPort}/spec.yaml` }).end();
      else res.writeHead(200, { 'content-type': 'application/yaml' }).end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const { port } = server.address() as AddressInfo;
      const same = join(dir, 'moved.yaml');
      expect(
        await runCli(
          ['init', '--openapi', `http://127.0.0.1:${port}/old.yaml`, '--out', same],
          memoryIo().io,
        ),
      ).toBe(ExitCode.OK);
      expect(existsSync(same)).toBe(true);

      const away = join(dir, 'away.yaml');
      const m = memoryIo();
      expect(
        await runCli(['init', '--openapi', `http://127.0.0.1:${port}/away.yaml`, '--out', away], m.io),
      ).toBe(ExitCode.CONFIG);
      expect(m.stderr()).toContain('redirects to another origin');
      expect(existsSync(away)).toBe(false);
      expect(seen).toEqual(['home /old.yaml', 'home /spec.yaml', 'home /away.yaml']);
    } finally {
      server.close();
      other.close();
    }
  });

  it('refuses a URL that answers an HTML page, naming the URL, and saves nothing, so the corrected run is not refused', async () => {
    const body = bundledSpec();
    const server = createServer((req, res) => {
      if (req.url === '/docs')
        res
          .writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
          .end('<!doctype html><title>Sign in</title>');
      else res.writeHead(200, { 'content-type': 'application/yaml' }).end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const { port } = server.address() as AddressInfo;
      const out = join(dir, 'page.yaml');
      const m = memoryIo();
      expect(await runCli(['init', '--openapi', `http://127.0.0.1:${port}/docs`, '--out', out], m.io)).toBe(
        ExitCode.CONFIG,
      );
      expect(m.stderr()).toContain(`http://127.0.0.1:${port}/docs`);
      expect(m.stderr()).toMatch(/HTML page/);
      for (const f of [out, join(dir, 'page.openapi.yaml'), join(dir, 'page.openapi.json')])
        expect(existsSync(f)).toBe(false);
      const again = memoryIo();
      expect(
        await runCli(['init', '--openapi', `http://127.0.0.1:${port}/spec.yaml`, '--out', out], again.io),
      ).toBe(ExitCode.OK);
    } finally {
      server.close();
    }
  });

  it('removes the saved copy of a fetched document it cannot use, so the corrected run is not refused', async () => {
    const body = bundledSpec();
    const server = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/yaml' });
      res.end(req.url === '/other.yaml' ? 'name: not an OpenAPI document\n' : body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const { port } = server.address() as AddressInfo;
      const out = join(dir, 'wrong-doc.yaml');
      const m = memoryIo();
      expect(
        await runCli(['init', '--openapi', `http://127.0.0.1:${port}/other.yaml`, '--out', out], m.io),
      ).toBe(ExitCode.CONFIG);
      expect(m.stderr()).toContain(`http://127.0.0.1:${port}/other.yaml`);
      expect(existsSync(join(dir, 'wrong-doc.openapi.yaml'))).toBe(false);
      expect(existsSync(out)).toBe(false);
      const again = memoryIo();
      expect(
        await runCli(['init', '--openapi', `http://127.0.0.1:${port}/spec.yaml`, '--out', out], again.io),
      ).toBe(ExitCode.OK);
      expect(existsSync(join(dir, 'wrong-doc.openapi.yaml'))).toBe(true);
    } finally {
      server.close();
    }
  });

  it('with --force, puts the previous saved document back when the new one is refused, so the config that used it still works', async () => {
    const body = bundledSpec();
    const serverless = body.replace(/^servers:[\s\S]*?(?=^\S)/m, '');
    expect(serverless).not.toContain('servers:');
    const server = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/yaml' });
      res.end(req.url === '/no-servers.yaml' ? serverless : body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const { port } = server.address() as AddressInfo;
      const out = join(dir, 'kept.yaml');
      const saved = join(dir, 'kept.openapi.yaml');
      const first = memoryIo();
      expect(
        await runCli(['init', '--openapi', `http://127.0.0.1:${port}/spec.yaml`, '--out', out], first.io),
      ).toBe(ExitCode.OK);
      const [config, document] = [readFileSync(out, 'utf8'), readFileSync(saved, 'utf8')];
      const m = memoryIo();
      expect(
        await runCli(
          ['init', '--openapi', `http://127.0.0.1:${port}/no-servers.yaml`, '--out', out, '--force'],
          m.io,
        ),
      ).toBe(ExitCode.USAGE);
      expect(m.stderr()).toContain(`the previous ${saved} was put back`);
      expect(readFileSync(saved, 'utf8')).toBe(document);
      expect(readFileSync(out, 'utf8')).toBe(config);
      expect(readdirSync(dir).filter((f) => f.startsWith('kept.'))).toEqual([
        'kept.openapi.yaml',
        'kept.yaml',
      ]);
    } finally {
      server.close();
    }
  });

  it('refuses a fetched document whose $refs name other files, reading no local file and writing nothing', async () => {
    // The saved copy sits next to --out: a relative $ref would resolve to the files there.
    const SECRET = 'local-secret-9d2e7a';
    const ref = (file: string) => ({
      openapi: '3.1.0',
      info: { title: 'Hostile', version: '1' },
      servers: [{ url: 'https://api.example.com' }],
      paths: {
        '/items': {
          get: {
            operationId: 'listItems',
            parameters: [{ name: 'q', in: 'query', schema: { $ref: file } }],
            responses: { '200': { description: 'ok' } },
          },
        },
      },
    });
    const served: Record<string, unknown> = {
      '/sibling.json': ref('./secrets.yaml#/Secret'),
      '/escape.json': ref('../../etc/passwd'),
      '/encoded.json': ref('secrets%2Eyaml#/Secret'),
    };
    const server = createServer((req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(served[req.url ?? ''])),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const { port } = server.address() as AddressInfo;
      for (const [path, doc] of Object.entries(served)) {
        const home = mkdtempSync(join(dir, 'remote-refs-'));
        writeFileSync(join(home, 'secrets.yaml'), `Secret: { type: string, default: ${SECRET} }\n`);
        const out = join(home, 'conduit.yaml');
        const m = memoryIo();
        const url = `http://127.0.0.1:${port}${path}`;
        expect(await runCli(['init', '--openapi', url, '--out', out], m.io), m.stderr()).toBe(
          ExitCode.CONFIG,
        );
        const theRef = (doc as ReturnType<typeof ref>).paths['/items'].get.parameters[0]!.schema.$ref;
        expect(m.stderr()).toContain(theRef);
        expect(m.stderr()).toContain(url);
        expect(m.stderr()).not.toContain(SECRET);
        expect(m.stdout()).not.toContain(SECRET);
        expect(existsSync(out)).toBe(false);
        expect(existsSync(join(home, 'conduit.openapi.json'))).toBe(false);
      }
    } finally {
      server.close();
    }
  });

  it('skips the operations of a fetched document whose $refs are URLs, and says none is fetched', async () => {
    const doc = {
      openapi: '3.1.0',
      info: { title: 'Remote refs', version: '1' },
      servers: [{ url: 'https://api.example.com' }],
      paths: {
        '/items': {
          get: { operationId: 'listItems', responses: { '200': { description: 'ok' } } },
          post: {
            operationId: 'createItem',
            requestBody: {
              content: { 'application/json': { schema: { $ref: 'https://schemas.example.com/item.json' } } },
            },
            responses: { '201': { description: 'made' } },
          },
        },
      },
    };
    const server = createServer((_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(doc)),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const { port } = server.address() as AddressInfo;
      const out = join(mkdtempSync(join(dir, 'url-refs-')), 'conduit.yaml');
      const m = memoryIo();
      const url = `http://127.0.0.1:${port}/spec.json`;
      expect(await runCli(['init', '--openapi', url, '--out', out], m.io), m.stderr()).toBe(ExitCode.OK);
      expect(m.stderr()).toMatch(/skipped operation createItem/);
      expect(m.stderr()).toContain(`${url} refers to other files (https://schemas.example.com/item.json)`);
      expect(
        parseConfig(readFileSync(out, 'utf8'), { format: 'yaml', env: {} }).tools.map((t) => t.name),
      ).toEqual(['listItems']);
    } finally {
      server.close();
    }
  });

  it('stops reading a document without content-length once it passes the cap', async () => {
    let sent = 0;
    const chunk = Buffer.alloc(1024 * 1024, 0x20);
    let hungUp!: () => void;
    const closed = new Promise<void>((r) => {
      hungUp = r;
    });
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const pump = () => {
        // Far past the 32 MiB cap: the reader must hang up long before the end.
        while (sent < 256 && res.write(chunk)) sent++;
        if (sent < 256) res.once('drain', pump);
        else res.end();
      };
      res.on('close', hungUp);
      pump();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const { port } = server.address() as AddressInfo;
      const out = join(dir, 'stream.yaml');
      const m = memoryIo();
      expect(
        await runCli(['init', '--openapi', `http://127.0.0.1:${port}/spec.json`, '--out', out], m.io),
      ).toBe(ExitCode.CONFIG);
      expect(m.stderr()).toMatch(/larger than 32 MiB/);
      expect(existsSync(out)).toBe(false);
      await closed;
      expect(sent).toBeLessThan(256);
    } finally {
      server.close();
    }
  });

  it('refuses a document larger than the fetch cap, writing nothing', async () => {
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(64 * 1024 * 1024) });
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const { port } = server.address() as AddressInfo;
      const out = join(dir, 'huge.yaml');
      const m = memoryIo();
      expect(
        await runCli(['init', '--openapi', `http://127.0.0.1:${port}/spec.json`, '--out', out], m.io),
      ).toBe(ExitCode.CONFIG);
      expect(m.stderr()).toMatch(/larger than 32 MiB/);
      expect(existsSync(out)).toBe(false);
    } finally {
      server.close();
    }
  });
});

describe('conduit init says what is wrong with --openapi in its own terms', () => {
  it('a missing file names --openapi and where it is read from, not the config key openapi.document', async () => {
    const m = memoryIo();
    const out = join(dir, 'missing-spec.yaml');
    expect(await runCli(['init', '--openapi', 'no-such-spec.yaml', '--out', out], m.io)).toBe(
      ExitCode.CONFIG,
    );
    expect(m.stderr()).toMatch(/no-such-spec\.yaml does not exist/);
    expect(m.stderr()).toContain('--openapi');
    expect(m.stderr()).not.toContain('openapi.document');
    expect(existsSync(out)).toBe(false);
  });

  it('a URL nothing answers on says why the fetch failed (connection refused)', async () => {
    const [port] = await freePorts(1);
    const m = memoryIo();
    const out = join(dir, 'refused.yaml');
    expect(
      await runCli(['init', '--openapi', `http://127.0.0.1:${port}/spec.json`, '--out', out], m.io),
    ).toBe(ExitCode.CONFIG);
    expect(m.stderr()).toMatch(/cannot fetch http:\/\/127\.0\.0\.1:\d+\/spec\.json: .*ECONNREFUSED/);
    expect(existsSync(out)).toBe(false);
  });
});

describe('conduit init and a local document past its size limit', () => {
  it('says how to serve it anyway (an openapi section with openapi.limits raised), since init has no limit to raise', async () => {
    // GitHub's dereferenced document: 70 MB, past init's 32 MiB read limit.
    const spec = join(ROOT, 'node_modules/@octokit/openapi/generated/api.github.com.deref.json');
    const out = join(dir, 'too-big.yaml');
    const m = memoryIo();
    expect(await runCli(['init', '--openapi', spec, '--out', out], m.io)).toBe(ExitCode.CONFIG);
    expect(m.stderr()).toMatch(/larger than 32 MiB/);
    expect(m.stderr()).toMatch(
      /openapi:.*mode: compact.*limits: \{ maxFileBytes: \d+MiB, maxTotalBytes: \d+MiB \}/,
    );
    expect(m.stderr()).toContain('docs/openapi.md');
    expect(m.stderr()).not.toMatch(/split it, or raise the limit/);
    expect(existsSync(out)).toBe(false);
  });
});

describe('conduit init keeps what the document says of each operation', () => {
  it("an operation's x-mcp-annotations hints are written into its tool, so the served tool lists them", async () => {
    const spec = join(dir, 'hints.json');
    writeFileSync(
      spec,
      JSON.stringify({
        openapi: '3.0.3',
        info: { title: 'Hints', version: '1' },
        servers: [{ url: 'http://127.0.0.1:9' }],
        paths: {
          '/items/{id}': {
            delete: {
              operationId: 'archiveItem',
              'x-mcp-annotations': { destructiveHint: false, title: 'Archive an item' },
              parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
              responses: { '200': { description: 'ok' } },
            },
          },
        },
      }),
    );
    const out = join(dir, 'hints.yaml');
    expect(await runCli(['init', '--openapi', spec, '--out', out], memoryIo().io)).toBe(ExitCode.OK);
    const config = parseConfig(readFileSync(out, 'utf8'), { format: 'yaml', env: {} });
    // The title always was; the hint was lost, and the DELETE was listed as destructive.
    expect(config.tools[0]).toMatchObject({
      title: 'Archive an item',
      annotations: { destructiveHint: false },
    });
  });
});

describe('init --openapi <URL> that does not answer in time', () => {
  it.each([
    ['never answers', false],
    ['sends its headers, then stalls the body', true],
  ])(
    'a server that %s: says so with the limit and what to do, and saves nothing',
    async (_, headersFirst) => {
      const server = createServer((_req, res) => {
        if (headersFirst) {
          res.writeHead(200, { 'content-type': 'application/yaml' });
          res.write('openapi: 3.1.0\n');
        }
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const { port } = server.address() as AddressInfo;
      const out = join(dir, `stalled-${headersFirst}.yaml`);
      try {
        const err = await withFetchedDocument(
          `http://127.0.0.1:${port}/spec.yaml`,
          out,
          false,
          async () => 'used',
          100,
        ).catch((e: unknown) => e as Error & { code?: string });
        expect(err).toMatchObject({ code: 'INVALID_CONFIG' });
        expect((err as Error).message).toBe(
          `cannot fetch http://127.0.0.1:${port}/spec.yaml: no complete answer within 0.1 s; check that the URL is right and its server reachable from this machine, or download the document and pass --openapi <file>`,
        );
        expect(existsSync(join(dir, `stalled-${headersFirst}.openapi.yaml`))).toBe(false);
      } finally {
        server.closeAllConnections();
        server.close();
      }
    },
  );
});
