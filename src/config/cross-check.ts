import { didYouMean } from './did-you-mean.js';
import { crossCheckEvents } from './events-schema.js';
import type { ConfigPath } from './interpolate.js';
import { templateNames } from './schema.js';

export interface CrossCheckProblem {
  path: ConfigPath;
  message: string;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((s) => typeof s === 'string') : []);

/**
 * Checks that span several places: tool → upstream references, unique tool names, template holes
 * that must be input properties. Runs on the raw (interpolated) tree and tolerates wrong shapes, so
 * its problems are reported together with the schema's.
 */
export function crossCheck(data: unknown): CrossCheckProblem[] {
  const problems: CrossCheckProblem[] = [];
  if (!isObject(data)) return problems;
  const upstreams = isObject(data.upstreams) ? data.upstreams : {};
  const upstreamNames = Object.keys(upstreams);

  for (const [name, upstream] of Object.entries(upstreams)) {
    if (isObject(upstream) && isObject(upstream.breaker)) {
      const b = upstream.breaker;
      if (b.failureThreshold !== undefined && b.window !== undefined)
        problems.push({
          path: ['upstreams', name, 'breaker'],
          message: 'give either failureThreshold (failures in a row) or window (failure rate), not both',
        });
    }
  }

  const tools = Array.isArray(data.tools) ? data.tools : [];
  const seen = new Map<string, number>();
  tools.forEach((tool, i) => {
    if (!isObject(tool)) return;
    const at = (...rest: (string | number)[]): ConfigPath => ['tools', i, ...rest];
    if (typeof tool.name === 'string') {
      const first = seen.get(tool.name);
      if (first !== undefined)
        problems.push({
          path: at('name'),
          message: `duplicate tool name "${tool.name}" (first used by tools[${first}])`,
        });
      else seen.set(tool.name, i);
    }
    if (typeof tool.upstream === 'string' && !Object.hasOwn(upstreams, tool.upstream)) {
      const hint = didYouMean(tool.upstream, upstreamNames);
      problems.push({
        path: at('upstream'),
        message:
          `no upstream named "${tool.upstream}"` +
          (hint
            ? ` (did you mean "${hint}"?)`
            : upstreamNames.length > 0
              ? `; configured: ${upstreamNames.join(', ')}`
              : '; add it under upstreams'),
      });
    }

    const input = isObject(tool.input) ? tool.input : {};
    const properties = isObject(input.properties) ? input.properties : {};
    const propertyNames = Object.keys(properties);
    const has = (p: string) => Object.hasOwn(properties, p);
    const required = strings(input.required);
    required.forEach((r, j) => {
      if (!has(r))
        problems.push({
          path: at('input', 'required', j),
          message: `"${r}" is required but not in input.properties`,
        });
    });

    const method = typeof tool.method === 'string' ? tool.method.toUpperCase() : 'GET';
    const path = typeof tool.path === 'string' ? tool.path : undefined;
    const pathHoles = path ? templateNames(path) : [];
    for (const hole of pathHoles) {
      if (!has(hole))
        problems.push({
          path: at('path'),
          message: `path parameter {${hole}} is not an input property; add it to input.properties (and input.required)`,
        });
      else if (!required.includes(hole))
        problems.push({
          path: at('input', 'required'),
          message: `path parameter "${hole}" must be listed in input.required`,
        });
    }

    if (isObject(tool.params)) {
      for (const [property, location] of Object.entries(tool.params)) {
        if (!has(property)) {
          const hint = didYouMean(property, propertyNames);
          problems.push({
            path: at('params', property),
            message: `"${property}" is not an input property${hint ? ` (did you mean "${hint}"?)` : ''}`,
          });
        } else if (location === 'path' && path && !pathHoles.includes(property))
          problems.push({
            path: at('params', property),
            message: `"${property}" is mapped to path but ${path} has no {${property}}`,
          });
        else if (location !== 'path' && pathHoles.includes(property))
          problems.push({
            path: at('params', property),
            message: `"${property}" fills {${property}} in the path; it cannot also go to ${String(location)}`,
          });
      }
    }

    const checkTemplate = (template: unknown, where: ConfigPath) => {
      if (typeof template !== 'string') return;
      for (const hole of templateNames(template)) {
        if (!has(hole))
          problems.push({ path: where, message: `{${hole}} is not an input property of this tool` });
      }
    };
    if (isObject(tool.cache)) {
      checkTemplate(tool.cache.key, at('cache', 'key'));
      for (const [j, t] of strings(tool.cache.tags).entries()) checkTemplate(t, at('cache', 'tags', j));
    }
    if (isObject(tool.invalidates)) {
      for (const [j, t] of strings(tool.invalidates.tags).entries())
        checkTemplate(t, at('invalidates', 'tags', j));
      for (const [j, t] of strings(tool.invalidates.keys).entries())
        checkTemplate(t, at('invalidates', 'keys', j));
    }
    // A tool that would put a body on GET is almost always a mistake in `params`.
    if (isObject(tool.params) && (method === 'GET' || method === 'HEAD')) {
      for (const [property, location] of Object.entries(tool.params)) {
        if (location === 'body' && has(property))
          problems.push({
            path: at('params', property),
            message: `${method} requests carry no body; use query or header`,
          });
      }
    }
  });
  problems.push(...crossCheckEvents(data));
  return problems;
}
