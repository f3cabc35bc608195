import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { registryNode } from '../helpers/registry-node.js';

// The MCP Inspector commands of README.md and docs/cli.md, run as written with the real Inspector CLI
// (@modelcontextprotocol/inspector, on the registry's Node.js 22: it needs >= 22.19).
const run = promisify(execFile);
const ROOT = resolve(new URL('../../', import.meta.url).pathname);
const NPX_INSPECTOR = 'npx @modelcontextprotocol/inspector ';

function documentedInspectorCommands(doc: string): string[] {
  const text = readFileSync(join(ROOT, doc), 'utf8');
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith(NPX_INSPECTOR));
}

/** Splits a documented shell line on spaces (the documented commands quote nothing). */
function argv(line: string): string[] {
  return line.slice(NPX_INSPECTOR.length).split(/\s+/).filter(Boolean);
}

describe('the documented MCP Inspector commands', () => {
  const readme = documentedInspectorCommands('README.md');
  const cli = documentedInspectorCommands('docs/cli.md');

  it('are the same in README.md and docs/cli.md, and pass the server command after --', () => {
    expect(readme.length).toBeGreaterThanOrEqual(2);
    expect(cli).toEqual(readme);
    for (const line of readme) {
      const args = argv(line);
      const dashDash = args.indexOf('--');
      expect(dashDash, line).toBeGreaterThanOrEqual(0);
      expect(args[dashDash + 1], line).toBe('node');
      expect(args.slice(dashDash + 1)).toEqual(argv(readme[0] ?? '').slice(1));
    }
  });

  it('the --cli one lists the gateway tools with the real Inspector', async () => {
    const line = readme.find((l) => argv(l)[0] === '--cli');
    expect(line).toBeDefined();
    const node = await registryNode(22);
    const { stdout: bin } = await run('bash', [join(ROOT, 'scripts/inspector.sh')], { cwd: ROOT });
    const { stdout } = await run(node, [bin.trim(), ...argv(line ?? '')], {
      cwd: ROOT,
      // `node` in the documented command is the Node.js 22 of PATH, as on a user's machine.
      env: { ...process.env, PATH: `${dirname(node)}:${process.env.PATH ?? ''}`, CI: 'true' },
      timeout: 60_000,
      maxBuffer: 8 << 20,
    });
    const listed = JSON.parse(stdout) as { tools: Array<{ name: string; inputSchema: unknown }> };
    const config = parse(readFileSync(join(ROOT, 'examples/conduit.yaml'), 'utf8')) as {
      tools: Array<{ name: string }>;
    };
    const names = listed.tools.map((t) => t.name);
    for (const t of config.tools) expect(names).toContain(t.name);
    for (const t of listed.tools) expect(t.inputSchema, t.name).toBeTruthy();
  }, 180_000);
});
