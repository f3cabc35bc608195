import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { ConfigError } from '../core/index.js';
import {
  type ConfigProblem,
  ConfigValidationError,
  configLocator,
  configSecrets,
  configWarnings,
  formatPath,
  type GatewayConfig,
  loadConfig,
  OpenApiError,
  OpenApiProblems,
} from '../config/index.js';
import { builtInToolNames, credentialNotes, InputValidator } from '../mcp/index.js';
import { ExitCode } from './exit-codes.js';
import type { CliIo } from './io.js';
import { usageErrors } from './options.js';

const VALIDATE_OPTIONS = {
  config: { type: 'string', short: 'c', default: 'conduit.yaml' },
  json: { type: 'boolean', default: false },
} as const;

/** `conduit validate`: every problem with its path and line on stdout; exit 0 or 1. */
export async function validateCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = usageErrors(
    'validate',
    () =>
      parseArgs({
        args,
        strict: true,
        allowPositionals: false,
        options: VALIDATE_OPTIONS,
      }),
    Object.keys(VALIDATE_OPTIONS),
    'config',
  );
  const file = values.config;
  const checked = await checkConfigFile(file, io.env);
  if (checked.ok) {
    const { config, notes } = checked;
    const upstreams = Object.keys(config.upstreams).length;
    // Compact openapi sections serve two tools each (search, invoke) over their operations, which
    // `config.tools` does not hold: counted here so "0 tools" never describes a working config.
    const compactSets = Object.values(config.openapiSets ?? {}).filter((set) => set.compact !== undefined);
    const compactOperations = compactSets.reduce((n, set) => n + set.catalog.operations.length, 0);
    // What tools/list answers: the configured tools and those the gateway serves itself.
    const builtInTools = builtInToolNames(config);
    const tools = config.tools.length + 2 * compactSets.length + builtInTools.length;
    const builtIn =
      builtInTools.length > 0 ? `, ${builtInTools.length} of them built in: ${builtInTools.join(', ')}` : '';
    const compact = compactSets.length > 0 ? `; compact mode: ${compactOperations} operations` : '';
    // Valid, yet a client would find nothing of the API to call: said here, since serve starts all the same.
    if (tools === builtInTools.length) notes.push(noToolsNote(builtInTools));
    if (values.json)
      io.stdout(
        `${JSON.stringify({ ok: true, file, upstreams, tools, builtInTools, ...(compactSets.length > 0 ? { compactOperations } : {}), problems: [], notes })}\n`,
      );
    else {
      io.stdout(
        `${file}: valid (${upstreams} upstream${upstreams === 1 ? '' : 's'}, ${tools} tool${tools === 1 ? '' : 's'}${builtIn}${compact})\n`,
      );
      for (const n of notes) {
        const where = n.line !== undefined ? `${file}:${n.line}:${n.column ?? 1}  ` : '';
        io.stdout(`  ${n.kind}: ${where}${n.path}: ${n.message}\n`);
      }
    }
    return ExitCode.OK;
  }
  const { problems } = checked;
  if (values.json) {
    io.stdout(`${JSON.stringify({ ok: false, file, problems })}\n`);
  } else {
    const n = problems.length;
    io.stdout(`${file}: ${n} problem${n === 1 ? '' : 's'}\n`);
    for (const p of problems) {
      const where = p.line !== undefined ? `${file}:${p.line}:${p.column ?? 1}` : file;
      io.stdout(`  ${where}  ${p.path ? `${p.path}: ` : ''}${p.message}\n`);
    }
  }
  return ExitCode.CONFIG;
}

function noToolsNote(builtInTools: readonly string[]): FileNote {
  const seen =
    builtInTools.length > 0 ? `only ${builtInTools.join(', ')} in tools/list` : 'an empty tools/list';
  return {
    path: 'tools',
    kind: 'warning',
    message: `no tools: MCP clients would see ${seen}; add entries under tools, or an openapi section to an upstream`,
  };
}

/** A problem of a config file, at its key and line when known. */
export interface FileProblem {
  path: string;
  line: number | undefined;
  column: number | undefined;
  message: string;
}

/** What a valid file left out or changed (renamed keys, skipped OpenAPI operations, credentials). */
export interface FileNote {
  path: string;
  kind: string;
  message: string;
  line?: number | undefined;
  column?: number | undefined;
}

/**
 * Everything `conduit validate` checks, on one file: parsing, the schema and cross-checks (with
 * `${ENV}` read from `env`), each tool's schemas compiled; the config and its notes, or every problem
 * with its line. `serve` runs the same check before a reload.
 */
export async function checkConfigFile(
  file: string,
  env: Readonly<Record<string, string | undefined>>,
): Promise<{ ok: true; config: GatewayConfig; notes: FileNote[] } | { ok: false; problems: FileProblem[] }> {
  try {
    const config = await loadConfig(file, { env });
    const schemaProblems = await compileToolSchemas(config, await readFile(file, 'utf8'));
    // A compile problem may quote the schema (a `pattern`), so a value from the environment in it.
    const secrets = configSecrets(config);
    if (schemaProblems.length > 0)
      throw new ConfigValidationError(
        file,
        schemaProblems.map((p) => ({ ...p, message: withoutEnvValues(p.message, secrets) })),
      );
    return { ok: true, config, notes: notesOf(config) };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return { ok: false, problems: problemsOf(err, await readFile(file, 'utf8').catch(() => '')) };
  }
}

/** Old key names (with the new one to use), what openapi sections leave out or change, credentials. */
function notesOf(config: GatewayConfig): FileNote[] {
  const renamed = configWarnings(config).map((w) => ({
    path: w.path,
    kind: 'warning',
    message: w.message,
    line: w.line,
    column: w.column,
  }));
  // A reason may quote the config (a template, a path); values from the environment are not repeated.
  const secrets = configSecrets(config);
  const scrub = (text: string) => withoutEnvValues(text, secrets);
  const openapiNotes = Object.entries(config.openapiSets ?? {}).flatMap(([name, set]) => [
    ...set.leftOut.map((e) => ({
      path: `upstreams.${name}.openapi`,
      kind: 'left out',
      message: scrub(e.message),
    })),
    ...set.warnings.map((w) => ({
      path: `upstreams.${name}.openapi`,
      kind: 'warning',
      message: scrub(`operation ${w.operation}: ${w.message}`),
    })),
  ]);
  return [...renamed, ...openapiNotes, ...credentialNotes(config)];
}

/** `text` with each of `secrets` (the config's `${ENV}` values) replaced, as config problems say it. */
function withoutEnvValues(text: string, secrets: readonly string[]): string {
  return secrets.reduce((out, secret) => out.split(secret).join('<value from the environment>'), text);
}

/** `text`: the config file, to place problems that name a key (empty when it cannot be read). */
function problemsOf(err: ConfigError, text: string): FileProblem[] {
  if (err instanceof ConfigValidationError)
    return err.problems.map((p) => ({ path: p.path, line: p.line, column: p.column, message: p.message }));
  let where: ReturnType<typeof configLocator> | undefined;
  const at = (segments: readonly (string | number)[], message: string): FileProblem => {
    where ??= text === '' ? () => undefined : configLocator(text);
    const pos = where([...segments]);
    return { path: formatPath([...segments]), line: pos?.line, column: pos?.column, message };
  };
  if (err instanceof OpenApiProblems)
    return err.problems.map((p) => at(['upstreams', err.upstream, 'openapi'], p.message));
  if (err instanceof OpenApiError && err.configKey !== undefined) return [at(err.configKey, err.message)];
  return [{ path: '', line: undefined, column: undefined, message: err.message }];
}

/**
 * Compiles every tool's input and output schema as the first call would (serving compiles them
 * lazily), each problem placed at the tool's `input`/`output` line, or at its OpenAPI upstream for a
 * generated tool.
 */
async function compileToolSchemas(config: GatewayConfig, text: string) {
  const withSchemas = config.tools.filter((t) => t.input || t.output);
  if (withSchemas.length === 0) return [];
  const validator = new InputValidator();
  const where = configLocator(text);
  const problems: ConfigProblem[] = [];
  config.tools.forEach((tool, i) => {
    for (const key of ['input', 'output'] as const) {
      const schema = tool[key];
      const problem = schema ? validator.compileProblem(schema) : undefined;
      if (!problem) continue;
      const segments = ['tools', i, key];
      const pos = where(segments);
      const handWritten = pos?.exact === true;
      const path = handWritten ? formatPath(segments) : `upstreams.${tool.upstream}.openapi`;
      const message = handWritten ? problem : `tool ${tool.name} (${key}): ${problem}`;
      const at = handWritten ? pos : where(['upstreams', tool.upstream, 'openapi']);
      problems.push({
        path,
        segments,
        message,
        ...(at ? { line: at.line, column: at.column } : {}),
      });
    }
  });
  return problems;
}
