// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the auth hints show ${ENV_VAR} references on purpose
import { stat } from 'node:fs/promises';
import { basename, dirname, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { Document, isCollection, isMap, isPair, isScalar, visit } from 'yaml';
import { ConfigError } from '../core/index.js';
import {
  DEFAULT_DOCUMENT_LIMITS,
  loadOpenApiDocument,
  type OpenApiDocument,
  OpenApiError,
  openApiTools,
  parseConfig,
  type ToolConfig,
  writtenParams,
} from '../config/index.js';
import { ExitCode } from './exit-codes.js';
import type { CliIo } from './io.js';
import { usageErrors } from './options.js';
import { packageRef, shippedFile } from './package-refs.js';
import { remoteRefsHint, withFetchedDocument } from './init-fetch.js';
import { writeInitFile } from './init-write.js';
import { starterConfig } from './starter-config.js';
import { UsageError } from './usage-error.js';

/** Help text for `conduit init` (the lead adds it to help.ts's HELP map). */
export const INIT_HELP = `conduit init — write a starter config, from an OpenAPI document or commented

Usage:
  conduit init [--out conduit.yaml] [--force]
  conduit init --openapi <spec.yaml|json|URL> [--out conduit.yaml] [--upstream name] [--base-url URL] [--force]

Without --openapi: a commented config (one upstream, a cached GET tool and a PATCH tool that
invalidates it) that validates and serves as written; edit its baseUrl and tools.

Options:
      --openapi <file|URL> OpenAPI 3.0/3.1 document, YAML or JSON: a local file, or an http(s) URL,
                          fetched (at most 32 MiB, redirects on the same origin only) and saved next to --out
  -o, --out <file>        Config to write (default: conduit.yaml); never overwritten without --force
      --upstream <name>   Upstream name (default: from the document's title)
      --base-url <url>    Upstream base URL (default: the document's first server URL)
      --force             Overwrite --out if it exists
  -h, --help              Show this help

Every operation becomes a tool. GET operations are cached (60s, key from the operation and its
arguments, tags from the resource path); mutations invalidate the tags their path touches
(PATCH /items/{id} invalidates "items" and "item:{id}"). Array or string bodies, explode: false
query arrays and JSON-content parameters are written as params object forms. Operations Conduit
cannot serve (cookie parameters, non-JSON bodies, …) are skipped and listed on stderr with the
reason; what was changed to serve one (a pattern JavaScript cannot compile dropped) is listed
too. When the tools would be too large for a config file, the config serves the document in
compact mode instead (an openapi section: two tools, search and invoke). When no operation can be
served, nothing is written and init exits 1. Check the result with conduit validate --config <file>.

Example:
  conduit init --openapi ${shippedFile('examples/openapi/assignments.openapi.yaml')} --out conduit.yaml
`;

/**
 * Why a fetched document's `$ref`s to other files are refused: they would resolve next to the saved
 * copy, on this machine, and what they read would be inlined into the config (and read again by
 * every serve of it). A remote document never reads local files.
 */
const FETCHED_FILE_REFS =
  'a document fetched from a URL may not read local files: bundle it into one file (e.g. npx @redocly/cli bundle), ' +
  'or download it with the files it refers to and pass --openapi <local path>';

const UPSTREAM_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/**
 * The most tool text (as JSON) a starter config may hold. Each tool carries its schemas with every
 * `$ref` inlined, so a large API multiplies shared schemas into hundreds of megabytes of YAML that
 * take minutes and gigabytes to write and check (400 operations of 5 000 nodes ran out of memory).
 * Past this, serving the document directly (an `openapi` section) is the way: nothing is copied.
 */
export const MAX_STARTER_TOOLS_CHARS = 4_000_000;

const INIT_OPTIONS = {
  openapi: { type: 'string' },
  out: { type: 'string', short: 'o', default: 'conduit.yaml' },
  upstream: { type: 'string' },
  'base-url': { type: 'string' },
  force: { type: 'boolean', default: false },
} as const;

/**
 * `conduit init --openapi spec.yaml`: writes a starter config (one upstream, its operations as tools)
 * that `parseConfig` accepts. Returns the exit code; throws `UsageError` for a bad command line and
 * `ConfigError` (incl. `OpenApiError`) for a document it cannot use, like the other commands.
 */
export async function runInit(argv: readonly string[], io: CliIo): Promise<number> {
  const { values } = usageErrors(
    'init',
    () =>
      parseArgs({
        args: [...argv],
        strict: true,
        allowPositionals: false,
        options: INIT_OPTIONS,
      }),
    Object.keys(INIT_OPTIONS),
    'openapi',
  );
  if (!values.openapi) return writeStarter(values.out, values.force, io);
  if (values.upstream !== undefined && !UPSTREAM_NAME.test(values.upstream))
    throw new UsageError('--upstream must be 1 to 64 letters, digits, "_", "." or "-"', 'init');
  const options = { ...values, openapi: values.openapi };
  return isHttpUrl(values.openapi)
    ? withFetchedDocument(values.openapi, values.out, values.force, (file) =>
        initFrom(file, { ...options, fetchedFrom: values.openapi }, io),
      )
    : initFrom(values.openapi, options, io);
}

/** The options of `conduit init --openapi` that shape the config written from a document. */
interface InitOptions {
  openapi: string;
  out: string;
  upstream?: string | undefined;
  'base-url'?: string | undefined;
  force: boolean;
  /** The URL the document at `specPath` was fetched from, if it was. */
  fetchedFrom?: string;
}

/** What to pass for a server URL that is a path (`/v1`: the host is missing, the path is not). */
function baseUrlHint(relative: string): string {
  const path = relative.startsWith('/') ? relative.replace(/\/+$/, '') : '';
  return path
    ? `pass --base-url with the API host before it, e.g. https://api.example.com${path}`
    : 'pass --base-url https://api.example.com';
}

/** Writes the starter config for the document at `specPath` (a local file, or the saved copy of `--openapi <URL>`). */
async function initFrom(specPath: string, values: InitOptions, io: CliIo): Promise<number> {
  const out = values.out;
  await assertReadableDocument(specPath, out, values.upstream);
  const document = await loadOpenApiDocument(
    specPath,
    values.fetchedFrom === undefined ? {} : { refuseFileRefs: FETCHED_FILE_REFS },
  );
  const upstream = values.upstream ?? upstreamName(document);
  const baseUrl = values['base-url'] ?? serverUrl(document);
  if (!isHttpUrl(baseUrl))
    throw new UsageError(
      baseUrl === undefined
        ? 'the document lists no absolute server URL; pass --base-url https://api.example.com'
        : `base URL "${baseUrl}" is not an absolute http(s) URL; ${baseUrlHint(baseUrl)}`,
      'init',
    );

  const skipped: OpenApiError[] = [];
  const set = openApiTools(upstream, { document: specPath, generateNames: true }, document, {
    onSkip: (err) => skipped.push(err),
  });
  // Whole bodies, comma-separated query arrays and JSON-text parameters are written as `params` object forms.
  const tools: Record<string, unknown>[] = set.catalog.operations.map((op) => starterTool(op.tool));
  for (const err of skipped) io.stderr(`conduit init: skipped ${err.message}\n`);
  const remote = values.fetchedFrom === undefined ? undefined : remoteRefsHint(values.fetchedFrom, skipped);
  if (remote !== undefined) io.stderr(`conduit init: ${remote}\n`);
  // What was changed to serve an operation (a pattern dropped, a hint ignored) is said, not written silently.
  for (const w of set.warnings) io.stderr(`conduit init: adjusted operation ${w.operation}: ${w.message}\n`);
  if (tools.length === 0)
    throw new OpenApiError(
      skipped[0]?.code ?? 'OPENAPI_DOCUMENT_INVALID',
      skipped.length === 0
        ? 'the document has no operations (its paths are empty); nothing written'
        : `none of the document's ${skipped.length} operations can be served (reasons above); nothing written`,
    );
  // Too much schema for a config file: serve the document itself, in compact mode (nothing copied).
  const compact = jsonLength(tools, MAX_STARTER_TOOLS_CHARS) > MAX_STARTER_TOOLS_CHARS;
  if (compact)
    io.stderr(
      `conduit init: the ${tools.length} operations' schemas come to more than ${MAX_STARTER_TOOLS_CHARS / 1_000_000} MB once ` +
        'their $refs are inlined, too much for a config file; writing an openapi section in compact mode instead\n',
    );
  // Form and multipart bodies and deepObject queries have no `params` form: a tools entry would send
  // them as JSON. The document itself, in tools mode, serves them right.
  const unwritable = compact ? 0 : set.catalog.operations.filter((op) => !writableWire(op.tool)).length;
  if (unwritable > 0)
    io.stderr(
      `conduit init: ${unwritable} operation${unwritable === 1 ? ' sends' : 's send'} form-encoded or multipart bodies or ` +
        'deepObject queries, which a tools entry cannot describe; writing an openapi section in tools mode instead\n',
    );
  const documentRef = relativeTo(out, specPath);
  const config =
    compact || unwritable > 0
      ? {
          upstreams: {
            [upstream]: {
              baseUrl: escapeInterpolation(baseUrl),
              openapi: {
                document: escapeInterpolation(documentRef),
                mode: compact ? 'compact' : 'tools',
                generateNames: true,
                skipUnsupported: true,
              },
            },
          },
        }
      : {
          upstreams: { [upstream]: { baseUrl: escapeInterpolation(baseUrl) } },
          tools: escapeInterpolation(tools),
        };
  const text = header(document, values.openapi, out) + toYaml(config);
  try {
    parseConfig(text, { env: {}, sourceName: out });
  } catch (err) {
    throw new ConfigError(
      `conduit init produced a config that does not validate (a bug, please report it): ${(err as Error).message}`,
      { cause: err },
    );
  }
  await writeInitFile(out, text, values.force);
  const cached = tools.filter((t) => t.cache !== undefined).length;
  const invalidating = tools.filter((t) => t.invalidates !== undefined).length;
  const skippedCount = set.catalog.operations.length - tools.length + skipped.length;
  io.stdout(
    `wrote ${out}: upstream "${upstream}" (${baseUrl}), ` +
      (compact
        ? `compact mode: 2 tools serving ${tools.length} operations (${cached} cached, ${invalidating} invalidating)`
        : unwritable > 0
          ? `an openapi section serving ${tools.length} tool${tools.length === 1 ? '' : 's'} (${cached} cached, ${invalidating} invalidating)`
          : `${tools.length} tool${tools.length === 1 ? '' : 's'} (${cached} cached, ${invalidating} invalidating)`) +
      (skippedCount > 0
        ? `, ${skippedCount} operation${skippedCount === 1 ? '' : 's'} skipped (see above)`
        : '') +
      `\nnext: npx conduit validate --config ${out}\n`,
  );
  return ExitCode.OK;
}

/**
 * What the loader would say in a config's terms (`openapi.document`, `openapi.limits`), said in
 * init's: a missing file names `--openapi`; past `maxFileBytes`, which init has no option to raise,
 * the `openapi` section that serves the document anyway (written by hand, its limits raised).
 */
async function assertReadableDocument(
  specPath: string,
  out: string,
  upstream: string | undefined,
): Promise<void> {
  const max = DEFAULT_DOCUMENT_LIMITS.maxFileBytes;
  const size = await stat(specPath).then(
    (st) => (st.isFile() ? st.size : 0),
    (err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') return 0; // the loader says what else is wrong with the path
      throw new OpenApiError(
        'OPENAPI_DOCUMENT_INVALID',
        `OpenAPI document ${oneLine(specPath)} does not exist; --openapi takes a file (relative to the current directory) or an http(s) URL`,
        { cause: err },
      );
    },
  );
  if (size <= max) return;
  const MiB = 1024 * 1024;
  const limit = `${Math.ceil(size / MiB / 16) * 16}MiB`;
  throw new OpenApiError(
    'OPENAPI_BUDGET_EXCEEDED',
    `${specPath} is larger than ${max / MiB} MiB, the most conduit init reads. Serve it from an openapi ` +
      `section written by hand instead (${shippedFile('docs/openapi.md')}), e.g.\n  upstreams:\n    ${upstream ?? 'api'}:\n` +
      '      baseUrl: https://api.example.com\n' +
      `      openapi: { document: ${JSON.stringify(relativeTo(out, specPath))}, mode: compact, generateNames: true, skipUnsupported: true, limits: { maxFileBytes: ${limit}, maxTotalBytes: ${limit} } }`,
  );
}

/** True when `params` can hold how the tool's arguments go on the wire (see `writtenParams`). */
function writableWire(tool: ToolConfig): boolean {
  return tool.wire?.bodyEncoding === undefined && (tool.wire?.deepObjectQuery?.length ?? 0) === 0;
}

/** The tool as a user would write it: `ttl: 60s`, a key from the operation and its arguments, only non-default `params`. */
function starterTool(tool: ToolConfig): Record<string, unknown> {
  const names = Object.keys(tool.input.properties ?? {});
  // Only non-default locations; whole bodies, explode: false arrays and JSON text in their object forms.
  const params = writtenParams(tool, true);
  const out: Record<string, unknown> = {
    name: tool.name,
    ...(tool.title !== undefined ? { title: tool.title } : {}),
    ...(tool.description !== undefined ? { description: tool.description } : {}),
    upstream: tool.upstream,
    method: tool.method,
    path: tool.path,
    input: tool.input,
    ...(Object.keys(params).length > 0 ? { params } : {}),
    // The document's x-mcp-annotations hints, as its title: the written tool is served as it says.
    ...(tool.annotations !== undefined ? { annotations: tool.annotations } : {}),
    ...(tool.output !== undefined ? { output: tool.output } : {}),
  };
  if (tool.cache) {
    const key = [tool.name, ...names.filter((n) => !/[.{}]/.test(n)).map((n) => `{${n}}`)].join(':');
    out.cache = { ttl: `${Math.round(tool.cache.ttl / 1000)}s`, key, tags: tool.cache.tags };
  }
  if (tool.invalidates) out.invalidates = { tags: tool.invalidates.tags };
  return out;
}

/** Block YAML, with small mappings and lists on one line (`{ type: integer, minimum: 1 }`). */
function toYaml(config: unknown): string {
  const doc = new Document(config, { aliasDuplicateObjects: false });
  // Only inside tools: upstreams stay in block style, where a user adds auth, retry, breaker.
  const tools = doc.get('tools', true);
  visit(isCollection(tools) ? tools : new Document([]), (_key, node, path) => {
    if (path.length > 2 && isCollection(node) && jsonLength(node, 72) <= 72) node.flow = true;
  });
  return doc.toString({ lineWidth: 0 });
}

/**
 * The length of `JSON.stringify(value)` (a plain value or a YAML node, as its `toJSON()`), counted
 * only up to `limit`: past it, some number above `limit`. Bounded, so checking every node of a deep
 * schema costs no more than the schema's size (stringifying each subtree in full was quadratic).
 */
function jsonLength(value: unknown, limit: number): number {
  let total = 0;
  const add = (v: unknown): boolean => {
    if (total > limit) return false;
    if (isScalar(v)) return add(v.value);
    if (isPair(v)) {
      total += 1; // ':'
      return add(isScalar(v.key) ? String(v.key.value) : String(v.key)) && add(v.value);
    }
    if (isCollection(v)) {
      total += 2 + Math.max(0, v.items.length - 1);
      if (isMap(v)) return v.items.every(add);
      return v.items.every((item) => add(item ?? null));
    }
    if (Array.isArray(v)) {
      total += 2 + Math.max(0, v.length - 1);
      return v.every((item) => add(item === undefined ? null : item));
    }
    if (v !== null && typeof v === 'object') {
      const entries = Object.entries(v).filter(([, x]) => x !== undefined);
      total += 2 + Math.max(0, entries.length - 1);
      return entries.every(([k, x]) => {
        total += JSON.stringify(k).length + 1;
        return add(x);
      });
    }
    total += (JSON.stringify(v) ?? 'null').length;
    return total <= limit;
  };
  add(value);
  return total;
}

/** Title words that say what kind of document it is, not which API: left out of the upstream's name. */
const GENERIC_TITLE_WORDS = /\b(the|an?|api|apis|rest|openapi|spec|specification|official|definition)\b/g;

/**
 * The upstream's name from the document's title: its first part (before ` - `, `:`, `+`, `(`, `|`),
 * possessives and generic words dropped ("GitHub's official OpenAPI spec + Octokit extension" is
 * `github`, "Swagger Petstore - OpenAPI 3.0" `swagger-petstore`); `api` when nothing is left.
 */
function upstreamName(document: OpenApiDocument): string {
  const info = document.root.info as { title?: unknown } | undefined;
  const title = typeof info?.title === 'string' ? info.title : '';
  const name = (title.split(/\s+-\s+|[:+(|]/)[0] ?? '')
    .toLowerCase()
    .replace(/['\u2019]s\b/g, '')
    .replace(GENERIC_TITLE_WORDS, '')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64);
  return name || 'api';
}

/** The first server's URL with its variables at their defaults. */
function serverUrl(document: OpenApiDocument): string | undefined {
  const servers = document.root.servers;
  const first = Array.isArray(servers) ? (servers[0] as { url?: unknown; variables?: unknown }) : undefined;
  if (!first || typeof first.url !== 'string') return undefined;
  const vars = (first.variables ?? {}) as Record<string, { default?: unknown }>;
  return first.url.replace(/\{([^{}]+)\}/g, (hole, name: string) => {
    const value = vars[name]?.default;
    return typeof value === 'string' ? value : hole;
  });
}

function isHttpUrl(url: string | undefined): url is string {
  if (url === undefined) return false;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:';
  } catch {
    return false;
  }
}

/** `${` in the document's text would read as an environment variable; `$${` is the literal. */
function escapeInterpolation<T>(value: T): T {
  if (typeof value === 'string') return value.replaceAll('${', () => '$${') as T;
  if (Array.isArray(value)) return value.map(escapeInterpolation) as T;
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, escapeInterpolation(v)])) as T;
  return value;
}

/** Where a config written to `out` finds the editor's JSON Schema and the config reference. */
function configRefs(out: string): { schema: string; docs: string } {
  return {
    schema: packageRef(out, 'schema/conduit.schema.json'),
    docs: packageRef(out, 'docs/gateway-config.md'),
  };
}

/** Comment lines: where the config came from, how to check it, and the auth the document asks for. */
function header(document: OpenApiDocument, spec: string, out: string): string {
  const info = (document.root.info ?? {}) as { title?: unknown; version?: unknown };
  const about = [info.title, info.version].filter((v) => typeof v === 'string').join(' ');
  const refs = configRefs(out);
  const lines = [
    `# yaml-language-server: $schema=${refs.schema}`,
    `# Generated by conduit init from ${oneLine(spec)}${about ? ` (${oneLine(about)})` : ''}.`,
    `# Check it: npx conduit validate --config ${oneLine(out)}    Serve it: npx conduit serve --config ${oneLine(out)}`,
    `# Every key: ${refs.docs}`,
  ];
  const schemes = (document.root.components as { securitySchemes?: unknown } | undefined)?.securitySchemes;
  if (schemes !== null && typeof schemes === 'object') {
    for (const [name, raw] of Object.entries(schemes)) {
      const s = (raw ?? {}) as { type?: unknown; scheme?: unknown; in?: unknown; name?: unknown };
      const auth =
        s.type === 'http' && String(s.scheme).toLowerCase() === 'bearer'
          ? '{ type: bearer, token: "${API_TOKEN}" }'
          : s.type === 'http' && String(s.scheme).toLowerCase() === 'basic'
            ? '{ type: basic, username: "${API_USER}", password: "${API_PASSWORD}" }'
            : s.type === 'apiKey' && (s.in === 'header' || s.in === 'query') && typeof s.name === 'string'
              ? `{ type: ${s.in}, name: ${JSON.stringify(oneLine(s.name))}, value: "\${API_KEY}" }`
              : undefined;
      if (auth)
        lines.push(`# The document declares auth "${oneLine(name)}": add under the upstream  auth: ${auth}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** Text from the command line or the document, as one line without control characters (no terminal escapes). */
function oneLine(text: string): string {
  return text.replace(/\p{Cc}+/gu, ' ').slice(0, 200);
}

/** Where the config file sees `spec`: relative to the config's directory when it is a local path. */
function relativeTo(out: string, spec: string): string {
  const rel = relative(dirname(out), spec);
  return rel === '' ? basename(spec) : rel;
}

/** `conduit init` without `--openapi`: the commented starter, checked before it is written. */
async function writeStarter(out: string, force: boolean, io: CliIo): Promise<number> {
  const text = starterConfig(configRefs(out));
  parseConfig(text, { format: 'yaml', env: {}, sourceName: 'the starter config' });
  await writeInitFile(out, text, force);
  // What was written is the command's result (stdout), as for --openapi; stderr is for warnings.
  io.stdout(
    `wrote ${out}: a commented starter (1 upstream, 2 tools); set its baseUrl and tools, then\n` +
      `  npx conduit validate --config ${out}\n  npx conduit serve --config ${out}\n`,
  );
  return ExitCode.OK;
}
