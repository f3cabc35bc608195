import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { describe, expect, it } from 'vitest';
import { EXAMPLE_CONFIG, ROOT } from './helpers.js';

// examples/assignments-api.ts is what the README and docs/cli.md tell a newcomer to run before serving
// examples/conduit.yaml with Claude Desktop or the MCP Inspector: prove the two work together.
describe('examples/assignments-api.ts', () => {
  it('serves the demo API that examples/conduit.yaml reads through the spawned gateway, and stops on SIGTERM', async () => {
    const api = spawn(process.execPath, ['--import', 'tsx', 'examples/assignments-api.ts'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', PORT: '0', ASSIGNMENTS_API_TOKEN: 'api-test-token' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    const started = new Promise<string>((resolve, reject) => {
      api.stderr.setEncoding('utf8').on('data', (d: string) => {
        stderr += d;
        const m = stderr.match(/assignments API on (http:\/\/127\.0\.0\.1:\d+)/);
        if (m) resolve(m[1]!);
      });
      api.once('exit', () => reject(new Error(`exited before listening:\n${stderr}`)));
    });
    const exited = once(api, 'exit');
    try {
      const url = await started;
      // The token is required: without it the API refuses.
      expect((await fetch(`${url}/assignments/a1`)).status).toBe(401);
      const client = new Client({ name: 'api-test', version: '1.0.0' });
      await client.connect(
        new StdioClientTransport({
          command: process.execPath,
          args: ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--config', EXAMPLE_CONFIG],
          cwd: ROOT,
          env: {
            PATH: process.env.PATH ?? '',
            ASSIGNMENTS_API_URL: url,
            ASSIGNMENTS_API_TOKEN: 'api-test-token',
            LOG_LEVEL: 'silent',
          },
        }),
      );
      try {
        const result = (await client.callTool({ name: 'get_assignment', arguments: { id: 'a1' } })) as {
          isError?: boolean;
          structuredContent?: Record<string, unknown>;
        };
        expect(result.isError).toBeFalsy();
        expect(result.structuredContent).toMatchObject({ id: 'a1', title: 'Read chapter 3' });
      } finally {
        await client.close();
      }
    } finally {
      api.kill('SIGTERM');
    }
    expect(await exited).toEqual([0, null]);
    expect(stderr).toContain('assignments API stopped');
  });
});
