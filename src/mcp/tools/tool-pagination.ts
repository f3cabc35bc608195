import type { Context } from '@opentelemetry/api';
import { CURSOR_ARGUMENT_SCHEMA, type ToolPaginationConfig } from '../../config/index.js';
import {
  type HttpClient,
  type HttpResponse,
  nextLink,
  type Page,
  type PaginateOptions,
  type Query,
} from '../../http/index.js';
import {
  type AnswerShaper,
  findList,
  pathKeys,
  SHAPED_RESPONSE_CEILING,
  type ShapedAnswer,
} from './answer-shape.js';
import type { PageCursors, PageState } from './page-cursor.js';

/** The mapped request of a paginated tool's first page (one GET). */
export interface PagedRequest {
  path: string;
  params: Record<string, string | number | boolean>;
  query: Query;
  headers: Readonly<Record<string, string>>;
  signal: AbortSignal;
  /** Traces: the parent of the pages' attempt spans. */
  traceContext?: Context | undefined;
}

type ParseBody = (res: HttpResponse) => unknown;

/** The `cursor` argument a cursor-mode tool publishes (one definition, shared with compact mode's catalog). */
export const CURSOR_ARGUMENT = CURSOR_ARGUMENT_SCHEMA;

function valueAt(value: unknown, keys: readonly string[]): unknown {
  let v = value;
  for (const key of keys) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

function defaultCursor(data: unknown): unknown {
  if (data === null || typeof data !== 'object') return undefined;
  const d = data as { next_cursor?: unknown; nextCursor?: unknown; meta?: { next_cursor?: unknown } };
  return d.next_cursor ?? d.nextCursor ?? d.meta?.next_cursor;
}

/**
 * A tool's pagination, compiled once: the HTTP client's `paginate()` (Link header, cursor, page
 * number, offset) run for one page plus a signed cursor (`mode: cursor`), or for up to `maxPages` pages /
 * `maxItems` items gathered into one list (`mode: gather`). Answers come out shaped (`shaper`).
 */
export class ToolPager {
  private readonly itemKeys: string[] | undefined;
  private readonly cursorKeys: string[] | undefined;

  constructor(
    private readonly config: ToolPaginationConfig,
    private readonly tool: string,
    private readonly cursors: PageCursors,
    private readonly shaper: AnswerShaper,
    /** The largest page a capped cursor tool reads (`shapedResponseLimit`). */
    private readonly shapedLimit = SHAPED_RESPONSE_CEILING,
  ) {
    this.itemKeys = config.items !== undefined ? pathKeys(config.items) : undefined;
    this.cursorKeys = config.nextCursor !== undefined ? pathKeys(config.nextCursor) : undefined;
  }

  get mode(): 'cursor' | 'gather' {
    return this.config.mode;
  }

  /** One answer; `caller` is who the cursors are issued to (empty when answers are the same for everyone). */
  async fetch(
    client: HttpClient,
    req: PagedRequest,
    cursor: string | undefined,
    caller: string,
    parse: ParseBody,
  ): Promise<ShapedAnswer> {
    const state = cursor === undefined ? {} : this.cursors.decode(this.tool, caller, cursor);
    return this.config.mode === 'gather'
      ? this.gather(client, req, parse)
      : this.onePage(client, req, state, caller, parse);
  }

  private async onePage(
    client: HttpClient,
    req: PagedRequest,
    state: PageState,
    caller: string,
    parse: ParseBody,
  ): Promise<ShapedAnswer> {
    const pages = client.paginate(this.options(req, state));
    const first = await pages.next();
    await pages.return(undefined);
    if (first.done) return this.shaper.apply(null);
    const page = first.value;
    let body = parse(page.response);
    const skip = state.s ?? 0;
    if (skip > 0) {
      const slot = findList(body, this.itemKeys);
      if (slot) body = slot.with(slot.list.slice(skip));
    }
    const { s: _, ...here } = state;
    const answer = this.shaper.apply(body, (shown) =>
      this.cursors.encode(this.tool, caller, { ...here, s: skip + shown }),
    );
    const next = answer.truncated ? undefined : this.nextState(page, state);
    if (next) answer.nextPage = this.cursors.encode(this.tool, caller, next);
    return answer;
  }

  private async gather(client: HttpClient, req: PagedRequest, parse: ParseBody): Promise<ShapedAnswer> {
    const { maxPages, maxItems } = this.config;
    const items: unknown[] = [];
    let pagesRead = 0;
    let more = false;
    for await (const page of client.paginate(this.options(req, {}))) {
      pagesRead++;
      const slot = findList(parse(page.response), this.itemKeys);
      if (slot) for (const item of slot.list) items.push(item);
      if (maxItems !== undefined && items.length >= maxItems) {
        more = items.length > maxItems || this.nextState(page, {}) !== undefined;
        break;
      }
      if (pagesRead >= maxPages) {
        more = this.nextState(page, {}) !== undefined;
        break;
      }
    }
    const gathered = maxItems !== undefined && items.length > maxItems ? items.slice(0, maxItems) : items;
    const answer = this.shaper.apply(gathered);
    if (more && !answer.truncated) {
      const byItems = maxItems !== undefined && gathered.length >= maxItems;
      answer.truncated = {
        reason: byItems ? 'maxItems' : 'maxPages',
        limit: byItems ? maxItems! : maxPages,
        shownItems: gathered.length,
      };
    }
    return answer;
  }

  private items = (data: unknown): readonly unknown[] => findList(data, this.itemKeys)?.list ?? [];

  private options(req: PagedRequest, state: PageState): PaginateOptions {
    const c = this.config;
    // One more than gather needs: the paginator's own limit must not fire before ours.
    const common = {
      path: req.path,
      params: req.params,
      headers: req.headers,
      signal: req.signal,
      traceContext: req.traceContext,
      items: this.items,
      maxPages: c.maxPages + 1,
      // One page at a time with a cap: a large page is cut like an unpaginated answer. Gathering keeps
      // the client's limit, since its pages add up in memory.
      ...(c.mode === 'cursor' && this.shaper.capped ? { maxResponseBytes: this.shapedLimit } : {}),
    };
    if (c.style === 'page')
      return {
        ...common,
        style: 'page',
        query: req.query,
        pageParam: c.pageParam,
        pageSizeParam: c.pageSizeParam,
        ...(c.pageSize !== undefined ? { pageSize: c.pageSize } : {}),
        firstPage: state.p ?? c.firstPage,
      };
    if (c.style === 'offset')
      return {
        ...common,
        style: 'offset',
        query: req.query,
        offsetParam: c.offsetParam,
        limitParam: c.limitParam,
        ...(c.pageSize !== undefined ? { limit: c.pageSize } : {}),
        firstOffset: state.o ?? 0,
      };
    if (c.style === 'cursor')
      return {
        ...common,
        style: 'cursor',
        query: state.c !== undefined ? { ...req.query, [c.cursorParam]: state.c } : req.query,
        cursorParam: c.cursorParam,
        nextCursor: (data) => this.upstreamCursor(data),
      };
    return { ...common, style: 'link', query: req.query, ...(state.l ? { startLink: state.l } : {}) };
  }

  private upstreamCursor(data: unknown): string | undefined {
    const v = this.cursorKeys ? valueAt(data, this.cursorKeys) : defaultCursor(data);
    return (typeof v === 'string' && v !== '') || typeof v === 'number' ? String(v) : undefined;
  }

  /** Where the page after `page` starts, or undefined on the last page. */
  private nextState(page: Page<unknown>, state: PageState): PageState | undefined {
    const c = this.config;
    if (c.style === 'page') {
      if (page.items.length === 0) return undefined;
      if (c.pageSize !== undefined && page.items.length < c.pageSize) return undefined;
      return { p: (state.p ?? c.firstPage) + 1 };
    }
    if (c.style === 'offset') {
      if (page.items.length === 0) return undefined;
      if (c.pageSize !== undefined && page.items.length < c.pageSize) return undefined;
      return { o: (state.o ?? 0) + page.items.length };
    }
    if (c.style === 'cursor') {
      const next = this.upstreamCursor(page.data);
      return next === undefined ? undefined : { c: next };
    }
    const link = nextLink(page.response.headers.link);
    return link === undefined ? undefined : { l: new URL(link, page.response.url).href };
  }
}
