import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { blockFileName, type DocBlock } from './code-blocks.js';

/** How a block's text becomes a local run: its example hosts point at local servers. */
export interface RunSetup {
  root: string;
  /** Where the run files are written (inside the repository, so bare imports resolve). */
  dir: string;
  /** Working directory of each run (holds `conduit.yaml`, `examples/`). */
  cwd: string;
  /** Exact strings replaced in the block's text, e.g. `https://api.example.com` → the local upstream. */
  replace: ReadonlyArray<readonly [string, string]>;
  env: NodeJS.ProcessEnv;
  /** A sample that is still running after this is reported as not ending by itself. */
  limitMs: number;
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  ended: boolean;
  stderr: string;
}

function runnableText(block: DocBlock, s: RunSetup): string {
  let code = block.code;
  for (const [from, to] of s.replace) code = code.split(from).join(to);
  // The package's own imports go to its freshly compiled sources (the doc's lines stay where they were).
  code = code.replace(
    /(from\s+|import\s*\(\s*)(['"])conduit-mcp(\/[a-z-]+)?\2/g,
    (_m, pre: string, q: string, sub?: string) => {
      const target = join(s.dir, 'pkg', 'src', sub ? `${sub.slice(1)}/index.js` : 'index.js');
      return `${pre}${q}${target}${q}`;
    },
  );
  return `${code}\nexport {};\n`;
}

/**
 * Compiles src/ file by file into `<dir>/pkg/src` (laid out as in the package, beside a copy of its
 * package.json and its examples, which the sources find relative to themselves) and every runnable
 * block next to it, in one esbuild call: a run then costs one plain Node.js start, with the sources
 * of this tree rather than a possibly stale dist/.
 */
export async function compileForRuns(blocks: readonly DocBlock[], s: RunSetup): Promise<void> {
  const pkg = join(s.dir, 'pkg');
  mkdirSync(pkg, { recursive: true });
  copyFileSync(join(s.root, 'package.json'), join(pkg, 'package.json'));
  symlinkSync(join(s.root, 'examples'), join(pkg, 'examples'));
  const sources = (readdirSync(join(s.root, 'src'), { recursive: true }) as string[])
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .map((f) => join(s.root, 'src', f));
  const entries = blocks.map((b) => {
    const file = join(s.dir, blockFileName(b));
    writeFileSync(file, runnableText(b, s));
    return file;
  });
  const common = {
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: 'inline',
    logLevel: 'silent',
  } as const;
  await Promise.all([
    build({ ...common, entryPoints: sources, outbase: join(s.root, 'src'), outdir: join(pkg, 'src') }),
    build({ ...common, entryPoints: entries, outdir: join(s.dir, 'out'), outExtension: { '.js': '.mjs' } }),
  ]);
}

/** Runs one compiled block in its own Node.js process; it must exit 0 by itself. */
export function runBlock(block: DocBlock, s: RunSetup): Promise<RunResult> {
  const file = join(s.dir, 'out', blockFileName(block).replace(/\.ts$/, '.mjs'));
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--enable-source-maps', file], {
      cwd: s.cwd,
      env: { ...process.env, ...s.env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => {
      if (stderr.length < 20_000) stderr += c.toString('utf8');
    });
    let ended = true;
    const limit = setTimeout(() => {
      ended = false;
      child.kill('SIGKILL');
    }, s.limitMs);
    child.on('close', (code, signal) => {
      clearTimeout(limit);
      resolve({ code, signal, ended, stderr });
    });
  });
}

/** What went wrong, in the doc's terms, or undefined when the block ran as documented. */
export function runProblem(block: DocBlock, r: RunResult, limitMs: number): string | undefined {
  const where = `${block.file}:${block.line}`;
  if (!r.ended)
    return `${where}: did not end by itself within ${limitMs / 1000} s (a server, connection or timer left open: close it at the end of the sample)\n${r.stderr}`;
  if (r.code !== 0) return `${where}: exited with ${r.code ?? r.signal}\n${r.stderr}`;
  return undefined;
}
