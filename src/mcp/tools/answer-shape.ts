import { createHash } from 'node:crypto';
import type { AnswerShapeConfig } from '../../config/index.js';
import { stableStringify } from './key-template.js';

/**
 * The largest upstream body a shaped tool with a cap (list length or size) reads, instead of the HTTP
 * client's 4 MiB default: the cap then cuts it visibly; past this ceiling the call still fails,
 * `RESPONSE_TOO_LARGE`.
 */
export const SHAPED_RESPONSE_CEILING = 32 * 1024 * 1024;

/** What a capped tool reads: the ceiling, or the upstream's own `maxResponseBytes` when that is larger. */
export function shapedResponseLimit(upstreamLimit: number | undefined): number {
  return Math.max(SHAPED_RESPONSE_CEILING, upstreamLimit ?? 0);
}
/** Bytes of JSON text per estimated token (`maxTokens`). */
export const BYTES_PER_TOKEN = 4;
/** `_meta` key of a cut answer: what was dropped and how to get the rest. */
export const TRUNCATED_META_KEY = 'conduit/truncated';
/** `_meta` key of a paginated answer with pages left: `{ nextCursor }`. */
export const PAGE_META_KEY = 'conduit/page';

/** What a cut dropped: the list's length before and after, or the text's. */
export interface Truncation {
  /** `maxPages`: a gathering tool stopped with pages left. */
  reason: 'maxItems' | 'maxBytes' | 'maxTokens' | 'maxPages';
  /** The cap that cut it (items, bytes or tokens, by `reason`). */
  limit: number;
  /** List entries shown and in the answer; absent when the answer had no list and its text was cut. */
  shownItems?: number;
  totalItems?: number;
  /** Text cut (no list to shorten): bytes shown of the whole. */
  shownBytes?: number;
  totalBytes?: number;
  /** Pass back as the tool's `cursor` argument for the rest (tools with pagination). */
  nextCursor?: string;
}

/**
 * A shaped answer, as the cache stores it (plain JSON, so L2 keeps it too): the value the model sees
 * (absent when only text could be cut), its JSON text, and what a cap dropped.
 */
export interface ShapedAnswer {
  'conduit/shaped': 1;
  /** The shape that made it ({@link AnswerShaper.id}): a cached answer of another shape is fetched again. */
  shape: string;
  value?: unknown;
  text: string;
  truncated?: Truncation;
  /** Paginated tools: pass back as the `cursor` argument for the next page. */
  nextPage?: string;
}

export function isShapedAnswer(value: unknown): value is ShapedAnswer {
  return (
    value !== null && typeof value === 'object' && (value as Record<string, unknown>)['conduit/shaped'] === 1
  );
}

/** A path tree: a leaf (`true`) takes the whole value there; a node goes deeper. */
type PathTree = { [key: string]: PathTree | true };

export function pathKeys(path: string): string[] {
  return path.split('.').map((s) => (s.endsWith('[]') ? s.slice(0, -2) : s));
}

// Trees have no prototype: an answer's key such as "constructor" never finds an inherited node.
const emptyTree = (): PathTree => Object.create(null) as PathTree;

function buildTree(paths: readonly string[]): PathTree {
  const root = emptyTree();
  for (const path of paths) {
    const keys = pathKeys(path);
    let node = root;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      if (i === keys.length - 1) {
        node[key] = true;
        break;
      }
      const next = node[key];
      if (next === true) break; // a shorter path already keeps (or drops) all of it
      if (next !== undefined) node = next;
      else {
        const created = emptyTree();
        node[key] = created;
        node = created;
      }
    }
  }
  return root;
}

const own = Object.prototype.hasOwnProperty;

/**
 * `out[key] = v`, but a `"__proto__"` key (JSON.parse keeps one as data) stays data: plain assignment
 * would set the copy's prototype instead, dropping the key and letting the answer pose as a list.
 */
function put(out: Record<string, unknown>, key: string, v: unknown): void {
  if (key === '__proto__')
    Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
  else out[key] = v;
}

/** Keeps only the tree's paths; arrays on the way are mapped over (each entry keeps the same paths). */
function pick(value: unknown, tree: PathTree): unknown {
  if (Array.isArray(value)) return value.map((v) => pick(v, tree));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const key in tree) {
    if (!own.call(value, key)) continue;
    const sub = tree[key]!;
    const v = (value as Record<string, unknown>)[key];
    put(out, key, sub === true ? v : pick(v, sub));
  }
  return out;
}

/** Drops the tree's paths; arrays on the way are mapped over. */
function omit(value: unknown, tree: PathTree): unknown {
  if (Array.isArray(value)) return value.map((v) => omit(v, tree));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const key in value as Record<string, unknown>) {
    const sub = tree[key];
    if (sub === true) continue;
    const v = (value as Record<string, unknown>)[key];
    put(out, key, sub === undefined ? v : omit(v, sub));
  }
  return out;
}

/** Where the list is: the answer itself, a path, or by default its `items` or `data`. */
export interface ListSlot {
  list: unknown[];
  /** The answer with the list replaced (a fresh parent chain; the rest is shared). */
  with(list: unknown[]): unknown;
}

export function findList(value: unknown, keys: readonly string[] | undefined): ListSlot | undefined {
  if (keys === undefined) {
    if (Array.isArray(value)) return { list: value, with: (l) => l };
    for (const key of ['items', 'data'])
      if (
        value !== null &&
        typeof value === 'object' &&
        Array.isArray((value as Record<string, unknown>)[key])
      )
        return findList(value, [key]);
    return undefined;
  }
  if (keys.length === 0) return Array.isArray(value) ? { list: value, with: (l) => l } : undefined;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const [head, ...rest] = keys as [string, ...string[]];
  const inner = findList((value as Record<string, unknown>)[head], rest);
  if (!inner) return undefined;
  return { list: inner.list, with: (l) => ({ ...(value as object), [head]: inner.with(l) }) };
}

const utf8Length = (text: string) => Buffer.byteLength(text, 'utf8');

/** The longest prefix of `text` within `bytes` UTF-8 bytes, not splitting a character. */
function cutText(text: string, bytes: number): string {
  const buf = Buffer.from(text, 'utf8').subarray(0, bytes);
  // A cut inside a multi-byte character leaves U+FFFD at the end: drop it.
  return buf.toString('utf8').replace(/\uFFFD+$/, '');
}

/**
 * A tool's `shape`, compiled once: path trees, the list's path and the byte cap. `apply` is pure
 * (same answer in, same shaped answer out), so its result is what the cache stores.
 *
 * @example
 * ```ts
 * const shaper = compileShape({ pick: ['items[].id'], maxItems: 2 })!;
 * shaper.apply({ items: [{ id: 1, x: 1 }, { id: 2 }, { id: 3 }] }).truncated; // { reason: 'maxItems', … }
 * ```
 */
export interface AnswerShaper {
  /** The shape's fingerprint (a hash of its config), the same on every instance with that config. */
  readonly id: string;
  /** Bytes the text may take (`maxBytes`, or `maxTokens` × 4), if capped. */
  readonly byteCap: number | undefined;
  /** A cap (`maxItems`, `maxBytes`, `maxTokens`) bounds what the model sees: a large body is cut, not refused. */
  readonly capped: boolean;
  apply(value: unknown, nextCursor?: (shownItems: number) => string | undefined): ShapedAnswer;
}

export function compileShape(shape: AnswerShapeConfig | undefined): AnswerShaper | undefined {
  if (!shape) return undefined;
  const pickTree = shape.pick && shape.pick.length > 0 ? buildTree(shape.pick) : undefined;
  const omitTree = shape.omit && shape.omit.length > 0 ? buildTree(shape.omit) : undefined;
  const listKeys = shape.list !== undefined ? pathKeys(shape.list) : undefined;
  const id = createHash('sha256').update(stableStringify(shape)).digest('base64url').slice(0, 16);
  const tokenBytes = shape.maxTokens !== undefined ? shape.maxTokens * BYTES_PER_TOKEN : undefined;
  const byteCap =
    shape.maxBytes !== undefined && tokenBytes !== undefined
      ? Math.min(shape.maxBytes, tokenBytes)
      : (shape.maxBytes ?? tokenBytes);
  const sizeReason: Truncation['reason'] =
    tokenBytes !== undefined && (shape.maxBytes === undefined || tokenBytes < shape.maxBytes)
      ? 'maxTokens'
      : 'maxBytes';
  const sizeLimit = sizeReason === 'maxTokens' ? shape.maxTokens! : shape.maxBytes!;

  const apply: AnswerShaper['apply'] = (raw, nextCursor) => {
    let value = raw;
    if (pickTree) value = pick(value, pickTree);
    if (omitTree) value = omit(value, omitTree);
    let truncated: Truncation | undefined;
    const slot =
      shape.maxItems !== undefined || byteCap !== undefined ? findList(value, listKeys) : undefined;
    const total = slot?.list.length ?? 0;
    if (slot && shape.maxItems !== undefined && total > shape.maxItems) {
      value = slot.with(slot.list.slice(0, shape.maxItems));
      truncated = {
        reason: 'maxItems',
        limit: shape.maxItems,
        shownItems: shape.maxItems,
        totalItems: total,
      };
    }
    let text = typeof value === 'string' ? value : (JSON.stringify(value) ?? 'null');
    if (byteCap !== undefined && utf8Length(text) > byteCap) {
      const fitted = slot
        ? fitList(value, slot, listKeys, byteCap, truncated?.shownItems ?? total)
        : undefined;
      if (fitted && fitted.shown > 0) {
        value = fitted.value;
        text = fitted.text;
        truncated = { reason: sizeReason, limit: sizeLimit, shownItems: fitted.shown, totalItems: total };
      } else {
        // No list to shorten (or not one entry fits): the text is cut, the structure cannot be kept.
        const totalBytes = utf8Length(text);
        text = cutText(text, byteCap);
        value = undefined;
        truncated = { reason: sizeReason, limit: sizeLimit, shownBytes: utf8Length(text), totalBytes };
      }
    }
    if (truncated?.shownItems !== undefined && nextCursor) {
      const cursor = nextCursor(truncated.shownItems);
      if (cursor !== undefined) truncated.nextCursor = cursor;
    }
    const out: ShapedAnswer = { 'conduit/shaped': 1, shape: id, text };
    if (value !== undefined) out.value = value;
    if (truncated) out.truncated = truncated;
    return out;
  };
  return { id, byteCap, capped: byteCap !== undefined || shape.maxItems !== undefined, apply };
}

/** The most leading list entries whose answer's JSON text fits `cap` bytes. */
function fitList(
  value: unknown,
  slot: ListSlot,
  listKeys: readonly string[] | undefined,
  cap: number,
  upTo: number,
): { value: unknown; text: string; shown: number } | undefined {
  // `slot` was found on the answer before maxItems cut it; find the list on the current one.
  const current = findList(value, listKeys) ?? slot;
  const list = current.list.slice(0, upTo);
  let used = utf8Length(JSON.stringify(current.with([])));
  let shown = 0;
  for (const entry of list) {
    const size = utf8Length(JSON.stringify(entry) ?? 'null') + (shown > 0 ? 1 : 0);
    if (used + size > cap) break;
    used += size;
    shown++;
  }
  if (shown === 0) return undefined;
  const cut = current.with(list.slice(0, shown));
  return { value: cut, text: JSON.stringify(cut), shown };
}

/** The visible marker after a cut answer's text: what was dropped and how to get the rest. */
export function truncationNote(t: Truncation): string {
  const unit =
    t.reason === 'maxItems'
      ? 'items'
      : t.reason === 'maxTokens'
        ? 'tokens'
        : t.reason === 'maxPages'
          ? 'pages'
          : 'bytes';
  const what =
    t.shownItems !== undefined
      ? t.totalItems !== undefined
        ? `showing ${t.shownItems} of ${t.totalItems} items`
        : `showing ${t.shownItems} items, the upstream has more`
      : `showing the first ${t.shownBytes} of ${t.totalBytes} bytes`;
  const rest =
    t.nextCursor !== undefined
      ? `call again with cursor "${t.nextCursor}" for the rest`
      : t.reason === 'maxPages'
        ? 'narrow the request (filters) or raise pagination.maxPages to see the rest'
        : 'narrow the request (filters, fewer fields) to see the rest';
  return `\n[truncated: ${what} (${t.reason} ${t.limit} ${unit}); ${rest}]`;
}

/**
 * True when a cached value is what `shaper` makes now: shaped by it, or (for a tool without a shape)
 * not shaped at all. A reload or restart that changes a tool's shape leaves answers of the old one in
 * the cache; they are fetched again instead of served.
 */
export function fitsShape(value: unknown, shaper: AnswerShaper | undefined): boolean {
  return isShapedAnswer(value) ? value.shape === shaper?.id : shaper === undefined;
}
