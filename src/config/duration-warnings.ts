import { isObject } from '../core/index.js';
import type { PathWarning } from './webhook-warnings.js';

/** Durations a plain number under a second almost never means as milliseconds. */
const TOOL_CACHE_DURATIONS = ['ttl', 'staleWhileRevalidate', 'staleIfError'] as const;

/**
 * Durations written as a plain number below 1000 where seconds were surely meant: a plain number is
 * milliseconds, so `cache: { ttl: 60 }` caches for 60 ms, and `breaker: { recovery: 30 }` half-opens
 * after 30 ms. Read from the config as written (`raw`: interpolated, before the schema).
 */
export function bareDurationWarnings(raw: unknown): PathWarning[] {
  if (!isObject(raw)) return [];
  const warnings: PathWarning[] = [];
  const check = (value: unknown, path: (string | number)[]) => {
    if (typeof value === 'number' && value > 0 && value < 1000)
      warnings.push({
        path,
        message: `${value} is read as ${value} ms (a plain number is milliseconds); write "${value}s" if seconds were meant, or "${value}ms" to keep it`,
      });
  };
  if (Array.isArray(raw.tools))
    raw.tools.forEach((tool, i) => {
      if (!isObject(tool) || !isObject(tool.cache)) return;
      for (const key of TOOL_CACHE_DURATIONS) check(tool.cache[key], ['tools', i, 'cache', key]);
    });
  if (isObject(raw.upstreams))
    for (const [name, upstream] of Object.entries(raw.upstreams))
      if (isObject(upstream) && isObject(upstream.breaker))
        check(upstream.breaker.recovery, ['upstreams', name, 'breaker', 'recovery']);
  return warnings;
}
