import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ratio, report, target } from '../../bench/lib.js';

// bench/lib.ts is shared test/bench infrastructure; its target recording is checked here.
describe('bench/lib target() records into the suite JSON', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'bench-lib-'));
    vi.stubEnv('BENCH_RESULTS_DIR', dir);
    vi.spyOn(console, 'log').mockImplementation(() => {});
  });
  afterAll(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
    rmSync(dir, { recursive: true, force: true });
  });

  it('targets before report() go into it; targets after it are appended to its file', () => {
    const read = (suite: string) => JSON.parse(readFileSync(join(dir, `${suite}.json`), 'utf8'));
    expect(target('early', 3, 2)).toBe(true);
    const r = report('one', 'a', [
      { name: 'a', opsPerSec: 100 },
      { name: 'b', opsPerSec: 250 },
    ]);
    expect(read('one').targets).toEqual([{ label: 'early', value: 3, min: 2, pass: true }]);
    expect(target('b/a', ratio(r, 'b', 'a'), 3)).toBe(false);
    expect(read('one').targets).toEqual([
      { label: 'early', value: 3, min: 2, pass: true },
      { label: 'b/a', value: 2.5, min: 3, pass: false },
    ]);
    // A second report in the same process starts its own list.
    report('two', 'a', [{ name: 'a', opsPerSec: 1 }]);
    target('second', 1, 1);
    expect(read('two').targets).toEqual([{ label: 'second', value: 1, min: 1, pass: true }]);
    expect(read('one').targets).toHaveLength(2);
  });
});
