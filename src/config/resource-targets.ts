import { didYouMean, withSuggestion } from './did-you-mean.js';
import type { ConfigPath } from './interpolate.js';
import { isObject } from '../core/index.js';

/** What a resource template reads through: its input schema is all the check needs. */
export interface TemplateTarget {
  input: Record<string, unknown> | undefined;
}

/** Everything a template may name: configured tools, and the operations of OpenAPI upstreams. */
export interface TemplateTargetIndex {
  tools: ReadonlyMap<string, TemplateTarget>;
  /** Per upstream with an `openapi` section: its selected operations by operationId. */
  operations: ReadonlyMap<string, ReadonlyMap<string, TemplateTarget>>;
  /** Every configured upstream name (for "did you mean" and "has no openapi section"). */
  upstreams: readonly string[];
}

/** A resource template as written (raw or parsed): only the keys that say what answers a read. */
export interface TemplateTargetRef {
  uriTemplate?: unknown;
  tool?: unknown;
  upstream?: unknown;
  operation?: unknown;
}

export interface TargetProblem {
  path: ConfigPath;
  message: string;
}

/**
 * The variable names of an RFC 6570 URI template: `{id}`, `{+path}`, `{?a,b}`, `{ids*}`, `{name:3}`
 * give `id`, `path`, `a`, `b`, `ids`, `name`.
 */
export function uriTemplateVariables(template: string): string[] {
  const names: string[] = [];
  for (const m of template.matchAll(/\{([^{}]*)\}/g)) {
    const expression = m[1]!.replace(/^[+#./;?&]/, '');
    for (const spec of expression.split(',')) {
      const name = spec.replace(/\*$/, '').replace(/:\d+$/, '').trim();
      if (name !== '' && !names.includes(name)) names.push(name);
    }
  }
  return names;
}

/** Says which of `tool` / `upstream` + `operation` a template uses; undefined when it is malformed. */
export function templateTargetKind(t: TemplateTargetRef): 'tool' | 'operation' | undefined {
  const hasTool = t.tool !== undefined;
  const hasOperation = t.operation !== undefined || t.upstream !== undefined;
  if (hasTool === hasOperation) return undefined;
  return hasTool ? 'tool' : 'operation';
}

/**
 * The structural rule, checkable before any OpenAPI document is read: a template names either `tool`,
 * or `upstream` and `operation` together.
 */
export function checkTemplateShape(t: TemplateTargetRef, at: ConfigPath): TargetProblem[] {
  const hasTool = t.tool !== undefined;
  if (hasTool && (t.operation !== undefined || t.upstream !== undefined))
    return [
      {
        path: at,
        message:
          'give either tool (a configured tool) or upstream and operation (an OpenAPI operation), not both',
      },
    ];
  if (!hasTool && t.operation === undefined && t.upstream === undefined)
    return [
      {
        path: at,
        message:
          'say what answers a read: tool (a configured tool) or upstream and operation (an OpenAPI operationId)',
      },
    ];
  if (!hasTool && t.operation === undefined)
    return [
      { path: [...at, 'upstream'], message: 'upstream needs operation: the operationId to read through' },
    ];
  if (!hasTool && t.upstream === undefined)
    return [
      {
        path: [...at, 'operation'],
        message: 'operation needs upstream: the upstream whose OpenAPI document has it',
      },
    ];
  return [];
}

/**
 * Checks one template against what exists: the tool or operation it names (with "did you mean"), and
 * that the tool's input can take every template variable and needs no argument the URI cannot give.
 * `at` is the template's path in the config (`['resources', 'templates', i]`).
 */
export function checkTemplateTarget(
  t: TemplateTargetRef,
  at: ConfigPath,
  index: TemplateTargetIndex,
): TargetProblem[] {
  const shape = checkTemplateShape(t, at);
  if (shape.length > 0) return shape;
  let target: TemplateTarget | undefined;
  let label: string;
  if (typeof t.tool === 'string') {
    target = index.tools.get(t.tool);
    label = `tool ${t.tool}`;
    if (!target) {
      const known = [...index.tools.keys()];
      const otherwise = known.length > 0 ? `; configured: ${listed(known)}` : '; add it under tools';
      return [
        {
          path: [...at, 'tool'],
          message: withSuggestion(`no tool named "${t.tool}"`, t.tool, known, otherwise),
        },
      ];
    }
  } else if (typeof t.upstream === 'string' && typeof t.operation === 'string') {
    const operations = index.operations.get(t.upstream);
    if (!operations) {
      if (index.upstreams.includes(t.upstream))
        return [
          {
            path: [...at, 'upstream'],
            message: `upstream "${t.upstream}" has no openapi section; operation names an OpenAPI operationId — use tool for a configured tool`,
          },
        ];
      const message = withSuggestion(
        `no upstream named "${t.upstream}"`,
        t.upstream,
        index.upstreams,
        `; with an openapi section: ${listed([...index.operations.keys()])}`,
      );
      return [{ path: [...at, 'upstream'], message }];
    }
    target = operations.get(t.operation);
    label = `operation ${t.operation} of ${t.upstream}`;
    if (!target) {
      const ids = [...operations.keys()];
      const message = withSuggestion(
        `upstream "${t.upstream}" serves no operation "${t.operation}"`,
        t.operation,
        ids,
        `; the operations its openapi section selects: ${listed(ids) || 'none'}`,
      );
      return [{ path: [...at, 'operation'], message }];
    }
  } else return []; // wrong types: the schema reports them
  if (typeof t.uriTemplate !== 'string') return [];
  return variableProblems(t.uriTemplate, target.input, label, [...at, 'uriTemplate']);
}

/** The variables must be inputs of the target; its required inputs must all come from the URI. */
function variableProblems(
  template: string,
  input: Record<string, unknown> | undefined,
  label: string,
  at: ConfigPath,
): TargetProblem[] {
  const problems: TargetProblem[] = [];
  const properties = isObject(input?.properties) ? input.properties : {};
  const names = Object.keys(properties);
  const extra = input?.additionalProperties;
  // Extra arguments only where the schema says so outright: a typo must not become a query parameter.
  const open = extra === true || isObject(extra);
  const variables = uriTemplateVariables(template);
  for (const v of variables) {
    const property = properties[v];
    if (property === undefined) {
      if (open) continue;
      const hint = didYouMean(v, names);
      problems.push({
        path: at,
        message:
          `{${v}} is not an input of ${label}` +
          (hint ? ` (did you mean {${hint}}?)` : `; its inputs: ${listed(names) || 'none'}`),
      });
    } else if (isObject(property) && (property.type === 'object' || property.type === 'array')) {
      // An array too: the SDK's matcher gives a list as one comma-joined string, or no match at all.
      problems.push({
        path: at,
        message: `{${v}} fills input "${v}" of ${label}, which is an ${property.type === 'array' ? 'array' : 'object'}; a URI variable can only give text, numbers or booleans`,
      });
    }
  }
  const required = Array.isArray(input?.required) ? input.required.filter((r) => typeof r === 'string') : [];
  for (const r of required) {
    if (variables.includes(r)) continue;
    const property = properties[r];
    if (isObject(property) && property.default !== undefined) continue;
    problems.push({
      path: at,
      message: `${label} requires input "${r}", which the template does not give; add {${r}} to the URI template`,
    });
  }
  return problems;
}

function listed(names: readonly string[]): string {
  return names.length > 12 ? `${names.slice(0, 12).join(', ')}, …` : names.join(', ');
}
