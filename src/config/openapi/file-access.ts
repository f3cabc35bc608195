import { constants } from 'node:fs';
import { open, realpath } from 'node:fs/promises';
import { isAbsolute, relative, sep } from 'node:path';
import { type LoadBudget, mib } from './budget.js';
import { OpenApiError } from './errors.js';

/**
 * Where a document's `$ref`s may reach: the directory of the root file and the roots the operator
 * lists (`openapi.refRoots`), all as real paths. A document may come from a third party, and whatever
 * a `$ref` reads is inlined into schemas every client sees, so nothing outside is read.
 */
export class RefRoots {
  private constructor(private readonly dirs: readonly string[]) {}

  /** Real paths of `dirs` (those that do not exist are left out: nothing under them can be read). */
  static async of(dirs: readonly string[]): Promise<RefRoots> {
    const real: string[] = [];
    for (const dir of dirs) {
      try {
        real.push(await realpath(dir));
      } catch {
        // a missing root admits nothing
      }
    }
    return new RefRoots([...new Set(real)]);
  }

  /** True when `path` (a real path) is one of the roots or under one. */
  admits(path: string): boolean {
    return this.dirs.some((dir) => {
      const rel = relative(dir, path);
      return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
    });
  }

  get list(): readonly string[] {
    return this.dirs;
  }
}

/** A refused `$ref` target: `OPENAPI_REF_FORBIDDEN`. */
export function forbidden(message: string): OpenApiError {
  return new OpenApiError('OPENAPI_REF_FORBIDDEN', message);
}

/**
 * Checks that the file part of a `$ref` may be read: relative (absolute paths are refused whatever
 * they point at), and, symlinks followed, under one of `roots`. Returns its real path.
 */
export async function confinedTarget(rawFile: string, resolved: string, roots: RefRoots): Promise<string> {
  if (isAbsolute(rawFile) || isAbsolute(safeDecode(rawFile)) || /^[\\/]/.test(rawFile))
    throw forbidden('it is an absolute path; refer to files relative to the document, under its directory');
  let real: string;
  try {
    real = await realpath(resolved);
  } catch (err) {
    if (!roots.admits(resolved)) throw outside(roots);
    const code = (err as NodeJS.ErrnoException).code;
    throw new OpenApiError(
      'OPENAPI_REF_UNRESOLVED',
      code === 'ENOENT'
        ? `${resolved} does not exist`
        : `cannot read ${resolved} (${code ?? (err as Error).message})`,
    );
  }
  if (!roots.admits(real)) {
    if (roots.admits(resolved))
      throw forbidden(
        `${resolved} is a symbolic link to ${real}, outside the directories $refs may reach (${roots.list.join(', ')})`,
      );
    throw outside(roots);
  }
  return real;
}

function outside(roots: RefRoots): OpenApiError {
  return forbidden(
    `it leaves the directories $refs may reach (${roots.list.join(', ')}); move the file ` +
      'next to the document, or list its directory in openapi.refRoots',
  );
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * Reads a document file as UTF-8: a regular file only (a FIFO would block forever, a device such as
 * `/dev/zero` never ends), at most `maxFileBytes`, counted against the budget. Opened without
 * blocking, and checked on the open handle, so what is checked is what is read.
 */
export async function readDocumentFile(file: string, shown: string, budget: LoadBudget): Promise<string> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new OpenApiError(
      'OPENAPI_DOCUMENT_INVALID',
      code === 'ENOENT'
        ? `OpenAPI document ${shown} does not exist; check openapi.document (relative paths start at the config file)`
        : `cannot read OpenAPI document ${shown} (${code ?? (err as Error).message})`,
      { cause: err },
    );
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile())
      throw forbidden(
        `${shown} is not a regular file (${kindOf(stat)}); OpenAPI documents are read from files only`,
      );
    const max = budget.limits.maxFileBytes;
    if (stat.size > max) throw tooLarge(shown, max);
    // The size may change between stat and read: read at most one byte past the cap.
    const buffer = Buffer.allocUnsafe(Math.min(stat.size, max) + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > max) throw tooLarge(shown, max);
      if (length === buffer.length)
        throw new OpenApiError(
          'OPENAPI_DOCUMENT_INVALID',
          `${shown} grew while it was being read; try again`,
        );
    }
    budget.read(length, shown);
    return buffer.toString('utf8', 0, length);
  } finally {
    await handle.close();
  }
}

function tooLarge(shown: string, max: number): OpenApiError {
  return new OpenApiError(
    'OPENAPI_BUDGET_EXCEEDED',
    `${shown} is larger than ${mib(max)} (openapi.limits.maxFileBytes); split it, or raise the limit`,
  );
}

function kindOf(stat: {
  isDirectory(): boolean;
  isFIFO(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
  isSocket(): boolean;
}): string {
  if (stat.isDirectory()) return 'a directory';
  if (stat.isFIFO()) return 'a named pipe';
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return 'a device';
  if (stat.isSocket()) return 'a socket';
  return 'not a file';
}
