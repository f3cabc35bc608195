import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { crashLines, crashMonitorArgs, monitoredExitCode } from './lib/guard.js';

/** Runs `code` in a fresh node process (optionally with the crash monitor) and returns its stderr. */
async function run(code: string, monitor = true): Promise<{ stderr: string; exitCode: number | null }> {
  const child = spawn(process.execPath, [...(monitor ? crashMonitorArgs : []), '-e', code], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (c: string) => {
    stderr += c;
  });
  const [exitCode] = (await once(child, 'close')) as [number | null];
  return { stderr, exitCode };
}

// The guard the chaos suite relies on for spawned gateways: a crash in a child must be seen.
describe('chaos guard: crashes in spawned processes are detected', () => {
  it.each([
    ['an uncaught exception', "setTimeout(() => { throw new Error('boom'); }, 1)", 'uncaughtException'],
    ['an unhandled rejection (Error)', "Promise.reject(new Error('boom'))", 'unhandledRejection'],
    ['an unhandled rejection (not an Error)', "Promise.reject('boom')", 'unhandledRejection'],
  ])('%s: a marker line from the monitor, and a non-zero exit', async (_what, code, origin) => {
    const { stderr, exitCode } = await run(code);
    expect(crashLines(stderr).some((l) => l.startsWith(`CONDUIT-CHAOS-CRASH ${origin}: `))).toBe(true);
    expect(crashLines(stderr).join('\n')).toContain('boom');
    expect(exitCode).not.toBe(0);
    // 'exit' listeners still run after an uncaught exception (not after a V8 fatal error).
    expect(monitoredExitCode(stderr)).toBe(exitCode);
  });

  it("without the monitor, Node's own crash output is still caught by the scan", async () => {
    for (const code of ["Promise.reject(new Error('boom'))", "Promise.reject('boom')"]) {
      const { stderr } = await run(code, false);
      expect(stderr).not.toContain('CONDUIT-CHAOS');
      expect(crashLines(stderr).length).toBeGreaterThan(0);
    }
  });

  it('a clean exit and a chosen exit code report no crash, with the code', async () => {
    const clean = await run('process.stderr.write(\'{"level":30,"msg":"shutting down"}\\n\')');
    expect(crashLines(clean.stderr)).toEqual([]);
    expect(monitoredExitCode(clean.stderr)).toBe(0);
    const chosen = await run('process.exitCode = 3');
    expect(crashLines(chosen.stderr)).toEqual([]);
    expect(monitoredExitCode(chosen.stderr)).toBe(3);
  });
});
