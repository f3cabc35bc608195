/**
 * The L2 wire format: a small fixed header, then JSON. Parsing reads the header by hand and the tags
 * and value with plain JSON.parse plus shape checks, so a corrupted or foreign value can only ever be
 * a miss — nothing in it is executed or revived, and nothing nested deeper than a cached value may be
 * (`MAX_DEPTH`) is handed on to overflow the stack of whatever serialises it.
 *
 * Version 2 layout (one string, `;`-separated header, no spaces):
 *
 *     @conduit:2;<created>;<softExpiresAt>;<hardExpiresAt>;<v|n>;<tagsLength>;<tags JSON><value JSON>
 *
 * Timestamps are epoch ms as JS prints numbers; `v` marks a value, `n` a cached "not found" (no value
 * JSON follows); `tagsLength` is the length (UTF-16 code units) of the tags JSON object that follows
 * (0: no tags). Why not one JSON object (version 1): JSON-parsing the three timestamps and the wrapper
 * object was the largest single cost of an L2 hit; the header is read without allocating.
 */

import { nestedDeeperThan } from '../../core/index.js';
import { MAX_DEPTH } from './size.js';

/** Marker and format version; bump `ENVELOPE_VERSION` when the shape changes (old entries become misses). */
export const ENVELOPE_MARK = '@conduit';
export const ENVELOPE_VERSION = 2;
const HEAD = `${ENVELOPE_MARK}:${ENVELOPE_VERSION};`;

/** A decoded entry, shared by both tiers. */
export interface StoredEntry {
  /** The value; `undefined` when `negative`. */
  value: unknown;
  /** True for a cached "not found". */
  negative: boolean;
  /** Written at (epoch ms, writer's clock; informational). */
  created: number;
  /** Fresh until (epoch ms). */
  softExpiresAt: number;
  /** Gone after (epoch ms): soft + the longest stale window. */
  hardExpiresAt: number;
  /** Tag name -> version counter seen when written. */
  tags: Record<string, number> | undefined;
}

export function encodeEnvelope(e: StoredEntry): string {
  const tags = e.tags ? JSON.stringify(e.tags) : '';
  const head = `${HEAD}${e.created};${e.softExpiresAt};${e.hardExpiresAt};${e.negative ? 'n' : 'v'};${tags.length};${tags}`;
  if (e.negative) return head;
  const value = JSON.stringify(e.value);
  // JSON.stringify(undefined) is undefined: written without a value, it reads back as a miss (as in v1).
  return head + (value ?? '');
}

export type DecodeResult = { ok: true; entry: StoredEntry } | { ok: false; reason: string };

/**
 * What a fill leaves in an empty L2 slot while its factory runs: `@conduit:f;<fill id>`. It reads as a
 * miss. An invalidation deletes it like any entry, and the fill writes its value only if the marker is
 * still there (see `storeIfUnchanged`), so a fill overtaken by an invalidation is never stored.
 */
export const FILL_MARK = `${ENVELOPE_MARK}:f;`;

/** `decodeEnvelopeFast`'s reason for a fill marker: a plain miss, not worth a log line. */
export const FILL_MARKER = 'fill marker';

/**
 * What identifies the L2 slot's content as a fill saw it: the first bytes and the total byte length.
 * For an entry that is the header up to the value kind (`@conduit:2;<created>;<soft>;<hard>;v;`: ASCII,
 * and distinct for every write but two of the same key in the same millisecond with the same TTLs, the
 * same tags and the same length); for a marker the whole marker. `undefined` when the content cannot be
 * told apart safely (a foreign value): the fill then does not write L2.
 */
export interface SlotStamp {
  head: string;
  bytes: number;
}

export function stampOf(raw: string): SlotStamp | undefined {
  if (raw.startsWith(FILL_MARK)) return { head: raw, bytes: Buffer.byteLength(raw) };
  if (!raw.startsWith(HEAD)) return undefined;
  let end = HEAD.length;
  for (let i = 0; i < 4; i++) {
    end = raw.indexOf(';', end) + 1;
    if (end === 0) return undefined;
  }
  return { head: raw.slice(0, end), bytes: Buffer.byteLength(raw) };
}

/** Decodes an envelope; a string result is why it was refused (the caller logs it, never the value). */
export function decodeEnvelopeFast(raw: string): StoredEntry | string {
  if (!raw.startsWith(HEAD)) {
    if (raw.startsWith(FILL_MARK)) return FILL_MARKER;
    return raw.startsWith(`${ENVELOPE_MARK}:`) || raw.startsWith(`{"${ENVELOPE_MARK}"`)
      ? 'unsupported envelope version'
      : 'foreign value (no envelope header)';
  }
  pos = HEAD.length;
  const created = readTime(raw);
  const soft = readTime(raw);
  const hard = readTime(raw);
  if (created < 0 || soft < 0 || hard < soft) return 'bad timestamps';
  const kind = raw.charCodeAt(pos);
  if ((kind !== 0x76 /* v */ && kind !== 0x6e) /* n */ || raw.charCodeAt(pos + 1) !== 0x3b /* ; */)
    return 'bad header';
  pos += 2;
  const tagsLen = readTime(raw);
  if (tagsLen < 0 || !Number.isSafeInteger(tagsLen) || pos + tagsLen > raw.length) return 'bad header';
  let tags: Record<string, number> | undefined;
  if (tagsLen > 0) {
    const t = parseJson(raw.slice(pos, pos + tagsLen));
    if (t === BAD || typeof t !== 'object' || t === null || Array.isArray(t)) return 'bad tags';
    for (const v of Object.values(t)) if (!Number.isSafeInteger(v)) return 'bad tags';
    tags = t as Record<string, number>;
  }
  const negative = kind === 0x6e;
  const valueAt = pos + tagsLen;
  let value: unknown;
  if (negative) {
    if (valueAt !== raw.length) return 'bad header';
  } else {
    if (valueAt === raw.length) return 'no value';
    value = parseJson(raw.slice(valueAt));
    if (value === BAD) return 'value is not JSON';
    // The size walk counts the top level as 0, this check as 1: the same bound. Nesting d levels
    // takes d opening and d closing brackets, so a shorter text cannot be too deep: no walk for it.
    if (raw.length - valueAt >= TOO_DEEP_CHARS && nestedDeeperThan(value, MAX_DEPTH + 1))
      return 'value nested too deep';
  }
  return { value, negative, created, softExpiresAt: soft, hardExpiresAt: hard, tags };
}

/** `decodeEnvelopeFast` with the result wrapped, for callers that prefer a tagged union. */
export function decodeEnvelope(raw: string): DecodeResult {
  const r = decodeEnvelopeFast(raw);
  return typeof r === 'string' ? { ok: false, reason: r } : { ok: true, entry: r };
}

/** The shortest JSON text nested deeper than `MAX_DEPTH + 1` levels: `[[…]]` at `MAX_DEPTH + 2`. */
const TOO_DEEP_CHARS = 2 * (MAX_DEPTH + 2);

const BAD = Symbol('bad JSON');

function parseJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return BAD;
  }
}

/** Where `readTime` continues; module state so reading a header allocates nothing. */
let pos = 0;

/** Reads a `;`-terminated non-negative number at `pos` and moves past it; -1 for anything malformed. */
function readTime(raw: string): number {
  const start = pos;
  // Fast path: up to 15 plain decimal digits (integer epoch ms), read in the same pass that finds the
  // `;`, no allocation.
  let n = 0;
  for (let i = start, stop = Math.min(raw.length, start + 16); i < stop; i++) {
    const c = raw.charCodeAt(i);
    if (c === 0x3b /* ; */) {
      if (i === start) break;
      pos = i + 1;
      return n;
    }
    const d = c - 0x30;
    if (d < 0 || d > 9) break;
    n = n * 10 + d;
  }
  return readTimeSlow(raw, start);
}

/** Anything else JS prints for a finite non-negative number ("1.5", "1e+21"), or garbage. */
function readTimeSlow(raw: string, start: number): number {
  const end = raw.indexOf(';', start);
  if (end <= start) return -1;
  pos = end + 1;
  const field = raw.slice(start, end);
  if (!NUMBER.test(field)) return -1;
  const v = Number(field);
  return Number.isFinite(v) ? v : -1;
}

const NUMBER = /^\d+(?:\.\d+)?(?:e[+-]?\d+)?$/;
