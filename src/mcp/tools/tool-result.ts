import type { CallToolResult } from '@modelcontextprotocol/server';
import { CACHE_META_KEY } from './cache-port.js';

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

/**
 * A successful tool result: the JSON as `structuredContent` plus the same JSON as text for clients
 * that only read text, and `_meta['conduit/cache']` saying where the answer came from and whether it
 * is stale. A list or scalar answer goes as is: 2026-07-28 allows any JSON value there, and the SDK's
 * 2025-era codec wraps it as `{ result }` (and a non-object output schema likewise) for older clients.
 */
export function successResult(value: unknown, origin: AnswerOrigin): CallToolResult {
  const meta: Record<string, unknown> =
    origin.layer === undefined
      ? { source: origin.source, stale: origin.stale }
      : { source: origin.source, layer: origin.layer, stale: origin.stale };
  const text = origin.stale
    ? `${textOf(value)}\n(stale: served from the cache past its freshness limit)`
    : textOf(value);
  return {
    content: [{ type: 'text', text }],
    structuredContent: value as Record<string, unknown>,
    _meta: { [CACHE_META_KEY]: meta },
  };
}
