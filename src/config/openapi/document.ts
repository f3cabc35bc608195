import { dirname, extname, isAbsolute, resolve } from 'node:path';
import { LoadBudget } from './budget.js';
import {
  assertDocumentShape,
  isStackOverflow,
  parseYamlChecked,
  stackOverflowError,
} from './document-shape.js';
import { type OpenApiErrorCode, OpenApiError, OpenApiRefError } from './errors.js';
import { confinedTarget, RefRoots, readDocumentFile } from './file-access.js';
import { jsonErrorOffset, jsonErrorText, textPosition } from '../text-position.js';

/** A parsed file of an OpenAPI document set, or why it could not be read. */
export interface DocumentFile {
  readonly root?: unknown;
  readonly problem?: string;
  /** The code of `problem` (default `OPENAPI_REF_UNRESOLVED`): a refused file is `OPENAPI_REF_FORBIDDEN`. */
  readonly code?: OpenApiErrorCode;
}

/**
 * An OpenAPI 3.0 or 3.1 document, parsed. `$ref`s are resolved lazily, when tools are built, so an
 * unresolvable one is reported with the operation that uses it. Other local files named by `$ref`s
 * are read up front (relative to the file that names them), so building tools is synchronous.
 */
export interface OpenApiDocument {
  /** Shown in messages: the file path, or the name given to `parseOpenApiDocument`. */
  readonly source: string;
  /** Id of the root file in `files` (its absolute path when loaded from disk). */
  readonly rootFile: string;
  readonly root: Record<string, unknown>;
  /** `3.0` or `3.1` (3.0 `nullable` and boolean `exclusiveMinimum` are converted). */
  readonly version: '3.0' | '3.1';
  /** Every file of the set by id, the root included. */
  readonly files: ReadonlyMap<string, DocumentFile>;
}

export interface ParseOpenApiOptions {
  /** Shown in errors; default `openapi document`. */
  sourceName?: string;
  /** `yaml` (default; reads JSON too) or `json`. */
  format?: 'yaml' | 'json';
}

/** How `loadOpenApiDocument` bounds what it reads. */
export interface LoadOpenApiOptions {
  /**
   * Directories besides the root file's own that `$ref`s may reach (`openapi.refRoots`). Nothing
   * else is read: not `../` out of them, not absolute paths, not symbolic links that lead out.
   */
  refRoots?: readonly string[];
  /** The budget of the whole load (shared with building the tools); default: `DEFAULT_DOCUMENT_LIMITS`. */
  budget?: LoadBudget;
  /**
   * Set for a document that may not read local files (one fetched from a URL): its first `$ref` to
   * another file is refused with `OPENAPI_REF_FORBIDDEN` before any file is read, and this text,
   * appended, says why and what to do instead.
   */
  refuseFileRefs?: string;
}

/** Largest number of files one document may pull in through `$ref`s. */
const MAX_FILES = 64;

/** Parses YAML or JSON text into a value; throws OpenApiError. */
function parseText(text: string, format: 'yaml' | 'json', source: string): unknown {
  if (format === 'json') {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      if (isStackOverflow(String((err as Error)?.message))) throw stackOverflowError(source);
      const message = (err as Error).message;
      const { line } = textPosition(text, jsonErrorOffset(message, text));
      throw new OpenApiError(
        'OPENAPI_DOCUMENT_INVALID',
        `${source}: not valid JSON (line ${line}): ${jsonErrorText(message)}`,
      );
    }
    assertDocumentShape(value, source);
    return value;
  }
  try {
    // Refuses deep nesting before composing, which recurses once per level and would overflow.
    const doc = parseYamlChecked(text, source);
    if (doc.errors.length > 0) {
      const first = doc.errors[0]!;
      if (isStackOverflow(first.message)) throw stackOverflowError(source);
      // The composer runs without a line counter: its errors carry offsets only.
      const line = first.linePos?.[0]?.line ?? textPosition(text, first.pos[0]).line;
      throw new OpenApiError(
        'OPENAPI_DOCUMENT_INVALID',
        `${source}: not valid YAML${line ? ` (line ${line})` : ''}: ${first.message.split('\n')[0]}`,
      );
    }
    // A low alias limit stops "billion laughs" documents from expanding without bound.
    const value: unknown = doc.toJS({ maxAliasCount: 100 });
    assertDocumentShape(value, source);
    return value;
  } catch (err) {
    if (err instanceof OpenApiError) throw err;
    if (isStackOverflow(String((err as Error)?.message ?? err))) throw stackOverflowError(source);
    throw new OpenApiError(
      'OPENAPI_DOCUMENT_INVALID',
      `${source}: cannot read the YAML: ${String((err as Error)?.message ?? err).split('\n')[0]}`,
    );
  }
}

function checkRoot(
  value: unknown,
  source: string,
): { root: Record<string, unknown>; version: '3.0' | '3.1' } {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new OpenApiError(
      'OPENAPI_DOCUMENT_INVALID',
      `${source}: expected an OpenAPI document (a mapping with "openapi" and "paths") at the top`,
    );
  const root = value as Record<string, unknown>;
  if (root.swagger !== undefined)
    throw new OpenApiError(
      'OPENAPI_DOCUMENT_INVALID',
      `${source}: Swagger/OpenAPI 2.0 is not supported; convert it to OpenAPI 3 (e.g. with swagger2openapi) and point to the result`,
    );
  const version =
    typeof root.openapi === 'string' ? /^3\.([01])(\.\d+)?(-[\w.]+)?$/.exec(root.openapi) : null;
  if (!version)
    throw new OpenApiError(
      'OPENAPI_DOCUMENT_INVALID',
      `${source}: expected "openapi: 3.0.x" or "openapi: 3.1.x" at the top, found ${describe(root.openapi)}`,
    );
  if (
    root.paths !== undefined &&
    (root.paths === null || typeof root.paths !== 'object' || Array.isArray(root.paths))
  )
    throw new OpenApiError(
      'OPENAPI_DOCUMENT_INVALID',
      `${source}: "paths" must be a mapping of paths to path items`,
    );
  return { root, version: version[1] === '0' ? '3.0' : '3.1' };
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return JSON.stringify(value.slice(0, 40));
  return typeof value;
}

function formatOf(name: string): 'yaml' | 'json' {
  return extname(name).toLowerCase() === '.json' ? 'json' : 'yaml';
}

/**
 * Parses an OpenAPI document from text. `$ref`s to other files cannot be followed from text (they
 * resolve to an `OPENAPI_REF_UNRESOLVED` error when used); use `loadOpenApiDocument` for those.
 */
export function parseOpenApiDocument(text: string, options: ParseOpenApiOptions = {}): OpenApiDocument {
  const source = options.sourceName ?? 'openapi document';
  const { root, version } = checkRoot(parseText(text, options.format ?? 'yaml', source), source);
  return { source, rootFile: source, root, version, files: new Map([[source, { root }]]) };
}

/**
 * Reads an OpenAPI 3.0/3.1 document from a local YAML or JSON file (`.json` is read as JSON, anything
 * else as YAML), with the other local files its `$ref`s name: regular files under the root file's
 * directory or `refRoots` only, each within the budget. A refused or unreadable file is recorded, and
 * an operation that uses it fails with the reason (`OPENAPI_REF_FORBIDDEN`, `OPENAPI_REF_UNRESOLVED`).
 * Throws `OpenApiError`: `OPENAPI_DOCUMENT_INVALID` when the root file is missing or is not an
 * OpenAPI 3 document, `OPENAPI_REF_FORBIDDEN` when it is not a regular file,
 * `OPENAPI_BUDGET_EXCEEDED` past a size or time bound.
 */
export async function loadOpenApiDocument(
  path: string,
  options: LoadOpenApiOptions = {},
): Promise<OpenApiDocument> {
  const budget = options.budget ?? new LoadBudget();
  const rootFile = resolve(path);
  const text = await readDocumentFile(rootFile, path, budget);
  const { root, version } = checkRoot(parseText(text, formatOf(rootFile), path), path);
  const roots = await RefRoots.of([dirname(rootFile), ...(options.refRoots ?? []).map((r) => resolve(r))]);
  const files = new Map<string, DocumentFile>([[rootFile, { root }]]);
  if (options.refuseFileRefs !== undefined) {
    const first = externalRefs(root, rootFile)[0];
    if (first !== undefined)
      throw new OpenApiRefError(
        'OPENAPI_REF_FORBIDDEN',
        first.ref,
        `${path}: $ref "${oneLine(first.ref)}" refers to another file; ${options.refuseFileRefs}`,
      );
  }
  const queue: { file: string; raw: string; ref: string }[] = [];
  const enqueue = (from: string, value: unknown) => {
    for (const target of externalRefs(value, from)) {
      if (files.has(target.file) || queue.some((q) => q.file === target.file)) continue;
      queue.push(target);
    }
  };
  enqueue(rootFile, root);
  while (queue.length > 0) {
    const { file, raw } = queue.shift()!;
    if (files.size >= MAX_FILES) {
      files.set(file, { problem: `the document refers to more than ${MAX_FILES} files` });
      continue;
    }
    try {
      const real = await confinedTarget(raw, file, roots);
      const value = parseText(await readDocumentFile(real, file, budget), formatOf(file), file);
      files.set(file, { root: value });
      enqueue(file, value);
    } catch (err) {
      if (!(err instanceof OpenApiError) || err.code === 'OPENAPI_BUDGET_EXCEEDED') throw err;
      files.set(file, { problem: err.message, code: err.code });
    }
  }
  return { source: path, rootFile, root, version, files };
}

/** The file part of a `$ref`, resolved against the referring file; undefined for local or remote refs. */
export function refFile(ref: string, from: string): string | undefined {
  const hash = ref.indexOf('#');
  const file = hash === -1 ? ref : ref.slice(0, hash);
  if (file === '' || /^[a-z][a-z0-9+.-]*:/i.test(file)) return undefined;
  let decoded = file;
  try {
    decoded = decodeURIComponent(file);
  } catch {
    // keep the raw text; reading it will fail with a clear message
  }
  return isAbsolute(decoded) ? decoded : resolve(dirname(from), decoded);
}

/** A `$ref` as messages show it: one line, bounded (the document may be hostile). */
function oneLine(text: string): string {
  return text.replace(/\p{Cc}+/gu, ' ').slice(0, 200);
}

/** The raw file part of a `$ref` (before the `#`). */
function rawFilePart(ref: string): string {
  const hash = ref.indexOf('#');
  return hash === -1 ? ref : ref.slice(0, hash);
}

/** Files named by `$ref`s anywhere in a value (iterative: documents may nest deeply). */
function externalRefs(value: unknown, from: string): { file: string; raw: string; ref: string }[] {
  const out = new Map<string, { file: string; raw: string; ref: string }>();
  const seen = new Set<object>();
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const node = stack.pop();
    if (node === null || typeof node !== 'object' || seen.has(node)) continue;
    seen.add(node);
    if (Array.isArray(node)) {
      for (const item of node) stack.push(item);
      continue;
    }
    const ref = (node as Record<string, unknown>).$ref;
    if (typeof ref === 'string') {
      const file = refFile(ref, from);
      if (file !== undefined && !out.has(file)) out.set(file, { file, raw: rawFilePart(ref), ref });
    }
    for (const child of Object.values(node)) stack.push(child);
  }
  return [...out.values()];
}
