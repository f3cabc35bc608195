import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));

describe('process exit', () => {
  it('a process using every policy exits by itself with code 0 when its work is done', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'fixtures', 'every-policy.ts')], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    // No kill, no process.exit in the fixture: if a policy leaked a timer, this never resolves and the
    // test fails on vitest's timeout.
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(err).toBe('');
    expect(code).toBe(0);
    const summary = JSON.parse(out);
    expect(summary.timers.heldBeforeDispose).toBeGreaterThanOrEqual(1);
    expect(summary).toEqual({
      ok: 30,
      timedOut: 'timed out',
      rejected: 'CIRCUIT_OPEN',
      aborted: 'ABORTED',
      breaker: 'closed',
      // Ref'd timers held by undisposed policies, ref'd Timeouts in the process, and timers left
      // pending after dispose() must all be zero (the fixture also throws if any is not).
      timers: {
        scheduled: expect.any(Number),
        heldBeforeDispose: expect.any(Number),
        refHeld: 0,
        refTimeouts: 0,
        leftAfterDispose: 0,
      },
    });
  });
});
