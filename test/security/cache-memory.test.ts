import { describe, expect, it } from 'vitest';

// Hostile clients can make the gateway cache answers whose heap dwarfs their JSON (`[{},{},…]`):
// l1.maxBytes must bound what the process really holds, measured in a child with a small heap.
/** What the memory child measured: heap held after GC and at peak, over its baseline; L1's own figures. */
interface ChildReport {
  held: number;
  peak: number;
  reported: number;
  entries: number;
}

describe('l1.maxBytes against the real heap', () => {
  /** Runs the fill in a child with a small heap; resolves with what it measured, or the exit code. */
  async function runChild(heapMb: number, args: number[]) {
    const { fork } = await import('node:child_process');
    const script = new URL('../cache/fixtures/l1-memory-child.ts', import.meta.url).pathname;
    const child = fork(script, args.map(String), {
      execArgv: ['--import', 'tsx', '--expose-gc', `--max-old-space-size=${heapMb}`],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr!.resume();
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    return { code, report: code === 0 ? (JSON.parse(out) as ChildReport) : undefined };
  }

  it('holds answers whose heap dwarfs their JSON within maxBytes of real memory (child with a 256 MB heap)', async () => {
    // 100 answers of 300 KB `[{},…]` (each ~6.4 MB of heap): counted by JSON length, 32 MB of budget
    // would keep ~100 of them, ~640 MB of heap, far past the child's 256 MB.
    const maxBytes = 32 * 1024 * 1024;
    const { code, report } = await runChild(256, [300_000, 100, maxBytes]);
    expect(code).toBe(0);
    expect(report!.entries).toBeGreaterThan(1);
    expect(report!.reported).toBeLessThanOrEqual(maxBytes);
    // The process holds what L1 reports, give or take the estimate (it errs high) and GC slack.
    expect(report!.held).toBeLessThanOrEqual(maxBytes * 1.2);
    expect(report!.held).toBeLessThanOrEqual(report!.reported * 1.2 + 4 * 1024 * 1024);
  }, 120_000);

  // The hostile clients' case (3.5 MiB each; 12 counted by JSON length would hold ~900 MB).
  it('survives answers of 3.5 MiB `[{},…]` under the default budget (child with a 512 MB heap)', async () => {
    const { code, report } = await runChild(512, [3.5 * 1024 * 1024, 12, 64 * 1024 * 1024]);
    expect(code).toBe(0);
    expect(report?.held).toBeLessThanOrEqual(64 * 1024 * 1024 * 1.2);
  }, 180_000);
});
