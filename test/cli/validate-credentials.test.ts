import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/cli/exit-codes.js';
import { runCli } from '../../src/cli/run.js';
import { memoryIo } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'conduit-validate-credentials-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SECRET = 'validate-grant-secret-9b3f';

async function validate(name: string, lines: string[], env: Record<string, string> = {}) {
  const file = join(dir, name);
  writeFileSync(file, `${lines.join('\n')}\n`);
  const m = memoryIo(env);
  const code = await runCli(['validate', '--config', file], m.io);
  return { code, out: `${m.stdout()}\n${m.stderr()}` };
}

describe('conduit validate: upstream credentials and whose cached answers are', () => {
  it("names each cached tool's scope and why, warns about forward, and never prints a grant secret", async () => {
    const { code, out } = await validate(
      'credentials.yaml',
      [
        'upstreams:',
        '  user:',
        '    baseUrl: https://api.example.com',
        '    auth:',
        '      type: token-exchange',
        '      tokenUrl: https://idp.example.com/token',
        '      clientId: gw',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the config's ${ENV} syntax
        '      clientSecret: ${GRANT_SECRET}',
        '      audience: https://api.example.com/',
        '  passthrough: { baseUrl: "https://internal.example.com", auth: { type: forward } }',
        '  plain: { baseUrl: "https://plain.example.com" }',
        'tools:',
        '  - { name: mine, upstream: user, path: /mine, cache: { ttl: 1m } }',
        '  - { name: catalog, upstream: user, path: /catalog, cache: { ttl: 1m, scope: shared } }',
        '  - { name: status, upstream: plain, path: /status, cache: { ttl: 1m } }',
        '  - { name: inner, upstream: passthrough, path: /inner }',
      ],
      { GRANT_SECRET: SECRET },
    );
    expect(code, out).toBe(ExitCode.OK);
    expect(out).toMatch(/warning: upstreams\.passthrough\.auth: forwards the caller's own access token/);
    expect(out).toMatch(/cache private: tools\[0\] \(mine\)\.cache: .*auth\.type token-exchange/);
    expect(out).toMatch(
      /cache shared: tools\[1\] \(catalog\)\.cache: cache\.scope: shared.*must not depend on who asks/,
    );
    // The plain case needs no explaining.
    expect(out).not.toContain('(status)');
    expect(out).not.toContain(SECRET);
  });
});
