import type { z } from 'zod';
import type { HttpClient, RequestOptions } from './client.js';
import { type Output, type Schema, validate, validateInput } from './json.js';
import type { CursorPaginate, LinkPaginate, PagePaginate } from './pagination.js';
import type { Query } from './query.js';

type ListStyle =
  | Omit<PagePaginate<unknown, unknown>, 'path' | 'schema' | 'items' | 'query' | 'params'>
  | Omit<CursorPaginate<unknown, unknown>, 'path' | 'schema' | 'items' | 'query' | 'params'>
  | Omit<LinkPaginate<unknown, unknown>, 'path' | 'schema' | 'items' | 'query' | 'params'>;

/** How a REST collection looks: where it lives, what an item is, how listing pages. */
export interface ResourceDefinition<S extends Schema, C, U> {
  /** Collection path, e.g. `/users` (may hold `{param}` holes filled from `params`). */
  path: string;
  /** Item path; default `${path}/{id}`. */
  itemPath?: string;
  /** Schema of one item: every item the client returns is validated against it. */
  schema: S;
  /** Validates create input before it is sent. */
  createSchema?: z.ZodType<C>;
  /** Validates update input before it is sent. */
  updateSchema?: z.ZodType<U>;
  /** PATCH (default) or PUT for `update`. */
  updateMethod?: 'PATCH' | 'PUT';
  /** Pagination of `list`; default `{ style: 'page' }`. */
  list?: ListStyle & { items?: (data: unknown) => readonly unknown[] };
  /** Parameters for holes in `path` (e.g. a parent id). */
  params?: Readonly<Record<string, string | number>>;
}

/** A typed client for one REST collection. */
export interface ResourceClient<T, C, U> {
  get(id: string | number, options?: RequestOptions): Promise<T>;
  /** Every item of the collection, page by page, each validated. */
  list(
    query?: Query,
    options?: { signal?: AbortSignal; maxPages?: number },
  ): AsyncGenerator<T, void, undefined>;
  create(input: C, options?: RequestOptions): Promise<T>;
  update(id: string | number, input: U, options?: RequestOptions): Promise<T>;
  delete(id: string | number, options?: RequestOptions): Promise<void>;
}

/**
 * Declares a typed resource client (get by id, paginated list, create, update, delete) on top of an
 * `HttpClient`. Item bodies are validated against `schema`; inputs against `createSchema`/`updateSchema`.
 */
export function defineResource<S extends Schema, C = Partial<Output<S>>, U = Partial<Output<S>>>(
  client: HttpClient,
  def: ResourceDefinition<S, C, U>,
): ResourceClient<Output<S>, C, U> {
  const itemPath = def.itemPath ?? `${def.path.replace(/\/+$/, '')}/{id}`;
  const updateMethod = def.updateMethod ?? 'PATCH';
  const list = def.list ?? { style: 'page' as const };
  const withId = (id: string | number) => ({ ...def.params, id });
  const check = <V>(schema: z.ZodType<V> | undefined, input: V, what: string): V =>
    schema ? (validateInput(schema, input, `${what} for ${def.path}`) as V) : input;

  return {
    async get(id, options) {
      const res = await client.get(itemPath, { ...options, params: withId(id) });
      return res.json(def.schema);
    },
    async *list(query, options) {
      const { items, ...style } = list;
      const pages = client.paginate({
        ...style,
        path: def.path,
        params: def.params,
        query,
        signal: options?.signal,
        maxPages: options?.maxPages ?? style.maxPages,
        ...(items ? { items } : {}),
      } as Parameters<HttpClient['paginate']>[0]);
      for await (const page of pages) {
        for (const item of page.items) yield validate(def.schema, item, 'GET', page.response.url);
      }
    },
    async create(input, options) {
      const res = await client.post(def.path, {
        ...options,
        params: def.params,
        json: check(def.createSchema, input, 'create input'),
      });
      return res.json(def.schema);
    },
    async update(id, input, options) {
      const res = await client.request({
        ...options,
        method: updateMethod,
        path: itemPath,
        params: withId(id),
        json: check(def.updateSchema, input, 'update input'),
      });
      return res.json(def.schema);
    },
    async delete(id, options) {
      await client.delete(itemPath, { ...options, params: withId(id) });
    },
  };
}
