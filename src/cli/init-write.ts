import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ConfigError } from '../core/index.js';
import { UsageError } from './usage-error.js';

/** Writes a file of `init`'s, refusing to replace an existing one without `--force`. */
export async function writeInitFile(file: string, text: string, force: boolean): Promise<void> {
  try {
    await writeFile(file, text, { flag: force ? 'w' : 'wx' });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST')
      throw new UsageError(`${file} already exists; pass --force to overwrite it`, 'init');
    throw writeProblem(file, err);
  }
}

/** Why `init` could not write `file`, with what to do about it (the error code alone tells neither). */
function writeProblem(file: string, err: unknown): ConfigError {
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
