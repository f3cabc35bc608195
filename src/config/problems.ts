import { ConfigError } from '../core/index.js';
import type { ConfigPath } from './interpolate.js';

/** One thing wrong with a config, located in the file where possible. */
export interface ConfigProblem {
  /** Readable path, e.g. `tools[2].cache.ttl`; empty for the document itself. */
  path: string;
  /** The same path as segments. */
  segments: ConfigPath;
  message: string;
  /** 1-based line in the source file, when known. */
  line?: number;
  /** 1-based column, when known. */
  column?: number;
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

/** `['tools', 2, 'cache', 'ttl']` → `tools[2].cache.ttl`; odd keys are quoted: `upstreams["my api"]`. */
export function formatPath(path: ConfigPath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (IDENTIFIER.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/** One problem as a line: `tools[2].cache.ttl (line 14): expected ...`. */
export function formatProblem(problem: ConfigProblem): string {
  const where = problem.path || '(document)';
  return problem.line !== undefined
    ? `${where} (line ${problem.line}): ${problem.message}`
    : `${where}: ${problem.message}`;
}

/**
 * The config could not be used. `problems` lists every one found, each with its path and line;
 * the message lists them too, one per line. Values from the environment never appear in it.
 */
export class ConfigValidationError extends ConfigError {
  readonly problems: readonly ConfigProblem[];
  readonly source: string;

  constructor(source: string, problems: readonly ConfigProblem[]) {
    const n = problems.length;
    super(
      `${source}: ${n} problem${n === 1 ? '' : 's'} in the config:\n` +
        problems.map((p) => `  - ${formatProblem(p)}`).join('\n'),
    );
    this.source = source;
    this.problems = problems;
  }
}
