import { LineCounter, parseDocument } from 'yaml';
import type { ConfigPath } from './interpolate.js';
import { locate } from './locate.js';
import { type ExpandedRequestShape, generatedRequestProblems } from './request-safety.js';
import { type ConfigProblem, ConfigValidationError, formatPath } from './problems.js';
import {
  checkTemplateTarget,
  type TemplateTarget,
  type TemplateTargetIndex,
  type TemplateTargetRef,
} from './resource-targets.js';

/** The parts of an expanded config (OpenAPI tools appended, `openapiSets` filled) the check reads. */
export interface ExpandedConfigShape {
  upstreams: Readonly<Record<string, unknown>>;
  tools: readonly { name: string; input?: Record<string, unknown> | undefined }[];
  openapiSets?:
    | Readonly<
        Record<
          string,
          { catalog: { operations: readonly { operationId: string; tool: { input?: unknown } }[] } }
        >
      >
    | undefined;
  resources?: { templates?: readonly TemplateTargetRef[] | undefined } | undefined;
}

/** Every tool (hand-written and generated) and every selected OpenAPI operation, by name. */
export function templateTargetIndex(config: ExpandedConfigShape): TemplateTargetIndex {
  const tools = new Map<string, TemplateTarget>();
  for (const t of config.tools) if (!tools.has(t.name)) tools.set(t.name, { input: t.input });
  const operations = new Map<string, Map<string, TemplateTarget>>();
  for (const [upstream, set] of Object.entries(config.openapiSets ?? {}))
    operations.set(
      upstream,
      new Map(
        set.catalog.operations.map((o) => [
          o.operationId,
          { input: o.tool.input as Record<string, unknown> | undefined },
        ]),
      ),
    );
  return { tools, operations, upstreams: Object.keys(config.upstreams) };
}

/** The problems of `resources.templates` against the expanded config, with their config paths. */
export function checkExpandedTemplates(config: ExpandedConfigShape): { path: ConfigPath; message: string }[] {
  const templates = config.resources?.templates ?? [];
  if (templates.length === 0) return [];
  const index = templateTargetIndex(config);
  return templates.flatMap((t, i) => checkTemplateTarget(t, ['resources', 'templates', i], index));
}

/**
 * `loadConfig`'s last step: once the OpenAPI documents are read, resource templates that name a
 * generated tool or an operation can be checked. Throws `ConfigValidationError` with each problem's
 * line in `text` (the config file's text).
 */
export function assertExpandedTemplates(config: ExpandedConfigShape, text: string, source: string): void {
  throwAtLines(checkExpandedTemplates(config), text, source);
}

/** Refuses OpenAPI operations whose parameters would write a framing header or a credential. */
export function assertSafeGeneratedRequests(
  config: ExpandedRequestShape,
  text: string,
  source: string,
): void {
  throwAtLines(generatedRequestProblems(config), text, source);
}

function throwAtLines(found: readonly { path: ConfigPath; message: string }[], text: string, source: string) {
  if (found.length === 0) return;
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const problems: ConfigProblem[] = found.map((p) => {
    const pos = locate(doc, lines, p.path);
    return {
      path: formatPath(p.path),
      segments: p.path,
      message: p.message,
      ...(pos ? { line: pos.line, column: pos.column } : {}),
    };
  });
  throw new ConfigValidationError(source, problems);
}
