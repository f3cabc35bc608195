import type { Context } from '@opentelemetry/api';
import { ConduitError } from '../core/index.js';
import type { HttpResponse } from './response.js';
import type { z } from 'zod';
import { nextLink } from './link-header.js';
import type { PathParams } from './path-template.js';
import type { Query } from './query.js';

/** More pages than `maxPages`: stopped so a buggy or hostile upstream cannot loop a caller forever. */
export class PaginationLimitError extends ConduitError {
  declare readonly code: 'PAGINATION_LIMIT';
  readonly maxPages: number;
  constructor(maxPages: number, route: string) {
    super(
      'PAGINATION_LIMIT',
      `Pagination of ${route} stopped after maxPages=${maxPages} pages. Raise maxPages if the collection is that large.`,
    );
    this.maxPages = maxPages;
  }
}

/** The upstream returned a cursor or next link it had already returned: following it would loop. */
export class PaginationLoopError extends ConduitError {
  declare readonly code: 'PAGINATION_LOOP';
  constructor(route: string) {
    super(
      'PAGINATION_LOOP',
      `Pagination of ${route} returned the same next cursor/link twice; stopped to avoid a loop.`,
    );
  }
}

interface PaginateCommon<D, T> {
  /** Path or template of the first page. */
  path: string;
  params?: PathParams;
  query?: Query;
  headers?: Readonly<Record<string, string>>;
  signal?: AbortSignal;
  /** The parent of every page's attempt spans (see `RequestOptions.traceContext`). */
  traceContext?: Context | undefined;
  /** Validates each page body. */
  schema?: z.ZodType<D>;
  /** Extracts the items of a page; default: the body if it is an array, else its `items` or `data`. */
  items?: (data: D) => readonly T[];
  /** Stop with `PaginationLimitError` after this many pages. Default 1000. */
  maxPages?: number;
  /** Largest page body read (see `RequestOptions.maxResponseBytes`); default the client's. */
  maxResponseBytes?: number;
}

/** `?page=N&page_size=M`; stops on an empty or short page, or when `hasMore(data)` says false. */
export interface PagePaginate<D, T> extends PaginateCommon<D, T> {
  style: 'page';
  pageParam?: string;
  pageSizeParam?: string;
  pageSize?: number;
  /** First page number; default 1. */
  firstPage?: number;
  hasMore?: (data: D) => boolean;
}

/**
 * `?offset=N&limit=M`: the offset advances by the items each page had; stops on an empty or short
 * page, or when `hasMore(data)` says false.
 */
export interface OffsetPaginate<D, T> extends PaginateCommon<D, T> {
  style: 'offset';
  offsetParam?: string;
  limitParam?: string;
  /** Sent as `limitParam` when set; a page with fewer items is the last. */
  limit?: number;
  /** Offset of the first page; default 0. */
  firstOffset?: number;
  hasMore?: (data: D) => boolean;
}

/** `?cursor=…` from the previous page; stops when `nextCursor` returns null, undefined or "". */
export interface CursorPaginate<D, T> extends PaginateCommon<D, T> {
  style: 'cursor';
  cursorParam?: string;
  /** Default: `next_cursor`, `nextCursor` or `meta.next_cursor` of the body. */
  nextCursor?: (data: D, response: HttpResponse) => string | null | undefined;
}

/** Follows `Link: <…>; rel="next"` (same origin only); stops when there is none. */
export interface LinkPaginate<D, T> extends PaginateCommon<D, T> {
  style: 'link';
  /** Resume at this next link (absolute; same origin and base path only, as every link followed). */
  startLink?: string;
}

export type PaginateOptions<D = unknown, T = unknown> =
  | PagePaginate<D, T>
  | OffsetPaginate<D, T>
  | CursorPaginate<D, T>
  | LinkPaginate<D, T>;

/** One page: its items, the parsed body and the response. `index` counts from 0. */
export interface Page<T, D = unknown> {
  items: readonly T[];
  data: D;
  response: HttpResponse;
  index: number;
}

/** What the paginator needs from the client. */
export interface PageFetcher {
  get(
    path: string,
    options: {
      params?: PathParams;
      query?: Query;
      headers?: Readonly<Record<string, string>>;
      signal?: AbortSignal;
      traceContext?: Context | undefined;
      maxResponseBytes?: number;
    },
  ): Promise<HttpResponse>;
  /** GET an absolute URL from a Link header; rejects another origin with InvalidPathError. */
  getLink(
    url: string,
    options: {
      headers?: Readonly<Record<string, string>>;
      signal?: AbortSignal;
      traceContext?: Context | undefined;
      maxResponseBytes?: number;
    },
  ): Promise<HttpResponse>;
}

/** Async iterator over the pages of a collection, for the common pagination styles (page number, offset, cursor, Link). */
export async function* paginate<D = unknown, T = unknown>(
  fetcher: PageFetcher,
  o: PaginateOptions<D, T>,
): AsyncGenerator<Page<T, D>, void, undefined> {
  const maxPages = o.maxPages ?? 1000;
  const seen = new Set<string>();
  let page = o.style === 'page' ? (o.firstPage ?? 1) : 0;
  let offset = o.style === 'offset' ? (o.firstOffset ?? 0) : 0;
  let cursor: string | undefined;
  let link: string | undefined = o.style === 'link' ? o.startLink : undefined;
  for (let index = 0; ; index++) {
    if (index >= maxPages) throw new PaginationLimitError(maxPages, o.path);
    let res: HttpResponse;
    if (link !== undefined) {
      res = await fetcher.getLink(link, {
        headers: o.headers,
        signal: o.signal,
        traceContext: o.traceContext,
        ...(o.maxResponseBytes !== undefined ? { maxResponseBytes: o.maxResponseBytes } : {}),
      });
    } else {
      const query: Record<string, Query[string]> = { ...o.query };
      if (o.style === 'page') {
        query[o.pageParam ?? 'page'] = page;
        if (o.pageSize !== undefined) query[o.pageSizeParam ?? 'page_size'] = o.pageSize;
      } else if (o.style === 'offset') {
        query[o.offsetParam ?? 'offset'] = offset;
        if (o.limit !== undefined) query[o.limitParam ?? 'limit'] = o.limit;
      } else if (o.style === 'cursor' && cursor !== undefined) {
        query[o.cursorParam ?? 'cursor'] = cursor;
      }
      res = await fetcher.get(o.path, {
        params: o.params,
        query,
        headers: o.headers,
        signal: o.signal,
        traceContext: o.traceContext,
        ...(o.maxResponseBytes !== undefined ? { maxResponseBytes: o.maxResponseBytes } : {}),
      });
    }
    const data = (o.schema ? res.json(o.schema) : res.json()) as D;
    const items = o.items ? o.items(data) : defaultItems<T>(data);
    if ((o.style === 'page' || o.style === 'offset') && items.length === 0 && index > 0) return;
    yield { items, data, response: res, index };
    if (o.style === 'page') {
      if (items.length === 0) return;
      if (o.pageSize !== undefined && items.length < o.pageSize) return;
      if (o.hasMore && !o.hasMore(data)) return;
      page++;
    } else if (o.style === 'offset') {
      if (items.length === 0) return;
      if (o.limit !== undefined && items.length < o.limit) return;
      if (o.hasMore && !o.hasMore(data)) return;
      offset += items.length;
    } else if (o.style === 'cursor') {
      const next = o.nextCursor ? o.nextCursor(data, res) : defaultCursor(data);
      if (next === null || next === undefined || next === '') return;
      if (seen.has(next)) throw new PaginationLoopError(o.path);
      seen.add(next);
      cursor = next;
    } else {
      const next = nextLink(res.headers.link);
      if (next === undefined) return;
      const key = resolveAgainst(next, link ?? res.url);
      if (seen.has(key)) throw new PaginationLoopError(o.path);
      seen.add(key);
      link = key;
    }
  }
}

/** Flattens pages into items. */
export async function* pageItems<T>(
  pages: AsyncIterable<Page<T, unknown>>,
): AsyncGenerator<T, void, undefined> {
  for await (const p of pages) yield* p.items;
}

function resolveAgainst(ref: string, base: string): string {
  return new URL(ref, base).href;
}

function defaultItems<T>(data: unknown): readonly T[] {
  if (Array.isArray(data)) return data as T[];
  if (data && typeof data === 'object') {
    const d = data as { items?: unknown; data?: unknown };
    if (Array.isArray(d.items)) return d.items as T[];
    if (Array.isArray(d.data)) return d.data as T[];
  }
  return [];
}

function defaultCursor(data: unknown): string | undefined {
  if (!data || typeof data !== 'object') return undefined;
  const d = data as { next_cursor?: unknown; nextCursor?: unknown; meta?: { next_cursor?: unknown } };
  const v = d.next_cursor ?? d.nextCursor ?? d.meta?.next_cursor;
  return typeof v === 'string' || typeof v === 'number' ? String(v) : undefined;
}
