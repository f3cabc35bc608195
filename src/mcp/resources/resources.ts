import {
  type CallToolResult,
  type jsonSchemaValidator,
  type McpServer,
  ProtocolError,
  ProtocolErrorCode,
  ResourceNotFoundError,
  ResourceTemplate,
  type ServerContext,
} from '@modelcontextprotocol/server';
import {
  checkTemplateTarget,
  type ResourceTemplateConfig,
  type TemplateTargetIndex,
} from '../../config/index.js';
import { type ConduitError, ConfigError } from '../../core/index.js';
import { ERROR_META_KEY } from '../tools/error-result.js';
import type { CallerContext } from '../transport/auth-info.js';

/** Runs a configured tool by name, through the gateway's resilient and cached path. */
export type ToolRunner = (args: Record<string, unknown>, ctx: ServerContext) => Promise<CallToolResult>;

export interface CompiledResourceTemplate {
  shape: ResourceTemplateConfig;
  run: ToolRunner;
  /** JSON Schema `type` of each input property, to turn URI strings into the types the tool expects. */
  types: Record<string, unknown>;
  /** The tool's input check (the SDK runs it for tool calls; a read bypasses the SDK's tool path). */
  check: (args: unknown) => string | undefined;
  /** The tool the template reads through (the operation's own tool for OpenAPI), for the policy. */
  viaTool: string | undefined;
}

export const HEALTH_URI = 'conduit://health';

/** What answers a template's reads: a runner and the input schema its arguments must fit. */
export interface TemplateRunner {
  run: ToolRunner;
  input?: Record<string, unknown> | undefined;
  /** The name of the tool behind the runner, which the policy falls back on. */
  tool?: string | undefined;
}

/** "tool get_item" or "operation getItem of items": how messages name what a template reads through. */
export function templateTargetLabel(shape: ResourceTemplateConfig): string {
  return shape.tool !== undefined
    ? `tool ${shape.tool}`
    : `operation ${shape.operation} of ${shape.upstream}`;
}

/**
 * Checks each template against what exists (`index`: tools and OpenAPI operations, the same check
 * `conduit validate` runs) and binds it to its runner; throws ConfigError naming the bad entry.
 */
export function compileResourceTemplates(
  templates: readonly ResourceTemplateConfig[],
  index: TemplateTargetIndex,
  runner: (shape: ResourceTemplateConfig) => TemplateRunner | undefined,
  validator: jsonSchemaValidator,
): CompiledResourceTemplate[] {
  const names = new Set<string>();
  return templates.map((shape, i) => {
    const problems = checkTemplateTarget(shape, ['resources', 'templates', i], index);
    if (problems.length > 0)
      throw new ConfigError(
        `resources.templates[${i}] (${shape.name}): ${problems.map((p) => p.message).join('; ')}`,
      );
    const tool = runner(shape);
    if (!tool)
      throw new ConfigError(
        `resources.templates[${i}] (${shape.name}): ${templateTargetLabel(shape)} cannot be run by this gateway`,
      );
    if (names.has(shape.name) || shape.name === 'health')
      throw new ConfigError(`resources.templates[${i}]: the resource name "${shape.name}" is used twice`);
    names.add(shape.name);
    const props = (tool.input?.properties ?? {}) as Record<string, { type?: unknown }>;
    const types: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(props)) types[k] = v?.type;
    const validate = validator.getValidator(
      (tool.input ?? { type: 'object' }) as Parameters<jsonSchemaValidator['getValidator']>[0],
    );
    const check = (args: unknown) => {
      const r = validate(args);
      return r.valid ? undefined : (r.errorMessage ?? 'invalid input');
    };
    return { shape, run: tool.run, types, check, viaTool: tool.tool };
  });
}

function coerce(value: string, type: unknown): unknown {
  if ((type === 'integer' || type === 'number') && value.trim() !== '' && Number.isFinite(Number(value)))
    return Number(value);
  if (type === 'boolean' && (value === 'true' || value === 'false')) return value === 'true';
  return value;
}

/**
 * A URI variable as the tool should see it: the SDK's matcher hands back the raw, still
 * percent-encoded text (`a%20b`), and the tool would encode it once more on the wire.
 */
function decodeVariable(uri: string, name: string, raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new ProtocolError(
      ProtocolErrorCode.InvalidParams,
      `${uri}: the value of {${name}} is not valid percent-encoding; encode it with encodeURIComponent`,
    );
  }
}

/** The tool error's `conduit/error` meta (code, status, retryAfterMs), when it carries one. */
function errorMetaOf(result: CallToolResult): { code?: unknown; status?: unknown } | undefined {
  const meta = result._meta?.[ERROR_META_KEY];
  return typeof meta === 'object' && meta !== null
    ? (meta as { code?: unknown; status?: unknown })
    : undefined;
}

/** The upstream's HTTP status behind a tool error, when it had one. */
function statusOf(result: CallToolResult): number | undefined {
  const status = errorMetaOf(result)?.status;
  return typeof status === 'number' ? status : undefined;
}

/** Tool error codes that say the arguments (here: the URI's values) were bad, not the gateway. */
const INPUT_ERROR_CODES = new Set(['REQUEST_VALIDATION', 'INVALID_PATH', 'ARGUMENTS_TOO_DEEP']);

/**
 * A failed read as a protocol error: invalid params when the URI's values were refused, internal
 * otherwise; either way carrying the tool's error meta, so a client matches on `data.code`
 * (QUOTA_EXCEEDED with retryAfterMs, CIRCUIT_OPEN, …) rather than on the message.
 */
function readFailure(uri: string, shape: ResourceTemplateConfig, result: CallToolResult): ProtocolError {
  const meta = errorMetaOf(result);
  const input = typeof meta?.code === 'string' && INPUT_ERROR_CODES.has(meta.code);
  return new ProtocolError(
    input ? ProtocolErrorCode.InvalidParams : ProtocolErrorCode.InternalError,
    `reading ${uri} through ${templateTargetLabel(shape)} failed: ${textOfResult(result)}`,
    meta,
  );
}

function textOfResult(result: CallToolResult): string {
  const first = result.content?.[0];
  return first && first.type === 'text' ? first.text : 'the tool returned no text';
}

/** The refusal of a read of `uri` for this request's caller (the policy), or undefined. */
export type ReadRefusal = (uri: string, ctx: CallerContext | undefined) => ConduitError | undefined;

/** Throws the policy's refusal of this read, as a protocol error carrying its code. */
function assertReadable(refuse: ReadRefusal | undefined, uri: string, ctx: ServerContext): void {
  const refused = refuse?.(uri, ctx);
  if (refused)
    throw new ProtocolError(ProtocolErrorCode.InvalidRequest, refused.message, {
      code: refused.code,
      ...('neededScopes' in refused ? { neededScopes: refused.neededScopes } : {}),
    });
}

/**
 * Registers `conduit://health` (when `health` is given) and every template on a server; with
 * `refuse` (the policy), a read the caller may not make is refused before anything runs.
 */
export function registerResources(
  server: McpServer,
  templates: readonly CompiledResourceTemplate[],
  health: (() => unknown) | undefined,
  refuse?: ReadRefusal,
  openRead?: (name: string, viaTool: string | undefined) => boolean,
): void {
  if (health)
    server.registerResource(
      'health',
      HEALTH_URI,
      {
        title: 'Gateway health',
        description: "Every upstream's circuit breaker, cache statistics and webhook counters.",
        mimeType: 'application/json',
      },
      async (uri, ctx) => {
        assertReadable(refuse, uri.href, ctx);
        return {
          contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify(health()) }],
        };
      },
    );
  for (const t of templates) {
    const { shape } = t;
    const mimeType = shape.mimeType ?? 'application/json';
    server.registerResource(
      shape.name,
      new ResourceTemplate(shape.uriTemplate, { list: undefined }),
      {
        ...(shape.title ? { title: shape.title } : {}),
        ...(shape.description ? { description: shape.description } : {}),
        mimeType,
      },
      async (uri, variables, ctx) => {
        assertReadable(refuse, uri.href, ctx);
        const args: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(variables)) {
          const raw = Array.isArray(v) ? v.join(',') : v;
          args[k] = coerce(decodeVariable(uri.href, k, raw), t.types[k]);
        }
        const invalid = t.check(args);
        if (invalid)
          throw new ProtocolError(
            ProtocolErrorCode.InvalidParams,
            `${uri.href} does not fit the input of ${templateTargetLabel(shape)}: ${invalid}`,
          );
        const result = await t.run(args, ctx);
        // An upstream failure is a read error the client can act on, with the tool's own message;
        // the upstream's 404 is the protocol's "resource not found".
        if (result.isError && statusOf(result) === 404)
          throw new ResourceNotFoundError(
            uri.href,
            `${uri.href} was not found: ${templateTargetLabel(shape)} answered 404. ${textOfResult(result)}`,
          );
        if (result.isError) throw readFailure(uri.href, shape, result);
        const value = result.structuredContent ?? textOfResult(result);
        const text = typeof value === 'string' ? value : JSON.stringify(value);
        const open = openRead?.(shape.name, t.viaTool) ?? true;
        return { contents: [{ uri: uri.href, mimeType, text }], ...cacheHintOf(result, open) };
      },
    );
  }
}

/**
 * The 2026-07-28 caching fields of a read from the tool's own cache policy (`_meta["conduit/cache"]`
 * carries `ttlMs` and `cacheScope` for a cached tool); none for an uncached tool, so the SDK's
 * conservative defaults (0, private) apply. A read the policy keeps to some callers (`open` false)
 * is private whatever the tool says.
 */
function cacheHintOf(
  result: { _meta?: Record<string, unknown> | undefined },
  open: boolean,
): {
  ttlMs?: number;
  cacheScope?: 'public' | 'private';
} {
  const meta = result._meta?.['conduit/cache'] as { ttlMs?: unknown; cacheScope?: unknown } | undefined;
  if (typeof meta?.ttlMs !== 'number' || (meta.cacheScope !== 'public' && meta.cacheScope !== 'private'))
    return {};
  return { ttlMs: meta.ttlMs, cacheScope: open ? meta.cacheScope : 'private' };
}
