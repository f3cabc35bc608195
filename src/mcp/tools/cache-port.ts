/**
 * What the gateway needs from the tiered cache (`conduit-mcp/cache`'s `createCache` satisfies it; see
 * docs/architecture.md). Kept as a port so the library face can take any cache with this shape.
 */
export interface CacheLookup<T> {
  value: T;
  source: 'l1' | 'l2' | 'factory';
  stale: boolean;
}

export interface GetOrSetOptions {
  ttlMs: number;
  staleWhileRevalidateMs?: number;
  staleIfErrorMs?: number;
  tags?: string[];
  timeoutMs?: number;
}

/** What the cache tells a factory: `background` when no caller waits for it (a refresh behind a stale answer). */
export interface FillContext {
  readonly background?: boolean;
}

export interface GatewayCache {
  getOrSetWithMeta<T>(
    key: string,
    factory: (fill?: FillContext) => Promise<T>,
    options: GetOrSetOptions,
  ): Promise<CacheLookup<T>>;
  /** `strict`: reject when the change reached this instance only (Redis failed), so a webhook is retried. */
  delete(key: string, options?: { strict?: boolean }): Promise<unknown>;
  invalidateTags(tags: string[], options?: { strict?: boolean }): Promise<unknown>;
  close(): Promise<void>;
}

/** `_meta` key telling where an answer came from: `{ source: 'cache' | 'upstream', layer?, stale }`. */
export const CACHE_META_KEY = 'conduit/cache';
