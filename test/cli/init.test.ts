import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
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
