import type { CallToolResult } from '@modelcontextprotocol/server';
import { isShapedAnswer, PAGE_META_KEY, TRUNCATED_META_KEY, truncationNote } from './answer-shape.js';
import { CACHE_META_KEY } from './cache-port.js';

const STALE_NOTE = '\n(stale: served from the cache past its freshness limit)';

export interface AnswerOrigin {
  /** `fallback`: the call failed and a fallback value was served instead. */
  source: 'cache' | 'upstream' | 'fallback';
  layer?: 'l1' | 'l2' | undefined;
  stale: boolean;
}

// The L1 cache hands back the same object on every hit: render its text once.
const renderedText = new WeakMap<object, string>();

/**
 * Records the JSON text a value was parsed from, so its text rendering reuses it instead of
 * serializing the value again (the upstream's body on a cache miss).
 */
export function rememberText(value: unknown, text: string): void {
  if (value !== null && typeof value === 'object') renderedText.set(value, text);
}

function textOf(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  let text = renderedText.get(value);
  if (text === undefined) {
    text = JSON.stringify(value);
    renderedText.set(value, text);
  }
  return text;
}

function originMeta(origin: AnswerOrigin): Record<string, unknown> {
  return origin.layer === undefined
    ? { source: origin.source, stale: origin.stale }
    : { source: origin.source, layer: origin.layer, stale: origin.stale };
}

/**
 * A successful tool result: the JSON as `structuredContent` plus the same JSON as text for clients
 * that only read text, and `_meta['conduit/cache']` saying where the answer came from and whether it
 * is stale. A list or scalar answer goes as is: 2026-07-28 allows any JSON value there, and the SDK's
 * 2025-era codec wraps it as `{ result }` (and a non-object output schema likewise) for older clients.
 */
export function successResult(value: unknown, origin: AnswerOrigin): CallToolResult {
  const meta = originMeta(origin);
  const text = origin.stale ? textOf(value) + STALE_NOTE : textOf(value);
  return {
    content: [{ type: 'text', text }],
    structuredContent: value as Record<string, unknown>,
    _meta: { [CACHE_META_KEY]: meta },
  };
}

/**
 * The result of a shaped (or paginated) tool: the shaped value and its text, the visible marker when
 * a cap cut it and `_meta['conduit/truncated']` saying what was dropped and how to get the rest. A
 * value that is not a shaped answer (cached before the tool had a shape) is served as is.
 */
const markedText = new WeakMap<object, string>();

export function shapedResult(answer: unknown, origin: AnswerOrigin): CallToolResult {
  if (!isShapedAnswer(answer)) return successResult(answer, origin);
  const meta: Record<string, unknown> = { [CACHE_META_KEY]: originMeta(origin) };
  let text = answer.text;
  if (answer.truncated) {
    // The L1 cache hands back the same answer on every hit: its marked text is built once.
    let marked = markedText.get(answer);
    if (marked === undefined) {
      marked = text + truncationNote(answer.truncated);
      markedText.set(answer, marked);
    }
    text = marked;
    meta[TRUNCATED_META_KEY] = answer.truncated;
  }
  if (answer.nextPage !== undefined) {
    text += `\n[more: call again with cursor "${answer.nextPage}" for the next page]`;
    meta[PAGE_META_KEY] = { nextCursor: answer.nextPage };
  }
  if (origin.stale) text += STALE_NOTE;
  const result: CallToolResult = { content: [{ type: 'text', text }], _meta: meta };
  if (answer.value !== undefined) result.structuredContent = answer.value as Record<string, unknown>;
  return result;
}
