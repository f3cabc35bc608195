import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run.js';
import { memoryIo } from '../cli/helpers.js';
import { runAgainstPrism } from '../openapi/helpers/prism-run.js';

const github = join(import.meta.dirname, '../../node_modules/@octokit/openapi/generated/api.github.com.json');

describe("GitHub's full REST document against Prism", () => {
  it('>= 95% of its operations are served and >= 95% of one call per served operation is accepted', async () => {
    const run = await runAgainstPrism(github, { concurrency: 8 });
    console.log(
      `api.github.com: ${run.served}/${run.operations} served, ${run.accepted}/${run.called} accepted, ` +
        `${run.unsampled.length} not sampled; refused: ${run.refused.map((r) => `${r.tool} (${r.status ?? r.code})`).join(', ')}`,
    );
    expect(run.served / run.operations).toBeGreaterThanOrEqual(0.95);
    expect(run.unlistedByValidate).toEqual([]);
    expect(run.accepted / run.called).toBeGreaterThanOrEqual(0.95);
    // `conduit init` lists each operation it leaves out, with the same reason.
    const dir = mkdtempSync(join(tmpdir(), 'conduit-prism-github-'));
    try {
      const spec = join(dir, 'github.json');
      copyFileSync(github, spec);
      const m = memoryIo();
      expect(await runCli(['init', '--openapi', spec, '--out', join(dir, 'github.yaml')], m.io)).toBe(0);
      for (const left of run.leftOut) expect(m.stderr()).toContain(left.message);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 600_000);
});
