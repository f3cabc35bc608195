import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/** One TypeScript block of a Markdown file, with where it starts and whether it may be run. */
export interface DocBlock {
  /** Path relative to the repository, e.g. `docs/http.md`. */
  readonly file: string;
  /** 1-based line of the block's first code line in the Markdown file. */
  readonly line: number;
  readonly code: string;
  /** Set when the block is marked `<!-- doc-test: no-run <reason> -->`: the reason given. */
  readonly noRun?: string;
  /** Set when the marker is malformed (no reason): what is wrong. */
  readonly markerProblem?: string;
}

const FENCE_TS = /^```(?:ts|typescript)\s*$/;
const FENCE_END = /^```\s*$/;
const MARKER = /^<!--\s*doc-test:\s*no-run\b(.*?)-->\s*$/;

/** README.md and every docs/*.md, in a stable order. */
export function docFiles(root: string): string[] {
  const docs = readdirSync(join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => join(root, 'docs', f));
  return [join(root, 'README.md'), ...docs];
}

/** Every ```ts block of one Markdown file. */
export function extractBlocks(root: string, path: string): DocBlock[] {
  const lines = readFileSync(path, 'utf8').split('\n');
  const file = relative(root, path);
  const blocks: DocBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!FENCE_TS.test(lines[i] ?? '')) continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && !FENCE_END.test(lines[end] ?? '')) end++;
    const marker = precedingMarker(lines, i);
    blocks.push({
      file,
      line: start + 1,
      code: lines.slice(start, end).join('\n'),
      ...marker,
    });
    i = end;
  }
  return blocks;
}

function precedingMarker(lines: string[], fence: number): { noRun?: string; markerProblem?: string } {
  let j = fence - 1;
  while (j >= 0 && (lines[j] ?? '').trim() === '') j--;
  const m = MARKER.exec((lines[j] ?? '').trim());
  if (!m) return {};
  const reason = (m[1] ?? '').replace(/^[\s:—–-]+/, '').trim();
  return reason ? { noRun: reason } : { markerProblem: 'a no-run marker must say why the block cannot run' };
}

/** A file name for the block that says where it came from: `docs-http.md-L157.ts`. */
export function blockFileName(b: DocBlock): string {
  return `${b.file.replace(/[\\/]/g, '-')}-L${b.line}.ts`;
}
