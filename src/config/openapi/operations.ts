import type { OpenApiDocument } from './document.js';
import { OpenApiError } from './errors.js';
import type { RefResolver } from './resolver.js';
import type { OpenApiSelector } from './source-schema.js';
import { generatedName } from './tool-name.js';
import { isObject } from '../../core/index.js';
import { shown } from './text.js';

export const OPERATION_METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head'] as const;

/** One operation of the document, before it becomes a tool. */
export interface RawOperation {
  /** `GET`, `POST`, … */
  method: string;
  path: string;
  /** The operationId, or the generated name when `generateNames` is on; undefined otherwise. */
  id: string | undefined;
  /** True when `id` was generated from method and path. */
  generated: boolean;
  /** How messages name it: `listItems (GET /items)` or `GET /items`. */
  label: string;
  node: Record<string, unknown>;
  file: string;
  /** Parameters declared on the path item (apply to every operation of the path). */
  pathParameters: unknown;
  pathFile: string;
  tags: string[];
}

/**
 * Every GET/PUT/POST/DELETE/PATCH/HEAD operation, in document order (`options` and `trace` are not
 * tools). Path items excluded by path glob are not even resolved, so a broken one can be excluded.
 */
export function listOperations(
  document: OpenApiDocument,
  resolver: RefResolver,
  generateNames: boolean,
  skipPath: (path: string) => boolean,
): RawOperation[] {
  const paths = isObject(document.root.paths) ? document.root.paths : {};
  const out: RawOperation[] = [];
  for (const [path, rawItem] of Object.entries(paths)) {
    if (skipPath(path)) continue;
    if (!path.startsWith('/'))
      throw new OpenApiError(
        'OPENAPI_DOCUMENT_INVALID',
        `${document.source}: path "${shown(path.slice(0, 80))}" must start with "/"`,
      );
    const item = resolver.deref(rawItem, document.rootFile, `path ${shown(path)}`, 'path item');
    if (!isObject(item.value))
      throw new OpenApiError(
        'OPENAPI_DOCUMENT_INVALID',
        `${document.source}: path ${shown(path)} must map to a path item (get, post, … operations)`,
      );
    for (const m of OPERATION_METHODS) {
      if (item.value[m] === undefined) continue;
      const method = m.toUpperCase();
      // An operation may itself be a $ref to another file (one file per operation, as DigitalOcean's
      // document is laid out): its parameters and body then resolve against that file.
      const at = `${method} ${shown(path)}`;
      const target = resolver.deref(item.value[m], item.file, at, 'operation');
      const node = target.value;
      if (!isObject(node))
        throw new OpenApiError(
          'OPENAPI_DOCUMENT_INVALID',
          `${document.source}: ${at} must be an operation object`,
          { operation: at },
        );
      const operationId =
        typeof node.operationId === 'string' && node.operationId !== '' ? node.operationId : undefined;
      const id = operationId ?? (generateNames ? generatedName(method, path) : undefined);
      out.push({
        method,
        path,
        id,
        generated: operationId === undefined,
        // Messages and logs name it: the document's text escaped, so it cannot draw fake lines.
        label: id === undefined ? at : `${shown(id)} (${at})`,
        node,
        file: target.file,
        pathParameters: item.value.parameters,
        pathFile: item.file,
        tags: Array.isArray(node.tags) ? node.tags.filter((t): t is string => typeof t === 'string') : [],
      });
    }
  }
  return out;
}

/** `*` matches any run of characters (slashes included); everything else is literal. */
export function globMatcher(glob: string): (text: string) => boolean {
  const source = glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  const re = new RegExp(`^${source}$`);
  return (text) => re.test(text);
}

export interface Selection {
  /** True when the path is excluded whatever the operation (checked before resolving the path item). */
  skipPath(path: string): boolean;
  selected(op: RawOperation): boolean;
}

/** include: any criterion matches (no criteria = everything); exclude: any criterion matches, and wins. */
export function selection(
  include: OpenApiSelector | undefined,
  exclude: OpenApiSelector | undefined,
): Selection {
  const matcher = (s: OpenApiSelector | undefined) => {
    if (!s) return undefined;
    const paths = s.paths.map(globMatcher);
    const empty = s.operationIds.length + s.tags.length + paths.length + s.methods.length === 0;
    if (empty) return undefined;
    return {
      path: (p: string) => paths.some((m) => m(p)),
      op: (op: RawOperation) =>
        (op.id !== undefined && s.operationIds.includes(op.id)) ||
        op.tags.some((t) => s.tags.includes(t)) ||
        paths.some((m) => m(op.path)) ||
        s.methods.includes(op.method),
    };
  };
  const inc = matcher(include);
  const exc = matcher(exclude);
  return {
    skipPath: (path) => exc?.path(path) === true,
    selected: (op) => (inc === undefined || inc.op(op)) && (exc === undefined || !exc.op(op)),
  };
}
