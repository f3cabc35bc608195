import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { loadConfig } from '../../../src/config/index.js';
import { type RunningGateway, startGateway } from '../../../src/mcp/index.js';

/**
 * Writes `files` (name → content; `conduit.yaml` is the config) to a fresh directory, loads the config
 * as `conduit serve` does (OpenAPI sections expanded) and serves it over Streamable HTTP.
 */
export async function serveFiles(files: Record<string, string>): Promise<{
  gateway: RunningGateway;
  close(): Promise<void>;
}> {
  const dir = mkdtempSync(join(tmpdir(), 'conduit-tools-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  try {
    const config = await loadConfig(join(dir, 'conduit.yaml'), { env: {} });
    const gateway = await startGateway(config, { transport: 'http', port: 0 });
    return {
      gateway,
      async close() {
        await gateway.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

/**
 * Serves an OpenAPI 3.0 document of `paths` as upstream `list` at `baseUrl` (see serveFiles);
 * `openapi` is the rest of the upstream's `openapi` section (mode, overrides, cache…).
 */
export function serveOpenApi(
  baseUrl: string,
  paths: Record<string, unknown>,
  openapi: Record<string, unknown> = {},
): ReturnType<typeof serveFiles> {
  return serveFiles({
    'doc.json': JSON.stringify({ openapi: '3.0.3', info: { title: 'items', version: '1' }, paths }),
    'conduit.yaml': stringify({
      upstreams: { list: { baseUrl, openapi: { document: './doc.json', ...openapi } } },
    }),
  });
}
