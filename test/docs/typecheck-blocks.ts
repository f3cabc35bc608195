import { join } from 'node:path';
import ts from 'typescript';
import { blockFileName, type DocBlock } from './code-blocks.js';

/** The two ways users resolve the package: Node's own (`nodenext`) and a bundler's. */
export const RESOLUTIONS = {
  nodenext: { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext },
  bundler: { module: ts.ModuleKind.Preserve, moduleResolution: ts.ModuleResolutionKind.Bundler },
} as const;

/**
 * Type-checks every block in one program per resolution mode (strict, the package's own types: imports
 * of `conduit-mcp/...` map to src/), and returns one message per problem, naming the Markdown file
 * and line.
 */
export function typecheckBlocks(
  root: string,
  dir: string,
  blocks: readonly DocBlock[],
  resolution: keyof typeof RESOLUTIONS,
): string[] {
  const byPath = new Map(blocks.map((b) => [join(dir, blockFileName(b)), b]));
  const options: ts.CompilerOptions = {
    ...RESOLUTIONS[resolution],
    target: ts.ScriptTarget.ES2022,
    lib: ['lib.es2023.d.ts'],
    types: ['node'],
    typeRoots: [join(root, 'node_modules', '@types')],
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    esModuleInterop: true,
    isolatedModules: true,
    verbatimModuleSyntax: resolution === 'nodenext',
    allowImportingTsExtensions: false,
    baseUrl: root,
    paths: {
      'conduit-mcp': ['src/index.ts'],
      'conduit-mcp/*': ['src/*/index.ts'],
    },
  };
  const program = ts.createProgram([...byPath.keys()], options);
  const problems: string[] = [];
  for (const [path, block] of byPath) {
    const sf = program.getSourceFile(path);
    if (!sf) {
      problems.push(`${block.file}:${block.line}: not compiled`);
      continue;
    }
    const diags = [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)];
    for (const d of diags) {
      const at = d.start === undefined ? 0 : sf.getLineAndCharacterOfPosition(d.start).line;
      const text = ts.flattenDiagnosticMessageText(d.messageText, '\n  ');
      problems.push(`${block.file}:${block.line + at} (${resolution}): TS${d.code} ${text}`);
    }
  }
  return problems;
}
