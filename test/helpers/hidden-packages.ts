// Runs code in a child process with some installed packages hidden (test/helpers/hide-packages.mjs):
// the parent side (runHidden, hiddenScenario) and the child side (printScenario) of the
// optional-dependency tests.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { MissingDependencyError } from '../../src/core/index.js';

const hide = fileURLToPath(new URL('./hide-packages.mjs', import.meta.url));

/** How a child ended and what it wrote. */
export interface HiddenRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `script args` (through tsx) with the packages in `hidden` resolving as if not installed. */
export function runHidden(script: string, args: string[], hidden: string[]): Promise<HiddenRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', '--import', hide, script, ...args],
      { env: { ...process.env, CONDUIT_HIDE_PACKAGES: hidden.join(',') }, timeout: 60_000 },
      (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** Runs scenario `name` of the child `script` (see {@link printScenario}) and returns what it printed. */
export async function hiddenScenario(
  script: string,
  name: string,
  hidden: string[],
): Promise<Record<string, unknown>> {
  const r = await runHidden(script, [name], hidden);
  const line = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    throw new Error(`child printed no result (exit ${r.code}): ${r.stdout}\n${r.stderr}`);
  }
}

/**
 * Child side: runs the scenario named by the first argument and prints one JSON line, `{ ok: true,
 * value }` or `{ ok: false, missing, code, packageName, message }` (`missing`: a MissingDependencyError),
 * then exits 0 whatever is still open.
 */
export async function printScenario(scenarios: Record<string, () => Promise<unknown>>): Promise<never> {
  const name = process.argv[2] ?? '';
  try {
    console.log(JSON.stringify({ ok: true, value: await scenarios[name]!() }));
  } catch (err) {
    const e = err as Error & { code?: string; packageName?: string };
    console.log(
      JSON.stringify({
        ok: false,
        missing: err instanceof MissingDependencyError,
        code: e.code,
        packageName: e.packageName,
        message: e.message,
      }),
    );
  }
  process.exit(0);
}
