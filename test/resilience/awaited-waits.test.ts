import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));

/** Runs the fixture with one scenario; resolves with its exit code and output, whenever it ends. */
function runScript(scenario: string): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(here, 'fixtures', 'awaited-waits.ts'), scenario],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  child.stderr.on('data', (d) => {
    err += d;
  });
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, out, err })));
}

describe('an awaited wait keeps a plain script alive', () => {
  it('api.getJson against a refused port retries through its backoff and ends with the error', async () => {
    const r = await runScript('http');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toEqual({
      scenario: 'http',
      outcome: 'error',
      code: 'NETWORK_ERROR',
      attempts: [3],
    });
  });

  it("the README's policy.execute against a down host retries and ends with the fetch error", async () => {
    const r = await runScript('policy');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toEqual({
      scenario: 'policy',
      outcome: 'error',
      name: 'TypeError',
      attempts: [1, 2, 3],
    });
  });

  it('await sleep(100) from conduit/resilience returns and the script goes on', async () => {
    const r = await runScript('sleep');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toEqual({ scenario: 'sleep', outcome: 'slept' });
  });
});
