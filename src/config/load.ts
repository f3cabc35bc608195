import { readFile } from 'node:fs/promises';
import { dirname, extname, join } from 'node:path';
import { type Document, LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../core/index.js';
import { crossCheck } from './cross-check.js';
import { configErrorMap, missingKeyMessage } from './issue-messages.js';
import { toolSchemaProblems } from './tool-schema-check.js';
import { aliasMessage, renameKeyAliases } from './key-aliases.js';
import { type ConfigPath, interpolate } from './interpolate.js';
import { locate } from './locate.js';
import { scanDuplicateKeys } from './openapi/duplicate-keys.js';
import { expandOpenApi } from './openapi/expand.js';
import { assertExpandedTemplates, assertSafeGeneratedRequests } from './resource-check.js';
import { type ConfigProblem, ConfigValidationError, formatPath } from './problems.js';
import { configSecrets, withSecrets } from './secrets.js';
import { secretHosts } from './secret-hosts.js';
import { OpenApiProblems } from './openapi/errors.js';
import { withWarnings } from './warnings.js';
import { webhookWarnings } from './webhook-warnings.js';
import { bareDurationWarnings } from './duration-warnings.js';
import { type GatewayConfig, gatewayConfigSchema } from './schema.js';
import { jsonErrorOffset, jsonErrorText, textPosition } from './text-position.js';

export interface ParseConfigOptions {
  /** `yaml` (default; JSON is valid YAML too) or `json`. */
  format?: 'yaml' | 'json';
  /** Variables for `${VAR}` interpolation. Default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Shown in errors, e.g. the file name. Default `config`. */
  sourceName?: string;
}

/**
 * Parses, interpolates and validates a config text. Returns the config with every default filled in
 * (durations in ms, sizes in bytes), or throws `ConfigValidationError` listing every problem with its
 * path and line.
 */
export function parseConfig(text: string, options: ParseConfigOptions = {}): GatewayConfig {
  const source = options.sourceName ?? 'config';
  const env = options.env ?? process.env;
  const format = options.format ?? formatOf(source);
  const lines = new LineCounter();
  const problems: ConfigProblem[] = [];
  const at = (
    doc: Document | undefined,
    segments: ConfigPath,
    message: string,
    key?: string,
  ): ConfigProblem => {
    const full = key === undefined ? segments : [...segments, key];
    const pos = doc ? locate(doc, lines, segments, key) : undefined;
    return {
      path: formatPath(full),
      segments: full,
      message,
      ...(pos ? { line: pos.line, column: pos.column } : {}),
    };
  };

  if (format === 'json') {
    try {
      JSON.parse(text);
    } catch (err) {
      const message = (err as Error).message;
      const pos = textPosition(text, jsonErrorOffset(message, text));
      throw new ConfigValidationError(source, [
        {
          path: '',
          segments: [],
          message: `not valid JSON: ${jsonErrorText(message)}`,
          line: pos.line,
          column: pos.column,
        },
      ]);
    }
  }
  const depth = flowDepth(text);
  if (depth > MAX_FLOW_DEPTH)
    throw new ConfigValidationError(source, [
      {
        path: '',
        segments: [],
        message: `brackets are nested ${depth} levels deep (at most ${MAX_FLOW_DEPTH}); a config never needs that`,
      },
    ]);
  // The YAML parser also reads JSON, which gives JSON files line numbers for free.
  // Not the parser's `uniqueKeys`: it compares each key with every earlier one (a mapping of 50,000
  // keys took 20 s); the one-pass scan below refuses a repeated key, naming it.
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: false });
  if (doc.errors.length > 0) {
    // The first syntax error is the real one; the parser's later ones are its consequences (one
    // unquoted `${VAR:-2s}` in a `{ }` mapping made hundreds).
    const e = doc.errors[0]!;
    const pos = e.linePos?.[0] ?? (e.pos ? lines.linePos(e.pos[0]) : undefined);
    const hint = pos ? syntaxHint(text.split('\n')[pos.line - 1] ?? '') : '';
    throw new ConfigValidationError(source, [
      {
        path: '',
        segments: [],
        message: `not valid ${format === 'json' ? 'JSON' : 'YAML'}: ${firstLine(e.message)}${hint}`,
        ...(pos ? { line: pos.line, column: pos.col } : {}),
      },
    ]);
  }
  const { duplicate } = scanDuplicateKeys(doc);
  if (duplicate !== undefined) {
    const pos = lines.linePos(duplicate.offset);
    throw new ConfigValidationError(source, [
      {
        path: '',
        segments: [],
        message: `not valid ${format === 'json' ? 'JSON' : 'YAML'}: the key "${duplicate.key}" appears twice in one mapping; remove or rename one of them`,
        line: pos.line,
        column: pos.col,
      },
    ]);
  }
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    throw new ConfigValidationError(source, [
      { path: '', segments: [], message: firstLine((err as Error).message) },
    ]);
  }
  if (raw === null || raw === undefined)
    throw new ConfigValidationError(source, [
      { path: '', segments: [], message: 'the config is empty; it needs at least `upstreams` and `tools`' },
    ]);
  if (typeof raw !== 'object' || Array.isArray(raw))
    throw new ConfigValidationError(source, [
      {
        path: '',
        segments: [],
        message: 'expected a mapping of keys (server, cache, upstreams, tools, …) at the top',
      },
    ]);

  let interpolated: ReturnType<typeof interpolate>;
  try {
    interpolated = interpolate(raw, env);
  } catch (err) {
    // An alias that contains itself (`a: &a [*a]`) makes a cyclic value: refuse it, never overflow later.
    if (err instanceof RangeError)
      throw new ConfigValidationError(source, [
        {
          path: '',
          segments: [],
          message: 'a YAML alias refers to itself, or the document is nested too deeply',
        },
      ]);
    throw err;
  }
  for (const p of interpolated.problems) problems.push(at(doc, p.path, p.message));
  // Old key names are read as the new ones; each is a warning (both spellings at once, a problem).
  const warnings: ConfigProblem[] = [];
  for (const f of renameKeyAliases(interpolated.value))
    (f.conflict ? problems : warnings).push(at(doc, f.path, aliasMessage(f), f.alias.old));
  // Where a variable is missing the value is unknown: schema complaints there would only be noise.
  const unresolved = interpolated.problems.map((p) => p.path);
  for (const p of crossCheck(interpolated.value)) {
    if (!unresolved.some((u) => startsWith(p.path, u))) problems.push(at(doc, p.path, p.message));
  }
  for (const p of literalKeyProblems(interpolated)) problems.push(at(doc, p.path, p.message));
  const schemaProblems = toolSchemaProblems(interpolated.value);
  for (const p of schemaProblems) problems.push(at(doc, p.path, p.message));
  // A keyword already explained (a mistyped `type`) needs no second, vaguer word from the schema.
  const explained = new Set(schemaProblems.map((p) => formatPath(p.path)));
  const result = gatewayConfigSchema.safeParse(interpolated.value, { error: configErrorMap });
  if (!result.success) {
    for (const issue of result.error.issues) {
      const path = issue.path.filter((s): s is string | number => typeof s !== 'symbol');
      if (unresolved.some((u) => startsWith(path, u)) || explained.has(formatPath(path))) continue;
      const missing = isMissing(interpolated.value, path);
      problems.push(
        ...issueProblems(issue, path, (segments, message, key) =>
          at(doc, segments, missing ? missingKeyMessage(message, path.at(-1)) : message, key),
        ),
      );
    }
  }
  if (problems.length > 0 || !result.success)
    throw new ConfigValidationError(
      source,
      sortProblems(redactSecrets(withEnvNames(problems, interpolated, unresolved), interpolated)),
    );
  for (const w of webhookWarnings(result.data.webhooks?.endpoints, interpolated.envNames))
    warnings.push(at(doc, w.path, w.message));
  for (const w of bareDurationWarnings(interpolated.value)) warnings.push(at(doc, w.path, w.message));
  // The gateway scrubs these from every upstream error and answer (see configSecrets).
  return withWarnings(
    withSecrets(result.data, secretValues(interpolated)),
    sortProblems(redactSecrets(warnings, interpolated)),
  );
}

/** `text` as one shell word, quoted only when it needs to be (a path with spaces, say). */
function shellWord(text: string): string {
  return /^[\w./:@+-]+$/.test(text) ? text : `'${text.replaceAll("'", "'\\''")}'`;
}

/** Reads and parses a config file (`.json` as JSON, anything else as YAML). */
export async function loadConfig(
  path: string,
  options: Omit<ParseConfigOptions, 'sourceName'> = {},
): Promise<GatewayConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(
      code === 'ENOENT'
        ? `config file ${path} does not exist; pass the path of a YAML or JSON config with --config, or write a starter one with: npx conduit init --out ${shellWord(path)}`
        : code === 'EISDIR'
          ? `config file ${path} is a folder; pass the path of a YAML or JSON config with --config (e.g. ${join(path, 'conduit.yaml')})`
          : `cannot read config file ${path} (${code ?? (err as Error).message})`,
      { cause: err },
    );
  }
  const config = parseConfig(text, {
    ...options,
    sourceName: path,
    format: options.format ?? formatOf(path),
  });
  if (!Object.values(config.upstreams).some((u) => u.openapi)) return config;
  // Documents are files next to the config: only the async loader can read them.
  let built: Awaited<ReturnType<typeof expandOpenApi>>;
  try {
    built = await expandOpenApi(config, { baseDir: dirname(path) });
  } catch (err) {
    throw withoutSecrets(err, configSecrets(config));
  }
  const { tools, sets } = built;
  const expanded = { ...config, tools, openapiSets: sets };
  // Templates naming generated tools or operations can only be checked now that the documents are read.
  assertExpandedTemplates(expanded, text, path);
  assertSafeGeneratedRequests(expanded, text, path);
  return expanded;
}

function formatOf(name: string): 'yaml' | 'json' {
  return extname(name).toLowerCase() === '.json' ? 'json' : 'yaml';
}

function issueProblems(
  issue: z.core.$ZodIssue,
  path: ConfigPath,
  at: (segments: ConfigPath, message: string, key?: string) => ConfigProblem,
): ConfigProblem[] {
  if (issue.code === 'unrecognized_keys') {
    const messages = issue.message.split('\n');
    return issue.keys.map((key, i) => at(path, messages[i] ?? `unknown key "${key}"`, key));
  }
  return [at(path, cleanMessage(issue))];
}

// zod's defaults start with "Invalid input: "; the path already says where, keep what was expected.
function cleanMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type' && issue.message.startsWith('Invalid input: ')) {
    return issue.message.slice('Invalid input: '.length);
  }
  return issue.message;
}

/** True when the last key of `path` is absent from a mapping that is there. */
function isMissing(value: unknown, path: ConfigPath): boolean {
  if (path.length === 0) return false;
  const node = valueAt(value, path.slice(0, -1));
  const last = path[path.length - 1] as string | number;
  return (
    node !== null &&
    typeof node === 'object' &&
    !Array.isArray(node) &&
    (node as Record<string, unknown>)[last] === undefined
  );
}

function startsWith(path: ConfigPath, prefix: ConfigPath): boolean {
  return prefix.length <= path.length && prefix.every((seg, i) => String(seg) === String(path[i]));
}

/**
 * A likely cause of a syntax error on this line: an unquoted `${VAR:-default}`, or a value with
 * `{holes}` (`/items/{id}`, `item:{id}`), inside `{ }` or `[ ]`, where `{` opens a mapping.
 */
function syntaxHint(line: string): string {
  if (/[{[][^"']*\$\{/.test(line))
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the hint shows the config's ${VAR} syntax
    return '; inside { } or [ ], quote a value that holds ${VAR} or ${VAR:-default} ("${VAR:-2s}"): unquoted, its "{", ":" and "}" are YAML syntax';
  const unquoted = line.replace(/"(?:[^"\\]|\\.)*"|'[^']*'/g, '""');
  return /[{[]/.test(unquoted) && /[^\s{[,:]\{[^{}\s]*\}/.test(unquoted)
    ? '; inside { } or [ ], quote a value that holds {holes} ("/items/{id}", "item:{id}"): unquoted, its "{" opens a mapping'
    : '';
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}

function sortProblems(problems: ConfigProblem[]): ConfigProblem[] {
  const seen = new Set<string>();
  // An absent key is one problem, however many checks (cross-checks, each union branch) noticed it.
  const missingAt = new Set(problems.filter((p) => p.message.startsWith('missing key')).map((p) => p.path));
  const unique = problems.filter((p) => {
    const missing = p.message.startsWith('missing key');
    if (missingAt.has(p.path) && !missing) return false;
    const k = missing ? `${p.path}\u0000missing` : `${p.path}\u0000${p.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  // In file order: by line, then column (several problems on one flow-style line read left to right).
  const at = (p: ConfigProblem) => [p.line ?? Number.MAX_SAFE_INTEGER, p.column ?? 0] as const;
  return unique.sort((a, b) => at(a)[0] - at(b)[0] || at(a)[1] - at(b)[1]);
}

const MAX_FLOW_DEPTH = 64;

/** Deepest nesting of `[`/`{` outside quotes: checked before parsing, so hostile input stays cheap. */
function flowDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let quote = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '[' || c === '{') {
      if (++depth > max) max = depth;
    } else if ((c === ']' || c === '}') && depth > 0) depth--;
  }
  return max;
}

// A key that signs what clients hand back is only secret if the file, which many people read, lacks it.
const ENV_ONLY_KEYS: readonly (readonly string[])[] = [['server', 'stateKey']];

/** Keys that must come from the environment but were written into the file. */
function literalKeyProblems(
  interpolated: ReturnType<typeof interpolate>,
): { path: ConfigPath; message: string }[] {
  const problems: { path: ConfigPath; message: string }[] = [];
  for (const path of ENV_ONLY_KEYS) {
    if (typeof valueAt(interpolated.value, path) !== 'string') continue;
    if (
      interpolated.secretPaths.some((s) => s.length === path.length && s.every((seg, i) => seg === path[i]))
    )
      continue;
    problems.push({
      path: [...path],
      message:
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the hint shows the config's ${VAR} syntax
        'a signing key written into the config file is readable by anyone who reads the file; set it from the environment, e.g. stateKey: "${CONDUIT_STATE_KEY}" with CONDUIT_STATE_KEY from `openssl rand -base64 48`',
    });
  }
  return problems;
}

/** The value at `path`, undefined where the path leaves the mappings and lists. */
function valueAt(root: unknown, path: readonly (string | number)[]): unknown {
  let v = root;
  for (const seg of path)
    v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[seg] : undefined;
  return v;
}

/**
 * The string values that took anything from the environment, then each `${ENV}` value on its own (4
 * characters or more), then the host of each URL a value reaches into (`secretHosts`). Whole values
 * first: a scrub that goes down the list replaces `Bearer x` whole.
 */
function secretValues(interpolated: ReturnType<typeof interpolate>): string[] {
  const secrets = new Set<string>();
  const hosts: string[] = [];
  for (const path of interpolated.secretPaths) {
    const v = valueAt(interpolated.value, path);
    // Shorter values would blank out ordinary words; they are no secrets anyway.
    if (typeof v === 'string' && v.length >= 4) secrets.add(v);
    if (typeof v === 'string') hosts.push(...secretHosts(v, interpolated.envValues));
  }
  for (const v of interpolated.envValues) if (v.length >= 4) secrets.add(v);
  for (const h of hosts) secrets.add(h);
  return [...secrets];
}

/**
 * An operation's problem may quote the config (an override template, a path): the values taken from
 * the environment in it are replaced, in the error and in each of an `OpenApiProblems`' problems.
 */
function withoutSecrets(err: unknown, secrets: readonly string[]): unknown {
  if (secrets.length === 0 || !(err instanceof Error)) return err;
  const scrub = (e: Error) => {
    for (const secret of secrets) e.message = e.message.split(secret).join('<value from the environment>');
  };
  scrub(err);
  if (err instanceof OpenApiProblems) for (const p of err.problems) scrub(p);
  return err;
}

/** Values taken from the environment are secrets: no problem message may repeat one. */
/**
 * A problem with a value taken from the environment names the variables it came from: the file
 * shows only `${API_URL}`, and the value itself is never repeated. Where a variable is missing,
 * its own problem already says so.
 */
function withEnvNames(
  problems: ConfigProblem[],
  interpolated: ReturnType<typeof interpolate>,
  unresolved: readonly ConfigPath[],
): ConfigProblem[] {
  const same = (a: ConfigPath, b: ConfigPath) => a.length === b.length && startsWith(a, b);
  return problems.map((p) => {
    const names = interpolated.envNames.find((e) => same(e.path, p.segments))?.names;
    if (names === undefined || unresolved.some((u) => same(u, p.segments))) return p;
    const which = names.length === 1 ? `variable ${names[0]}` : `variables ${names.join(', ')}`;
    return { ...p, message: `${p.message}; the value comes from the environment ${which}` };
  });
}

function redactSecrets(
  problems: ConfigProblem[],
  interpolated: ReturnType<typeof interpolate>,
): ConfigProblem[] {
  const secrets = secretValues(interpolated);
  if (secrets.length === 0) return problems;
  return problems.map((p) => {
    let message = p.message;
    for (const secret of secrets) message = message.split(secret).join('<value from the environment>');
    return message === p.message ? p : { ...p, message };
  });
}
