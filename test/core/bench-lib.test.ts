import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { interleavedRounds, median, ratio, report, target, warmUp } from '../../bench/lib.js';

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

describe('bench/lib fair rounds', () => {
  it("reverses the contenders' order every other round and returns runs in contender order", async () => {
    const order: string[] = [];
    const runs = await interleavedRounds(['a', 'b', 'c'], 3, async (c, round) => {
      order.push(c);
      return `${c}${round}`;
    });
    expect(order).toEqual(['a', 'b', 'c', 'c', 'b', 'a', 'a', 'b', 'c']);
    expect(runs).toEqual([
      ['a0', 'a1', 'a2'],
      ['b0', 'b1', 'b2'],
      ['c0', 'c1', 'c2'],
    ]);
  });

  it('warms up by count, never more than `concurrency` calls in flight', async () => {
    let calls = 0;
    let inFlight = 0;
    let peak = 0;
    const fn = async () => {
      calls++;
      peak = Math.max(peak, ++inFlight);
      await new Promise<void>((resolve) => setImmediate(resolve));
      inFlight--;
    };
    await warmUp(fn, 10, 4);
    expect(calls).toBe(10);
    expect(peak).toBe(4);
  });

  it('a failed warm-up call rejects the warm-up', async () => {
    await expect(warmUp(() => Promise.reject(new Error('down')), 5, 2)).rejects.toThrow('down');
  });

  it('median takes the middle value, or the mean of the two middle ones', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(() => median([])).toThrow();
  });
});
