import { type McpServer, type ServerContext, UriTemplate } from '@modelcontextprotocol/server';
import type { ConduitError } from '../../core/index.js';
import { filterListed } from '../tools/list-filter.js';
import type { CallerContext } from '../transport/auth-info.js';
import { HEALTH_URI, type ReadRefusal } from './resources.js';

/**
 * The policy as reads need it: the refusal of resource `name` (reading through tool `viaTool`, when
 * it does) for this request's caller, or undefined when allowed.
 */
export type ReadGuard = (
  ctx: CallerContext | undefined,
  name: string,
  viaTool: string | undefined,
) => ConduitError | undefined;

/** A served resource as the read policy sees it: its name, the tool behind it, its URIs. */
export interface GuardedResource {
  name: string;
  viaTool: string | undefined;
  matches(uri: string): boolean;
}

/** The resource of each template (`uriTemplate` and the tool it reads through). */
export function guardedTemplate(
  name: string,
  uriTemplate: string,
  viaTool: string | undefined,
): GuardedResource {
  const template = new UriTemplate(uriTemplate);
  return { name, viaTool, matches: (uri) => template.match(uri) !== null };
}

/**
 * The refusal of a URI for this caller: decided as the resource it belongs to (`conduit://health`,
 * or the first template matching it); a URI no resource matches (one a webhook publishes) is
 * decided as a resource named by the URI itself.
 */
export function uriRefusal(resources: readonly GuardedResource[], guard: ReadGuard): ReadRefusal {
  return (uri, ctx) => {
    if (uri === HEALTH_URI) return guard(ctx, 'health', undefined);
    const r = resources.find((x) => x.matches(uri));
    return r ? guard(ctx, r.name, r.viaTool) : guard(ctx, uri, undefined);
  };
}

/**
 * `resources/list` and `resources/templates/list` show a caller only what it may read (the SDK's own
 * listings, filtered per request; see `filterListed`).
 */
export function hideDeniedResources(
  server: McpServer,
  byName: ReadonlyMap<string, GuardedResource>,
  guard: ReadGuard,
): void {
  const visible = (entry: { name: string }, ctx: ServerContext) =>
    guard(ctx, entry.name, byName.get(entry.name)?.viaTool) === undefined;
  filterListed(server, 'resources/list', 'resources', visible);
  filterListed(server, 'resources/templates/list', 'resourceTemplates', visible);
}
