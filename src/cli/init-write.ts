import { rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ConfigError } from '../core/index.js';
import { UsageError } from './usage-error.js';

/**
 * Writes a file of `init`'s, refusing to replace an existing one without `--force`. With it, the
 * text goes to a file beside and is renamed over the old one: a write that fails half-way (a full
 * disk) leaves the old file as it was, never a truncated config.
 */
export async function writeInitFile(file: string, text: string, force: boolean): Promise<void> {
  if (!force) return writeNew(file, text);
  const temporary = `${file}.conduit-init-${process.pid}.tmp`;
  try {
    await writeNew(temporary, text);
    await rename(temporary, file);
  } catch (err) {
    await rm(temporary, { force: true });
    // Said of the file the user named, not of the file beside it.
    throw err instanceof ConfigError ? writeProblem(file, err.cause) : writeProblem(file, err);
  }
}

async function writeNew(file: string, text: string): Promise<void> {
  try {
    await writeFile(file, text, { flag: 'wx' });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST')
      throw new UsageError(`${file} already exists; pass --force to overwrite it`, 'init');
    throw writeProblem(file, err);
  }
}

/** A file moved out of the way by a `--force` run, until the run knows whether it succeeds. */
export interface SetAside {
  /** Moves the file back (over whatever the run wrote there). */
  restore(): Promise<void>;
  /** Deletes the kept file: the run succeeded. */
  discard(): Promise<void>;
}

/**
 * Moves `file` aside (renamed next to it) when it exists, so a `--force` run that then fails can put
 * it back; undefined when there is nothing there.
 */
export async function setAside(file: string): Promise<SetAside | undefined> {
  const kept = `${file}.conduit-init-${process.pid}.previous`;
  try {
    await rename(file, kept);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw writeProblem(file, err);
  }
  return {
    restore: () => rename(kept, file),
    discard: () => rm(kept, { force: true }),
  };
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
