import { type CacheKeyTool, cacheKeyCollisions, cacheKeyProblems } from './cache-keys.js';

/**
 * Request names no tool argument may ever write: the headers that frame an HTTP request (an argument
 * there could smuggle a second request or point the request at another host) and the upstream's
 * credentials (an argument there could replace or remove the gateway's key). One definition for
 * `conduit validate`, the OpenAPI expansion and the gateway's per-call mapping.
 */

/** Framing and hop-by-hop headers: set by the HTTP client, never by an argument. Lower case. */
export const FRAMING_HEADERS: readonly string[] = [
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'proxy-connection',
  'upgrade',
  'te',
  'trailer',
];

/** The reserved names of one upstream, lower case (query names too: some servers ignore their case). */
export interface ReservedRequestNames {
  /** Header name → why it is reserved. */
  readonly headers: ReadonlyMap<string, string>;
  /** Query parameter name → why it is reserved. */
  readonly query: ReadonlyMap<string, string>;
}

/** The parts of an upstream the reserved names come from (raw or validated config alike). */
export interface UpstreamCredentialsShape {
  auth?: { type?: unknown; name?: unknown } | undefined;
  headers?: Readonly<Record<string, unknown>> | undefined;
}

const FRAMING_REASON = "would set the request's framing, which only the HTTP client writes";
const AUTH_REASON = "would replace or remove the upstream's credential (upstreams.<name>.auth)";
const HEADERS_REASON =
  'would replace a header the config sets for the upstream (upstreams.<name>.headers), a credential or part of one';

/** Auth types that send the `Authorization` header. */
const AUTHORIZATION_AUTH = new Set(['bearer', 'basic', 'oauth2', 'token-exchange', 'forward']);

/** The header and query names an argument of a tool of `upstream` may not write. */
export function reservedRequestNames(upstream: UpstreamCredentialsShape | undefined): ReservedRequestNames {
  const headers = new Map<string, string>(FRAMING_HEADERS.map((h) => [h, FRAMING_REASON]));
  const query = new Map<string, string>();
  const configured = upstream?.headers;
  if (configured !== null && typeof configured === 'object')
    for (const name of Object.keys(configured)) headers.set(name.toLowerCase(), HEADERS_REASON);
  const auth = upstream?.auth;
  if (auth !== null && typeof auth === 'object') {
    if (typeof auth.type === 'string' && AUTHORIZATION_AUTH.has(auth.type))
      headers.set('authorization', AUTH_REASON);
    else if (auth.type === 'header' && typeof auth.name === 'string')
      headers.set(auth.name.toLowerCase(), AUTH_REASON);
    else if (auth.type === 'query' && typeof auth.name === 'string')
      query.set(auth.name.toLowerCase(), AUTH_REASON);
  }
  return { headers, query };
}

/**
 * Why an argument `name` sent to `location` is refused (a sentence naming it), or undefined when it
 * may go there. Names are compared without case.
 */
export function reservedArgumentProblem(
  name: string,
  location: string,
  reserved: ReservedRequestNames,
): string | undefined {
  if (location !== 'header' && location !== 'query') return undefined;
  const names = location === 'header' ? reserved.headers : reserved.query;
  if (names.size === 0) return undefined;
  const why = names.get(name.toLowerCase());
  if (why === undefined) return undefined;
  const credential = why !== FRAMING_REASON;
  return `${location} parameter "${name}" ${why}${credential ? ': an argument can never set a credential' : ''}`;
}

/** The parts of an expanded config (OpenAPI tools appended, `openapiSets` filled) the check reads. */
export interface ExpandedRequestShape {
  tools?: readonly CacheKeyTool[];
  upstreams: Readonly<Record<string, UpstreamCredentialsShape & { openapi?: unknown }>>;
  openapiSets?:
    | Readonly<
        Record<
          string,
          {
            catalog: {
              operations: readonly {
                operationId: string;
                tool: CacheKeyTool & { params?: Readonly<Record<string, string>> | undefined };
              }[];
            };
          }
        >
      >
    | undefined;
}

/**
 * Operations of OpenAPI documents (tools or compact mode) whose parameters would write a framing
 * header or a credential, whose cache key leaves out an argument, or whose key could equal another
 * tool's: one problem each, at `upstreams.<name>.openapi`. Hand-written tools are checked with the
 * rest of the config.
 */
export function generatedRequestProblems(
  config: ExpandedRequestShape,
): { path: (string | number)[]; message: string }[] {
  const problems: { path: (string | number)[]; message: string }[] = [];
  const check = (upstream: string, label: string, params: Readonly<Record<string, string>> | undefined) => {
    const reserved = reservedRequestNames(config.upstreams[upstream]);
    for (const [name, location] of Object.entries(params ?? {})) {
      const problem = reservedArgumentProblem(name, location, reserved);
      if (problem)
        problems.push({
          path: ['upstreams', upstream, 'openapi'],
          message: `${label}: ${problem}; leave it out with openapi.overrides.<operationId>.ignoreParameters`,
        });
    }
  };
  // The catalog holds every selected operation, in tools mode as in compact mode.
  const all: { tool: CacheKeyTool; where: (string | number)[]; label: string }[] = [];
  for (const [upstream, set] of Object.entries(config.openapiSets ?? {}))
    for (const op of set.catalog.operations) {
      check(upstream, `operation ${op.operationId}`, op.tool.params);
      const where = ['upstreams', upstream, 'openapi'];
      for (const message of cacheKeyProblems(op.tool))
        problems.push({ path: where, message: `operation ${op.operationId}: ${message}` });
      all.push({ tool: op.tool, where, label: `operation ${op.operationId}` });
    }
  if (all.length === 0) return problems;
  // Generated tools against each other and against the hand-written ones (those are checked already).
  const generated = new Set(all.map((a) => a.tool.name));
  const written = (config.tools ?? []).filter((t) => !generated.has(t.name));
  const everyTool = [
    ...written.map((tool) => ({ tool, where: [] as (string | number)[], label: '' })),
    ...all,
  ];
  for (const c of cacheKeyCollisions(everyTool.map((e) => e.tool))) {
    const second = everyTool[c.second]!;
    if (second.label === '') continue;
    problems.push({ path: second.where, message: `${second.label}: ${c.message}` });
  }
  return problems;
}
