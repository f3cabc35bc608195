import { dirname, join } from 'node:path';
import { ConfigError } from '../core/index.js';

/** Why `init` could not write `file`, with what to do about it (the error code alone tells neither). */
export function writeProblem(file: string, err: unknown): ConfigError {
  const code = (err as NodeJS.ErrnoException).code;
  const why =
    code === 'ENOENT'
      ? `the folder ${dirname(file)} does not exist; create it (mkdir -p ${dirname(file)}) or pass another --out`
      : code === 'EISDIR'
        ? `it is a folder; pass --out with a file name, e.g. ${join(file, 'conduit.yaml')}`
        : code === 'EACCES' || code === 'EPERM' || code === 'EROFS'
          ? `no permission to write there (${code}); pass --out with a place you can write to`
          : `${code ?? (err as Error).message}`;
  return new ConfigError(`cannot write ${file}: ${why}`, { cause: err });
}
