import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { afterAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/cli/exit-codes.js';
import { runCli } from '../../src/cli/run.js';
import { createRecordingLogger } from '../../src/core/index.js';
import { EXAMPLE_CONFIG, memoryIo, ROOT } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'conduit-validate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

const withInput = (input: string) => `upstreams:
  api: { baseUrl: "http://127.0.0.1:9" }
tools:
  - name: get_item
    upstream: api
    path: /items/{id}
    input:
${input}
`;

describe('conduit validate compiles every tool schema', () => {
  it('fails a mistyped type with its line, where serve would have started', async () => {
    const bad = file(
      'strin.yaml',
      withInput('      type: object\n      properties:\n        id: { type: strin }\n      required: [id]'),
    );
    const m = memoryIo({});
    expect(await runCli(['validate', '--config', bad, '--json'], m.io)).toBe(ExitCode.CONFIG);
    const out = JSON.parse(m.stdout()) as { problems: Array<{ path: string; line: number }> };
    expect(out.problems.map((p) => [p.path, p.line])).toEqual([['tools[0].input.properties.id.type', 10]]);
  });

  it('places a schema problem in a config with a mapping of 50,000 keys (its lines found in one pass)', async () => {
    const headers = Array.from({ length: 50_000 }, (_, i) => `      x-h${i}: "v${i}"`).join('\n');
    const big = file(
      'big.yaml',
      withInput(
        '      type: object\n      properties:\n        id: { type: string, minLength: many }\n      required: [id]',
      ).replace(
        '  api: { baseUrl: "http://127.0.0.1:9" }',
        `  api:\n    baseUrl: "http://127.0.0.1:9"\n    headers:\n${headers}`,
      ),
    );
    const m = memoryIo({});
    expect(await runCli(['validate', '--config', big, '--json'], m.io)).toBe(ExitCode.CONFIG);
    const out = JSON.parse(m.stdout()) as { problems: Array<{ path: string; line: number }> };
    expect(out.problems.map((p) => [p.path, p.line])).toEqual([['tools[0].input', 50_010]]);
  });

  it('fails a schema Ajv cannot compile (minLength: many), at the tool input', async () => {
    const bad = file(
      'ajv.yaml',
      withInput(
        '      type: object\n      properties:\n        id: { type: string, minLength: many }\n      required: [id]',
      ),
    );
    const m = memoryIo({});
    expect(await runCli(['validate', '--config', bad], m.io)).toBe(ExitCode.CONFIG);
    expect(m.stdout()).toMatch(
      /1 problem\n {2}\S+ajv\.yaml:8:\d+ {2}tools\[0\]\.input: the JSON Schema cannot be compiled: minLength/,
    );
  });

  it('a schema problem quoting a value from the environment (a pattern part) does not repeat it', async () => {
    const PART = 'tenant-code-5r8v';
    const bad = file(
      'env-pattern.yaml',
      withInput(
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the config's own ${ENV} syntax
        '      type: object\n      properties:\n        id: { type: string, pattern: "^${PART}([" }\n      required: [id]',
      ),
    );
    const m = memoryIo({ PART });
    expect(await runCli(['validate', '--config', bad], m.io)).toBe(ExitCode.CONFIG);
    expect(m.stdout()).toMatch(/tools\[0\]\.input: invalid JSON Schema: \/properties\/id: pattern/);
    expect(m.stdout()).toContain('<value from the environment>');
    expect(m.stdout()).not.toContain(PART);
  });

  it('passes the example config, whose schemas all compile', async () => {
    const m = memoryIo({});
    expect(await runCli(['validate', '--config', EXAMPLE_CONFIG], m.io)).toBe(ExitCode.OK);
  });
});

/** The tool names a real SDK client lists from `conduit serve --transport http` of `config`. */
async function listedTools(config: string): Promise<string[]> {
  const m = memoryIo({ ASSIGNMENTS_API_TOKEN: 'count-test' });
  const exit = runCli(['serve', '--config', config, '--transport', 'http', '--port', '0'], m.io, {
    createLogger: () => createRecordingLogger(),
  });
  const [, url] = await Promise.race([
    m.waitForStderr(/Conduit MCP server on (http:\/\/\S+)/),
    exit.then((code) => Promise.reject(new Error(`serve exited with ${code}: ${m.stderr()}`))),
  ]);
  const client = new Client({ name: 'validate-count', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url!)));
  const { tools } = await client.listTools();
  await client.close();
  m.stop('SIGTERM');
  expect(await exit).toBe(ExitCode.OK);
  return tools.map((t) => t.name);
}

describe('conduit validate counts what tools/list lists', () => {
  it('the built-in recent_changes included, and named as built in', async () => {
    const listed = await listedTools(EXAMPLE_CONFIG);
    expect(listed).toContain('recent_changes');
    const text = memoryIo({});
    expect(await runCli(['validate', '--config', EXAMPLE_CONFIG], text.io)).toBe(ExitCode.OK);
    expect(text.stdout()).toContain(`${listed.length} tools, 1 of them built in: recent_changes)`);
    const json = memoryIo({});
    expect(await runCli(['validate', '--config', EXAMPLE_CONFIG, '--json'], json.io)).toBe(ExitCode.OK);
    expect(JSON.parse(json.stdout())).toMatchObject({
      tools: listed.length,
      builtInTools: ['recent_changes'],
    });
  });

  it('with no configured tool, warns that recent_changes is all a client would see', async () => {
    const config = file(
      'only-built-in.yaml',
      'upstreams: { api: { baseUrl: "http://127.0.0.1:9" } }\nresources: {}\n',
    );
    expect(await listedTools(config)).toEqual(['recent_changes']);
    const json = memoryIo({});
    expect(await runCli(['validate', '--config', config, '--json'], json.io)).toBe(ExitCode.OK);
    const report = JSON.parse(json.stdout()) as { tools: number; notes: { path: string; message: string }[] };
    expect(report.tools).toBe(1);
    expect(report.notes).toEqual([
      expect.objectContaining({
        path: 'tools',
        message: expect.stringContaining('only recent_changes in tools/list'),
      }),
    ]);
  });

  it('without it when resources.recentChanges is false', async () => {
    const config = file(
      'no-recent-changes.yaml',
      'upstreams: { api: { baseUrl: "http://127.0.0.1:9" } }\ntools: [{ name: ping, upstream: api, path: /health }]\nresources: { recentChanges: false }\n',
    );
    const listed = await listedTools(config);
    expect(listed).toEqual(['ping']);
    const json = memoryIo({});
    expect(await runCli(['validate', '--config', config, '--json'], json.io)).toBe(ExitCode.OK);
    expect(JSON.parse(json.stdout())).toMatchObject({ tools: 1, builtInTools: [] });
  });
});

describe('the ready line counts what tools/list lists', () => {
  it('over HTTP, recent_changes included', async () => {
    const m = memoryIo({ ASSIGNMENTS_API_TOKEN: 'count-test' });
    const exit = runCli(['serve', '--config', EXAMPLE_CONFIG, '--transport', 'http', '--port', '0'], m.io, {
      createLogger: () => createRecordingLogger(),
    });
    const [, url, count] = await Promise.race([
      m.waitForStderr(/Conduit MCP server on (http:\/\/\S+) \((\d+) tools\)/),
      exit.then((code) => Promise.reject(new Error(`serve exited with ${code}: ${m.stderr()}`))),
    ]);
    const client = new Client({ name: 'count-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(url!)));
    const { tools } = await client.listTools();
    await client.close();
    m.stop('SIGTERM');
    expect(await exit).toBe(ExitCode.OK);
    expect(tools.map((t) => t.name)).toContain('recent_changes');
    expect(Number(count)).toBe(tools.length);
  });

  it('over stdio', async () => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--config', EXAMPLE_CONFIG],
      cwd: ROOT,
      stderr: 'pipe',
    });
    // The two pipes are read independently: wait for the ready line itself, not for the exit.
    const readyLine = new Promise<{ tools: number }>((resolve) => {
      let stderr = '';
      transport.stderr?.on('data', (c: Buffer) => {
        stderr += c.toString('utf8');
        const line = stderr.split('\n').find((l) => l.includes('MCP stdio server ready'));
        if (line) resolve(JSON.parse(line) as { tools: number });
      });
    });
    const client = new Client({ name: 'count-test', version: '1.0.0' });
    await client.connect(transport);
    const { tools } = await client.listTools();
    const ready = await readyLine;
    await client.close();
    expect(tools.map((t) => t.name)).toContain('recent_changes');
    expect(ready.tools).toBe(tools.length);
  });
});
