import { parseArgs } from 'node:util';
import { ExitCode } from './exit-codes.js';
import type { CliIo } from './io.js';
import { logLevelOption, usageErrors } from './options.js';

const DEMO_OPTIONS = { 'log-level': { type: 'string', short: 'l' } } as const;

/** `conduit demo`: the scripted session of src/demo; returns 0 when every step behaved as shown. */
export async function demoCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = usageErrors(
    'demo',
    () =>
      parseArgs({
        args,
        strict: true,
        allowPositionals: false,
        options: DEMO_OPTIONS,
      }),
    Object.keys(DEMO_OPTIONS),
  );
  const level = logLevelOption(values['log-level'], '--log-level', 'demo') ?? 'silent';
  const { runDemo } = await import('../demo/index.js');
  const result = await runDemo({ print: (line) => io.stdout(`${line}\n`), env: io.env, logLevel: level });
  return result.ok ? ExitCode.OK : ExitCode.RUNTIME;
}
