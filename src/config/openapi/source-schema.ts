// Imports stay off ../schema.js: schema.ts imports this file, and a cycle would break module start-up.
import { z } from 'zod';
import { strictObject } from '../strict-object.js';
import { count, duration, flag, size } from '../units.js';
import { toolFeatureShape } from '../tool-features-schema.js';

const nonEmpty = (what: string) =>
  z.string({ error: `expected ${what}` }).min(1, { error: `expected ${what}` });

// No /i flag: JSON Schema patterns carry no flags, and editors read the generated schema.
const METHOD = /^(get|put|post|delete|patch|head|GET|PUT|POST|DELETE|PATCH|HEAD)$/;

/** Which operations a selector matches: any listed operation id, tag, path glob or method. */
const selectorSchema = strictObject({
  operationIds: z.array(nonEmpty('an operationId')).default([]),
  tags: z.array(nonEmpty('a tag')).default([]),
  /** Globs over the document's paths; `*` matches any characters, e.g. `/items*`. */
  paths: z.array(z.string().regex(/^\//, { error: 'expected a path (glob) starting with "/"' })).default([]),
  methods: z
    .array(
      z
        .string()
        .regex(METHOD, { error: 'expected one of GET, PUT, POST, DELETE, PATCH, HEAD' })
        .transform((m) => m.toUpperCase()),
    )
    .default([]),
});

const cachePolicyOverride = strictObject({
  ttl: duration().optional(),
  key: nonEmpty('a key template').optional(),
  tags: z.array(nonEmpty('a tag')).optional(),
  staleWhileRevalidate: duration().optional(),
  staleIfError: duration().optional(),
});

const overrideSchema = strictObject({
  name: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,128}$/, {
      error: 'expected a tool name of 1 to 128 letters, digits, "_", "." or "-"',
    })
    .optional(),
  title: z.string().optional(),
  description: z.string().optional(),
  /** Merged over the generated policy (GET: ttl from `cache.ttl`, tags from the path); `false` turns caching off. */
  cache: z
    .union([z.literal(false), cachePolicyOverride], { error: 'expected a cache policy or false' })
    .optional(),
  /** Replaces the generated invalidation; `false` turns it off. */
  invalidates: z
    .union(
      [
        z.literal(false),
        strictObject({
          tags: z.array(nonEmpty('a tag template')).default([]),
          keys: z.array(nonEmpty('a key template')).default([]),
        }),
      ],
      { error: 'expected { tags, keys } or false' },
    )
    .optional(),
  timeout: duration().optional(),
  /** Forward body fields the operation does not list, where the document allows them. Default false. */
  allowUnlistedArguments: flag().optional(),
  /** Declare this operation's output schema (default: `openapi.outputSchemas`). */
  outputSchema: flag().optional(),
  /** Query or header parameters to leave out of the tool (e.g. one with an unsupported style). */
  ignoreParameters: z.array(nonEmpty('a parameter name')).default([]),
  ...toolFeatureShape,
});

/**
 * An upstream's `openapi` section: the document, which of its operations become tools, and how.
 *
 * ```yaml
 * openapi:
 *   document: ./assignments.openapi.yaml   # relative to the config file
 *   include: { tags: [assignments] }       # default: every operation
 *   exclude: { operationIds: [deleteAssignment] }
 *   mode: tools                            # or compact: two tools, search + invoke
 *   cache: { ttl: 60s }                    # GET operations; false: no caching by default
 *   overrides:
 *     getAssignment: { cache: { ttl: 5m }, timeout: 3s }
 * ```
 */
export const openapiSourceSchema = strictObject({
  /** Path of a local OpenAPI 3.0/3.1 document, YAML or JSON. */
  document: nonEmpty('the path of an OpenAPI document').refine((d) => !/^[a-z][a-z0-9+.-]*:\/\//i.test(d), {
    // Read as a path it would only be "does not exist"; the gateway fetches no document.
    error:
      'expected the path of a local OpenAPI document, not a URL: documents are not fetched; download it (with the files its $refs name) and give its path, or run conduit init --openapi <URL>, which saves a copy',
  }),
  include: selectorSchema.optional(),
  exclude: selectorSchema.optional(),
  /** `tools`: one tool per operation. `compact`: `<upstream>_search_operations` and `<upstream>_invoke_operation`. */
  mode: z.enum(['tools', 'compact'], { error: 'expected tools or compact' }).default('tools'),
  /** Prepended to every tool name, e.g. `github_`. */
  toolPrefix: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{0,64}$/, { error: 'expected up to 64 letters, digits, "_", "." or "-"' })
    .default(''),
  /** Name operations without an operationId from method and path (`get_items_by_id`) instead of failing. */
  generateNames: flag().default(false),
  /** Cache policy of GET operations; `false`: GET operations are not cached unless overridden. */
  cache: z
    .union(
      [
        z.literal(false),
        strictObject({
          ttl: duration().default(60_000),
          staleWhileRevalidate: duration().optional(),
          staleIfError: duration().optional(),
        }),
      ],
      { error: 'expected { ttl, staleWhileRevalidate, staleIfError } or false' },
    )
    .default({ ttl: 60_000 }),
  /**
   * Declare each tool's output schema from its 2xx JSON response. Off by default: clients (and the
   * SDK) check answers against a declared schema and fail the call when a real upstream drifts from
   * its document, which real upstreams do; the answer is returned as structured content either way.
   */
  outputSchemas: flag().default(false),
  /**
   * Publish each operation's `summary` as its tool's `title` (shown by clients' UIs) when it has a
   * `description` too. Off by default: the description says at length what the summary says, the
   * tool's name says it briefly, and on GitHub's document the titles are 58 KB of `tools/list`. An
   * operation with only a summary has it as its description either way.
   */
  titles: flag().default(false),
  /**
   * Leave out the operations Conduit cannot serve (each listed with its reason by `conduit validate`
   * and logged as a warning at start) instead of refusing the config. Off by default: every such
   * operation is a problem `validate` lists, to exclude or fix.
   */
  skipUnsupported: flag().default(false),
  /** Mutations (POST, PUT, PATCH, DELETE) invalidate the cache tags their path touches. */
  invalidateOnMutation: flag().default(true),
  /**
   * Directories besides the document's own that its `$ref`s may read (relative to the config file).
   * Nothing else is read: no `../` out, no absolute paths, no symbolic links that lead out.
   */
  refRoots: z.array(nonEmpty('a directory')).default([]),
  /** Bounds of loading the document and building its tools; defaults in docs/openapi.md. */
  limits: strictObject({
    /** Largest single file of the document (root or `$ref`ed). Default 32MiB. */
    maxFileBytes: size().optional(),
    /** Most bytes over all files of the document. Default 48MiB. */
    maxTotalBytes: size().optional(),
    /** Most schema nodes inlined over all operations. Default 1000000. */
    maxInlinedNodes: count({ min: 1 }).optional(),
    /** Longest the load and build may take. Default 30s. */
    maxLoadTime: duration().optional(),
  }).optional(),
  /** Per operation (by operationId, or generated name): tool name, description, cache, timeout, … */
  overrides: z.record(z.string(), overrideSchema).default({}),
});

/** The `openapi` section as a user writes it. */
export type OpenApiSourceInput = z.input<typeof openapiSourceSchema>;
/** The validated `openapi` section: defaults filled in, durations in ms. */
export type OpenApiSource = z.output<typeof openapiSourceSchema>;
export type OpenApiOverride = z.output<typeof overrideSchema>;
export type OpenApiSelector = z.output<typeof selectorSchema>;

/**
 * The override of operation `id`, if the section has one. Own keys only: an operationId such as
 * `constructor` or `toString` would otherwise find Object.prototype's members and take their names.
 */
export function overrideOf(source: OpenApiSource, id: string): OpenApiOverride | undefined {
  return Object.hasOwn(source.overrides, id) ? source.overrides[id] : undefined;
}
