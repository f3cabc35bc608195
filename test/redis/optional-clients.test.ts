import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { hiddenScenario, runHidden } from '../helpers/hidden-packages.js';

// Redis clients and the demo's MCP client are optional peer dependencies. These tests hide them from
// a child process (Node's own resolution failure, see test/helpers/hide-packages.mjs) and check that
// a memory-only setup never loads them, and that a feature needing one names the package to install.
const child = fileURLToPath(new URL('./fixtures/optional-clients-child.ts', import.meta.url));
const cli = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const ALL = ['ioredis', '@redis/client', '@modelcontextprotocol/client'];

const scenario = (name: string, hidden: string[]) => hiddenScenario(child, name, hidden);

describe('optional Redis and demo clients', () => {
  it('a memory-only cache works with every optional client missing', async () => {
    expect(await scenario('memoryCache', ALL)).toEqual({ ok: true, value: { a: 1 } });
  });

  it('a cache on a Redis URL names @redis/client when it is missing, and works when it is there', async () => {
    const missing = await scenario('urlCache', ['@redis/client']);
    expect(missing).toMatchObject({ ok: false, missing: true, code: 'MISSING_DEPENDENCY' });
    expect(missing.packageName).toBe('@redis/client');
    expect(missing.message).toContain('npm install @redis/client');
    // ioredis absent does not matter for a URL: only the client that is used is loaded.
    expect(await scenario('urlCache', ['ioredis', '@modelcontextprotocol/client'])).toEqual({ ok: true });
  });

  it('a cache on a Redis Cluster and the Redis de-dup store name ioredis when it is missing', async () => {
    for (const name of ['clusterCache', 'dedupeStore']) {
      const missing = await scenario(name, ['ioredis']);
      expect(missing, name).toMatchObject({ ok: false, missing: true, packageName: 'ioredis' });
      expect(missing.message, name).toContain('npm install ioredis');
      expect(await scenario(name, ['@redis/client']), name).toEqual({ ok: true });
    }
  });

  it('a client that is installed but broken (its own dependency missing) is not reported as missing', async () => {
    const broken = await scenario('clusterCache', ['@ioredis/commands']);
    expect(broken).toMatchObject({ ok: false, missing: false });
    expect(broken.message).toContain('@ioredis/commands');
  });

  it('the demo names @modelcontextprotocol/client when it is missing', async () => {
    const missing = await scenario('demo', ['@modelcontextprotocol/client']);
    expect(missing).toMatchObject({
      ok: false,
      missing: true,
      packageName: '@modelcontextprotocol/client',
    });
  });

  it('`conduit demo` without the MCP client says which package to install and exits non-zero', async () => {
    const r = await runHidden(cli, ['demo'], ['@modelcontextprotocol/client']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('npm install @modelcontextprotocol/client');
    expect(r.stdout).toBe('');
  });
});
