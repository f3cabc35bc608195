import { type CacheKeyTool, cacheKeyCollisions, cacheKeyProblems } from './cache-keys.js';
import { upstreamAuthProblems, upstreamTlsProblems } from './auth-check.js';
import { withSuggestion } from './did-you-mean.js';
import { crossCheckIdentity } from './identity-check.js';
import { crossCheckEvents } from './events-schema.js';
import { crossCheckHealth } from './health-schema.js';
import type { ConfigPath } from './interpolate.js';
import { reservedArgumentProblem, reservedRequestNames } from './request-safety.js';
import { checkTemplateShape, checkTemplateTarget, type TemplateTarget } from './resource-targets.js';
import { defaultLocation, templateNames } from './schema.js';
import { unknownHoleProblem } from './unknown-hole.js';
import { isObject, isPrincipalHole, principalHoleProblem } from '../core/index.js';

export interface CrossCheckProblem {
  path: ConfigPath;
  message: string;
}

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
  problems.push(...crossCheckIdentity(data));

  const cache = isObject(data.cache) ? data.cache : {};
  const redis = isObject(cache.redis) ? cache.redis : undefined;
  if (redis && redis.url !== undefined && redis.cluster !== undefined)
    problems.push({
      path: ['cache', 'redis'],
      message: 'give either url (one Redis) or cluster (Redis Cluster seed URLs), not both',
    });
  else if (redis && redis.url === undefined && redis.cluster === undefined)
    problems.push({
      path: ['cache', 'redis'],
      message: 'give url (redis://host:port) or cluster (a list of seed URLs), or remove cache.redis',
    });
  for (const [name, upstream] of Object.entries(upstreams)) {
    if (isObject(upstream)) {
      problems.push(...upstreamAuthProblems(name, upstream.auth));
      problems.push(...upstreamTlsProblems(name, upstream.tls));
    }
    if (isObject(upstream) && isObject(upstream.breaker)) {
      const b = upstream.breaker;
      if ((b.shared === true || b.shared === 'true') && !redis)
        problems.push({
          path: ['upstreams', name, 'breaker', 'shared'],
          message:
            'a shared breaker needs a Redis to share through: set cache.redis.url (or cache.redis.cluster), or remove shared',
        });
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
      const otherwise =
        upstreamNames.length > 0 ? `; configured: ${upstreamNames.join(', ')}` : '; add it under upstreams';
      problems.push({
        path: at('upstream'),
        message: withSuggestion(
          `no upstream named "${tool.upstream}"`,
          tool.upstream,
          upstreamNames,
          otherwise,
        ),
      });
    }

    const input = isObject(tool.input) ? tool.input : {};
    const properties = isObject(input.properties) ? input.properties : {};
    // Fixed parameters are sent like arguments (the model never sees them): paths, `params` and
    // templates may name them too.
    const fixedNames = isObject(tool.fixed) ? Object.keys(tool.fixed) : [];
    const propertyNames = [...Object.keys(properties), ...fixedNames];
    const isFixed = (p: string) => fixedNames.includes(p);
    const has = (p: string) => Object.hasOwn(properties, p) || isFixed(p);
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
    const pathHoles = path ? templateNames(path).filter((h) => !isPrincipalHole(h.trim())) : [];
    for (const hole of path ? templateNames(path) : []) {
      const problem = isPrincipalHole(hole.trim()) ? principalHoleProblem(hole.trim()) : undefined;
      if (problem) problems.push({ path: at('path'), message: problem });
    }
    for (const hole of pathHoles) {
      if (!has(hole))
        problems.push({
          path: at('path'),
          message: `path parameter {${hole}} is not an input property; add it to input.properties (and input.required)`,
        });
      else if (!required.includes(hole) && !isFixed(hole))
        problems.push({
          path: at('input', 'required'),
          message: `path parameter "${hole}" must be listed in input.required`,
        });
    }

    // `params` entries are a location or `{ in, explode?, json?, whole? }`.
    const params: Record<string, unknown> = {};
    if (isObject(tool.params))
      for (const [property, entry] of Object.entries(tool.params))
        params[property] = isObject(entry) ? entry.in : entry;
    if (isObject(tool.params)) {
      // Properties without a `params` entry go where the method and path put them: maybe the body too.
      const toBody = propertyNames.filter(
        (p) => !Object.hasOwn(params, p) && path && defaultLocation(p, method, path) === 'body',
      );
      problems.push(...paramFormProblems(tool.params, properties, at, toBody));
      for (const [property, location] of Object.entries(params)) {
        if (!has(property)) {
          problems.push({
            path: at('params', property),
            message: withSuggestion(`"${property}" is not an input property`, property, propertyNames),
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

    problems.push(...argumentSafetyProblems(tool, upstreams, params, propertyNames, method, path, at));

    const checkTemplate = (template: unknown, where: ConfigPath) => {
      if (typeof template !== 'string') return;
      for (const hole of templateNames(template)) {
        if (isPrincipalHole(hole.trim())) {
          const problem = principalHoleProblem(hole.trim());
          if (problem) problems.push({ path: where, message: problem });
        } else if (!has(hole))
          problems.push({ path: where, message: unknownHoleProblem(hole, propertyNames) });
      }
    };
    if (isObject(tool.cache)) {
      checkTemplate(tool.cache.key, at('cache', 'key'));
      for (const message of cacheKeyProblems(tool as unknown as CacheKeyTool))
        problems.push({ path: at('cache', 'key'), message });
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
      for (const [property, location] of Object.entries(params)) {
        if (location === 'body' && has(property))
          problems.push({
            path: at('params', property),
            message: `${method} requests carry no body; use query or header`,
          });
      }
    }
  });
  const named = tools.filter((t): t is Record<string, unknown> => isObject(t) && typeof t.name === 'string');
  for (const c of cacheKeyCollisions(named as unknown as CacheKeyTool[])) {
    const second = named[c.second]!;
    const where = isObject(second.cache) && second.cache.key !== undefined ? ['cache', 'key'] : ['cache'];
    problems.push({ path: ['tools', tools.indexOf(second), ...where], message: c.message });
  }
  problems.push(...crossCheckEvents(data));
  problems.push(...crossCheckHealth(data));
  problems.push(...crossCheckTemplates(data, tools, upstreams));
  return problems;
}

/**
 * Strict arguments and reserved names: a schema that opens itself to unlisted arguments must say so
 * with `allowUnlistedArguments`, and no listed argument may write a framing header or a credential.
 */
function argumentSafetyProblems(
  tool: Record<string, unknown>,
  upstreams: Record<string, unknown>,
  params: Record<string, unknown>,
  propertyNames: readonly string[],
  method: string,
  path: string | undefined,
  at: (...rest: (string | number)[]) => ConfigPath,
): CrossCheckProblem[] {
  const problems: CrossCheckProblem[] = [];
  const input = isObject(tool.input) ? tool.input : {};
  const extra = input.additionalProperties;
  if (extra !== undefined && extra !== false && flagValue(tool.allowUnlistedArguments) !== true)
    problems.push({
      path: at('input', 'additionalProperties'),
      message:
        'tools refuse arguments their input does not list; to forward unlisted arguments to the upstream, set allowUnlistedArguments: true on the tool (and review what a client could send)',
    });
  const upstream = typeof tool.upstream === 'string' ? upstreams[tool.upstream] : undefined;
  const reserved = reservedRequestNames(isObject(upstream) ? upstream : undefined);
  for (const property of new Set([...propertyNames, ...Object.keys(params)])) {
    const location = Object.hasOwn(params, property)
      ? params[property]
      : path
        ? defaultLocation(property, method, path)
        : undefined;
    if (typeof location !== 'string') continue;
    const problem = reservedArgumentProblem(property, location, reserved);
    if (problem)
      problems.push({
        path: Object.hasOwn(params, property) ? at('params', property) : at('input', 'properties', property),
        message: problem,
      });
  }
  return problems;
}

/** A flag as written (`true` or `"true"`, as the schema accepts); undefined for anything else. */
function flagValue(v: unknown): boolean | undefined {
  if (v === true || v === 'true') return true;
  if (v === false || v === 'false') return false;
  return undefined;
}

/**
 * The object forms of `params`: `explode` only for query arrays, `json` not for the body, `whole` only
 * for the body and alone there (the whole body leaves no room for other fields).
 */
function paramFormProblems(
  params: Record<string, unknown>,
  properties: Record<string, unknown>,
  at: (...rest: (string | number)[]) => ConfigPath,
  defaultsToBody: readonly string[],
): CrossCheckProblem[] {
  const problems: CrossCheckProblem[] = [];
  const whole: string[] = [];
  const inBody: string[] = [...defaultsToBody];
  for (const [property, entry] of Object.entries(params)) {
    const location = isObject(entry) ? entry.in : entry;
    if (location === 'body') inBody.push(property);
    if (!isObject(entry)) continue;
    const type = isObject(properties[property]) ? properties[property].type : undefined;
    const isArray = type === undefined || type === 'array' || (Array.isArray(type) && type.includes('array'));
    if (entry.explode !== undefined && location !== 'query')
      problems.push({
        path: at('params', property, 'explode'),
        message: `explode applies to query arrays only; "${property}" goes to ${String(location)}`,
      });
    else if (entry.explode !== undefined && !isArray)
      problems.push({
        path: at('params', property, 'explode'),
        message: `explode applies to arrays; input.properties.${property} is of type ${JSON.stringify(type)}`,
      });
    if (entry.json !== undefined && location === 'body')
      problems.push({
        path: at('params', property, 'json'),
        message: 'the body is JSON already; json applies to path, query and header values',
      });
    if (flagValue(entry.json) === true && flagValue(entry.explode) === false)
      problems.push({
        path: at('params', property, 'explode'),
        message: 'a JSON value is one piece of text; give json or explode, not both',
      });
    if (entry.whole !== undefined && location !== 'body')
      problems.push({
        path: at('params', property, 'whole'),
        message: `whole applies to the body only; "${property}" goes to ${String(location)}`,
      });
    else if (flagValue(entry.whole) === true) whole.push(property);
  }
  if (whole.length > 1)
    problems.push({
      path: at('params', whole[1]!, 'whole'),
      message: `only one property can be the whole body; "${whole[0]}" already is`,
    });
  else if (whole.length === 1 && inBody.length > 1)
    problems.push({
      path: at('params', whole[0]!, 'whole'),
      message: `"${whole[0]}" is the whole body, so ${inBody
        .filter((p) => p !== whole[0])
        .map((p) => `"${p}"`)
        .join(', ')} cannot go to the body too${
        defaultsToBody.length > 0
          ? ' (a property without a params entry goes to the body of this method)'
          : ''
      }; map them to query or header, or drop whole`,
    });
  return problems;
}

/**
 * Resource templates against what the file itself names. Tools generated from OpenAPI documents are
 * known only once the documents are read, so with an `openapi` upstream a template that names no
 * hand-written tool is checked after expansion (`checkExpandedTemplates`, called by `loadConfig`).
 */
function crossCheckTemplates(
  data: Record<string, unknown>,
  tools: unknown[],
  upstreams: Record<string, unknown>,
): CrossCheckProblem[] {
  const resources = isObject(data.resources) ? data.resources : {};
  const templates = Array.isArray(resources.templates) ? resources.templates : [];
  if (templates.length === 0) return [];
  const byName = new Map<string, TemplateTarget>();
  // With duplicate names (reported above) the first tool stands for the name.
  for (const tool of tools)
    if (isObject(tool) && typeof tool.name === 'string' && !byName.has(tool.name))
      byName.set(tool.name, { input: isObject(tool.input) ? tool.input : undefined });
  const hasOpenApi = Object.values(upstreams).some((u) => isObject(u) && u.openapi !== undefined);
  const index = { tools: byName, operations: new Map(), upstreams: Object.keys(upstreams) };
  const problems: CrossCheckProblem[] = [];
  templates.forEach((t, i) => {
    if (!isObject(t)) return;
    const at: ConfigPath = ['resources', 'templates', i];
    const deferred = hasOpenApi && !(typeof t.tool === 'string' && byName.has(t.tool));
    problems.push(...(deferred ? checkTemplateShape(t, at) : checkTemplateTarget(t, at, index)));
  });
  return problems;
}
