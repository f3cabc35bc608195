import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = new URL('../../', import.meta.url).pathname;

/** The exact Node.js versions CI runs on (scripts/node-versions), by major. */
export function pinnedNodeVersion(major: number): string {
  const lines = readFileSync(new URL('scripts/node-versions', `file://${ROOT}`), 'utf8').split('\n');
  const found = lines.map((l) => l.trim()).find((l) => l.startsWith(`${major}.`));
  if (!found) throw new Error(`scripts/node-versions pins no Node.js ${major}`);
  return found;
}

/**
 * The path of the npm registry's Node.js binary of the pinned version for `major`, installed into the
 * shared cache by scripts/registry-node.sh when it is not there yet (CI installs them up front).
 */
export async function registryNode(major: number): Promise<string> {
  const { stdout } = await run('bash', [`${ROOT}scripts/registry-node.sh`, pinnedNodeVersion(major)], {
    cwd: ROOT,
    maxBuffer: 1 << 20,
  });
  return stdout.trim().split('\n').at(-1) ?? '';
}
