import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/cli/exit-codes.js';
import { runCli } from '../../src/cli/run.js';
import { parseConfig } from '../../src/config/index.js';
import { memoryIo, ROOT } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'conduit-init-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const SPEC = join(ROOT, 'examples/openapi/assignments.openapi.yaml');

describe('conduit init (through the CLI entry point)', () => {
  it('is listed in the main help and has its own help', async () => {
    const main = memoryIo();
    expect(await runCli(['--help'], main.io)).toBe(ExitCode.OK);
    expect(main.stdout()).toMatch(/^\s+init\s+/m);
    const own = memoryIo();
    expect(await runCli(['init', '--help'], own.io)).toBe(ExitCode.OK);
    expect(own.stdout()).toContain('--openapi');
  });

  it('exits 2 without --openapi', async () => {
    const m = memoryIo();
    expect(await runCli(['init'], m.io)).toBe(ExitCode.USAGE);
    expect(m.stderr()).toContain('conduit init --help');
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

describe('conduit init on a document too large to copy into a config', () => {
  it('refuses with OPENAPI_SCHEMA_TOO_LARGE and the openapi-section alternative, writing nothing', async () => {
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
        get: {
          operationId: `get${i}`,
          responses: {
            '200': {
              description: 'ok',
              content: { 'application/json': { schema: { $ref: '#/components/schemas/S0' } } },
            },
          },
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
    expect(await runCli(['init', '--openapi', spec, '--out', out], m.io)).toBe(ExitCode.CONFIG);
    expect(m.stderr()).toMatch(
      /the 30 operations' schemas come to more than \d+ MB once their \$refs are inlined/,
    );
    expect(m.stderr()).toContain(`openapi: { document: ${spec}, mode: compact }`);
    expect(existsSync(out)).toBe(false);
  });
});
